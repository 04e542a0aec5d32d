package bot

import (
	"fmt"
	"strings"
)

// languageText holds the replies of /language, and the languages' names.
var languageText = struct {
	Show    string // the language's name, the languages
	Auto    string // the language's name
	Set     string // the language's name
	Unknown string // what was typed, the languages
	English string
	Russian string
	Ukr     string
}{
	Show:    "Herald speaks %s here. Choose with /language %s, or /language auto to follow whoever writes.",
	Auto:    "Herald now answers each person in their own language (%s for you), and alerts follow the last one.",
	Set:     "Herald speaks %s here now: replies, help, menus and alerts.",
	Unknown: "I don't speak %q. Choose %s, or auto.",
	English: "English",
	Russian: "Russian",
	Ukr:     "Ukrainian",
}

func languageName(lang string, t struct {
	Show, Auto, Set, Unknown, English, Russian, Ukr string
}) string {
	switch lang {
	case "ru":
		return t.Russian
	case "uk":
		return t.Ukr
	}
	return t.English
}

// cmdLanguage shows or sets the language the chat is spoken to in.
func (b *Bot) cmdLanguage(c *call) Reply {
	t, arg := c.target, strings.ToLower(strings.TrimSpace(c.args))
	choices := strings.Join(Languages, "|")
	switch arg {
	case "":
		languageText := texts(c.lang, &languageText)
		return Reply{Text: fmt.Sprintf(languageText.Show, languageName(c.lang, languageText), choices)}
	case "auto", "off", "default":
		t.Settings.Language = ""
		if err := b.saveSettings(t); err != nil {
			return b.storeTrouble(c.lang, err)
		}
		lang := chatLanguage(t, c.cmd.Lang)
		languageText := texts(lang, &languageText)
		return Reply{Text: fmt.Sprintf(languageText.Auto, languageName(lang, languageText))}
	}
	lang := matchLanguage(arg)
	if lang == "" {
		languageText := texts(c.lang, &languageText)
		return Reply{Text: fmt.Sprintf(languageText.Unknown, arg, choices)}
	}
	t.Settings.Language = lang
	if err := b.saveSettings(t); err != nil {
		return b.storeTrouble(c.lang, err)
	}
	languageText := texts(lang, &languageText)
	return Reply{Text: fmt.Sprintf(languageText.Set, languageName(lang, languageText))}
}
