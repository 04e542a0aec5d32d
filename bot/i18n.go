package bot

import (
	"embed"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"

	"github.com/herald-news/herald/alerts"
)

// Herald speaks English, Russian and Ukrainian. Every text a chat reads
// from the bot is in a catalog (go-i18n's bundle): the English source is
// the text tables in the Go files (muteText, sourcesText, …) and the
// command table, under IDs "table.Field" ("mute.Usage") and
// "command.NAME.what"; the translations are locales/ru.json and
// locales/uk.json. Texts are fmt formats: the catalog gives the format in
// the chat's language, fmt fills it (go-i18n's templates are not used, so
// numbers print as typed and "{{" is literal). A test fails on any text
// without a translation, or one whose verbs differ from the English.

// Languages are the languages Herald speaks, English first.
var Languages = []string{"en", "ru", "uk"}

//go:embed locales/*.json
var localeFiles embed.FS

// textTables are the text tables, by the name their IDs start with.
var textTables = map[string]any{
	"command": &commandText, "help": &helpText, "test": &testText, "why": &whyText,
	"button": &buttonText, "query": &queryText, "subscribe": &subscribeText, "unsubscribe": &unsubscribeText,
	"list": &listText, "mute": &muteText, "digest": &digestText, "quiet": &quietText,
	"timezone": &timezoneText, "previews": &previewsText, "clock": &clockText, "format": &formatText,
	"sources": &sourcesText, "export": &exportText, "private": &privateText, "language": &languageText,
	"words": &wordsText, "threads": &threadsText, "month": &monthText, "weekday": &weekdayText,
}

// plurals are the texts with a count, in English (one, other): fmt
// formats whose form go-i18n picks by the count (one/few/many/other in
// Russian and Ukrainian). The comment names each text's arguments; the
// count is the first unless it says otherwise.
var plurals = map[string][2]string{
	"topics":            {"the %d topic", "all %d topics"},
	"digest":            {"Digest: %d new story", "Digest: %d new stories"},
	"heraldDigest":      {"Herald digest: %d story", "Herald digest: %d stories"},
	"moreSubscriptions": {"…and %d more subscription", "…and %d more subscriptions"},
	"andMore":           {"…and %d more story", "…and %d more stories"}, // stories a digest had no room for
	"slowDown":          {"Slow down: at most %d command a minute. Try again in a minute.", "Slow down: at most %d commands a minute. Try again in a minute."},
	// /test: how many articles, the query as read.
	"testNone": {"The last %d article would not have matched %s.", "None of the last %d articles would have matched %s."},
	// /test: how many matched, "lastArticles", the query as read.
	"testSome":     {"%d of %s would have matched %s", "%d of %s would have matched %s"},
	"lastArticles": {"the last %d article", "the last %d articles"},
	// /why: how many are listed, the number asked for.
	"whyNoSuch": {"I can explain the last %d alert here, not alert %d:\n", "I can explain the last %d alerts here, not alert %d. Newest first:\n"},
	// /why: what was typed, how many are listed (the count).
	"whyNotNumber": {"%q is not an alert number. The last %d alert here:\n", "%q is not an alert number. The last %d alerts here, newest first:\n"},
	// /export: how many, the file's name.
	"exportDone":       {"This chat's %d subscription and its settings are in %s. Attach it to /import in another chat to copy them there.", "This chat's %d subscriptions and its settings are in %s. Attach it to /import in another chat to copy them there."},
	"importAdded":      {"%d subscription added", "%d subscriptions added"},
	"importDuplicates": {"%d already here", "%d already here"},
	"importErrors":     {"%d line with errors", "%d lines with errors"},
	"importFull":       {"not added: this chat already follows %d topic, the most allowed", "not added: this chat already follows %d topics, the most allowed"},
	"importTooMany":    {"only the first %d line was read", "only the first %d lines were read"},
	"importRestored":   {"Role pings and mutes restored on %d subscription.", "Role pings and mutes restored on %d subscriptions."},
	"sourcesCount":     {"%d source:\n", "%d sources:\n"},
	"sourcesHidden":    {"(%d more source from the operator and other chats not shown.)", "(%d more sources from the operator and other chats not shown.)"},
	// /subscribe: the query's length, the limit.
	"subscribeTooLong": {"That query is %d character; the limit is %d. Shorten it, or split it into two subscriptions.", "That query is %d characters; the limit is %d. Shorten it, or split it into two subscriptions."},
	"subscribeFull":    {"This chat already follows %d topic, the most allowed. /unsubscribe one first (see /list).", "This chat already follows %d topics, the most allowed. /unsubscribe one first (see /list)."},
	// /unsubscribe all: how many were removed, of how many.
	"unsubscribeSome": {"Unsubscribed from %d of %d topics. These could not be removed, and still deliver:\n", "Unsubscribed from %d of %d topics. These could not be removed, and still deliver:\n"},
	// /list: how many subscriptions, the limit.
	"listHeader": {"This chat follows %d topic (at most %d):\n", "This chat follows %d topics (at most %d):\n"},
	// /list: how many alerts are held, until when.
	"listHeld": {"%d alert held until %s; it arrives then.\n", "%d alerts held until %s; they arrive together then.\n"},
}

var (
	bundleOnce sync.Once
	bundle     *i18n.Bundle
	tableIDs   map[uintptr]string // a table's address → its name
	localized  sync.Map           // lang + name → translated copy of a table
)

// catalog builds the bundle once: the English texts from the code, the
// translations from locales/.
func catalog() *i18n.Bundle {
	bundleOnce.Do(func() {
		b := i18n.NewBundle(language.English)
		b.RegisterUnmarshalFunc("json", json.Unmarshal)
		tableIDs = map[uintptr]string{}
		for name, ptr := range textTables {
			tableIDs[reflect.ValueOf(ptr).Pointer()] = name
			forEachText(name, ptr, func(id, text string) {
				b.MustAddMessages(language.English, &i18n.Message{ID: id, Other: text})
			})
		}
		for _, s := range commandTable() {
			for id, text := range specTexts(s) {
				b.MustAddMessages(language.English, &i18n.Message{ID: id, Other: text})
			}
		}
		for id, forms := range plurals {
			b.MustAddMessages(language.English, &i18n.Message{ID: "plural." + id, One: forms[0], Other: forms[1]})
		}
		for _, l := range Languages[1:] {
			if _, err := b.LoadMessageFileFS(localeFiles, "locales/"+l+".json"); err != nil {
				panic(fmt.Sprintf("bot: locales/%s.json: %v", l, err))
			}
		}
		bundle = b
	})
	return bundle
}

// forEachText calls fn with the ID and text of every string field of the
// table at ptr.
func forEachText(name string, ptr any, fn func(id, text string)) {
	v := reflect.ValueOf(ptr).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.String {
			fn(name+"."+v.Type().Field(i).Name, f.String())
		}
	}
}

// specTexts are a command's texts by ID.
func specTexts(s CommandSpec) map[string]string {
	out := map[string]string{"command." + s.Name + ".description": s.Description}
	if s.Help != "" {
		out["command."+s.Name+".help"] = s.Help
	}
	if s.Usage != "" {
		out["command."+s.Name+".usage"] = s.Usage
	}
	for _, o := range s.Options {
		out["command."+s.Name+".option."+o.Name] = o.Description
	}
	return out
}

// lookup returns the text with id in lang (a plural form for count when
// count >= 0), or ok false when lang has none.
func lookup(lang, id string, count int) (string, bool) {
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateParser: template.IdentityParser{}}
	if count >= 0 {
		cfg.PluralCount = count
	}
	s, tag, err := i18n.NewLocalizer(catalog(), lang).LocalizeWithTag(cfg)
	if err != nil || (lang != "en" && tag.String() != lang) {
		return "", false
	}
	return s, true
}

// tr returns the text with id in lang, falling back to English.
func tr(lang, id string) string {
	if s, ok := lookup(lang, id, -1); ok {
		return s
	}
	s, _ := lookup("en", id, -1)
	return s
}

// trPlural formats the plural text id for n in lang.
func trPlural(lang, id string, n int) string { return pluralf(lang, id, n, n) }

// pluralf formats the plural text id in lang, its form picked by count n,
// with args (the count among them, where the text shows it).
func pluralf(lang, id string, n int, args ...any) string {
	s, ok := lookup(lang, "plural."+id, n)
	if !ok {
		s, _ = lookup("en", "plural."+id, n)
	}
	return fmt.Sprintf(s, args...)
}

// texts returns the table at ptr in lang: a copy whose strings are the
// translations (English where one is missing). Tables are read-only, so
// the copies are made once per language.
func texts[T any](lang string, ptr *T) T {
	if lang == "" || lang == "en" {
		return *ptr
	}
	catalog()
	name := tableIDs[reflect.ValueOf(ptr).Pointer()]
	key := lang + "/" + name
	if v, ok := localized.Load(key); ok {
		return v.(T)
	}
	out := *ptr
	v := reflect.ValueOf(&out).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.String {
			if s, ok := lookup(lang, name+"."+v.Type().Field(i).Name, -1); ok {
				f.SetString(s)
			}
		}
	}
	localized.Store(key, out)
	return out
}

// matchLanguage picks the language Herald speaks for a BCP 47 tag from a
// platform ("ru", "uk-UA", "en-GB"), or "" for none of them.
func matchLanguage(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	base, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	for _, l := range Languages {
		if base == l {
			return l
		}
	}
	return ""
}

// chatLanguage is the language a chat is spoken to in: its /language
// choice, else the language of whoever spoke, else the last one seen
// there, else English.
func chatLanguage(t alerts.Target, spoken string) string {
	for _, l := range []string{t.Settings.Language, spoken, t.Lang} {
		if m := matchLanguage(l); m != "" {
			return m
		}
	}
	return "en"
}

// TargetLanguage is the language alerts to t are written in: its
// /language choice, else the last one spoken there, else English.
func TargetLanguage(t alerts.Target) string { return chatLanguage(t, "") }

// CommandSpecsIn returns the command table with its descriptions in lang,
// for platforms that register menus per language.
func CommandSpecsIn(lang string) []CommandSpec {
	specs := commandTable()
	for i := range specs {
		s := &specs[i]
		s.Description = tr(lang, "command."+s.Name+".description")
		if s.Help != "" {
			s.Help = tr(lang, "command."+s.Name+".help")
		}
		if s.Usage != "" {
			s.Usage = tr(lang, "command."+s.Name+".usage")
		}
		s.Options = append([]OptionSpec(nil), s.Options...)
		for j := range s.Options {
			s.Options[j].Description = tr(lang, "command."+s.Name+".option."+s.Options[j].Name)
		}
	}
	return specs
}

// Text returns an English text of the bot's, such as a button's label, in
// lang, for adapters.
func Text(lang, english string) string {
	if lang == "" || lang == "en" {
		return english
	}
	if id, ok := englishByText()[english]; ok {
		return tr(lang, id)
	}
	return english
}

var (
	englishOnce sync.Once
	englishIDs  map[string]string // English text → ID of the words table
)

func englishByText() map[string]string {
	englishOnce.Do(func() {
		englishIDs = map[string]string{}
		forEachText("words", &wordsText, func(id, text string) { englishIDs[text] = id })
	})
	return englishIDs
}

// catalogIDs returns every ID with its English text, sorted, for tests.
func catalogIDs() [][2]string {
	var out [][2]string
	for name, ptr := range textTables {
		forEachText(name, ptr, func(id, text string) { out = append(out, [2]string{id, text}) })
	}
	for _, s := range commandTable() {
		for id, text := range specTexts(s) {
			out = append(out, [2]string{id, text})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
