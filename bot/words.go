package bot

import (
	"reflect"
	"strings"
	"time"
)

// The fixed words of Herald's own alert layouts and the dates in them,
// in a chat's language, for the platforms' formatters (Words). Like
// every text, they are in the catalog (i18n.go); month and weekday names
// are too, as neither the standard library nor x/text formats dates in
// another language.

// wordsText holds the words of alerts that platforms render (button
// labels, headings), which adapters translate with Text or WordsIn.
var wordsText = struct {
	Mute, Unsubscribe, Why, AlsoReportedBy, Matched, Untitled, NoFile string
	Via                                                               string // between an outlet and the feed that carried it
	InTitle                                                           string // after a term that matched in the title
	Empty                                                             string
}{
	Mute:           "Mute 8h",
	Unsubscribe:    "Unsubscribe",
	Why:            "Why?",
	AlsoReportedBy: "Also reported by",
	Matched:        "Matched",
	Untitled:       "(untitled)",
	NoFile:         "I could not read that file: ",
	Via:            "via",
	InTitle:        "(title)",
	Empty:          "(empty alert)",
}

// monthText holds the months' short names, as a date shows them ("7 Dec").
var monthText = struct{ Jan, Feb, Mar, Apr, May, Jun, Jul, Aug, Sep, Oct, Nov, Dec string }{
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
}

// weekdayText holds the weekdays' short names, Sunday first as in Go's
// time.Weekday.
var weekdayText = struct{ Sun, Mon, Tue, Wed, Thu, Fri, Sat string }{
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
}

// Words are the fixed words of Herald's alert layouts in one language,
// as WordsIn returns them.
type Words struct {
	Lang string
	// AlsoReportedBy heads the other outlets of a story.
	AlsoReportedBy string
	// Matched heads the subscriptions an alert matched.
	Matched string
	// Untitled stands for an article without a title.
	Untitled string
	// Via joins an outlet and the feed that carried it.
	Via string
	// InTitle follows a term that matched in the title.
	InTitle string
	// Empty stands for a message without alerts.
	Empty string
}

// WordsIn returns the words of alerts in lang ("en", "ru", "uk"; anything
// else is English).
func WordsIn(lang string) Words {
	lang = matchLanguage(lang)
	w := texts(lang, &wordsText)
	return Words{Lang: lang, AlsoReportedBy: w.AlsoReportedBy, Matched: w.Matched, Untitled: w.Untitled,
		Via: w.Via, InTitle: w.InTitle, Empty: w.Empty}
}

// Digest is the title of a digest of n stories: "Digest: 3 new stories".
func (w Words) Digest(n int) string { return trPlural(w.lang(), "digest", n) }

// HeraldDigest is a digest's title where it stands alone (a Discord
// embed): "Herald digest: 3 stories".
func (w Words) HeraldDigest(n int) string { return trPlural(w.lang(), "heraldDigest", n) }

// AndMore counts the stories a digest had no room for: "…and 3 more stories".
func (w Words) AndMore(n int) string { return trPlural(w.lang(), "andMore", n) }

// MoreSubscriptions counts the subscriptions an alert has no room to
// list: "…and 3 more subscriptions".
func (w Words) MoreSubscriptions(n int) string { return trPlural(w.lang(), "moreSubscriptions", n) }

// Time formats t with a Go layout whose short month ("Jan") and weekday
// ("Mon") names are in the words' language: "7 Dec 08:00 UTC" reads
// "7 дек. 08:00 UTC" in Russian.
func (w Words) Time(t time.Time, layout string) string {
	return formatTime(w.lang(), t, layout)
}

func (w Words) lang() string {
	if w.Lang == "" {
		return "en"
	}
	return w.Lang
}

// formatTime is time.Format with the short month and weekday names of
// lang. The names go in after formatting, in place of bytes a layout
// never prints, so no translated name is read as a layout element.
func formatTime(lang string, t time.Time, layout string) string {
	if lang == "" || lang == "en" {
		return t.Format(layout)
	}
	const month, weekday = "\x01", "\x02"
	// Long names ("January", "Monday") are left to Go: the catalog holds
	// the short ones, which are all Herald's layouts use.
	if strings.Contains(layout, "January") || strings.Contains(layout, "Monday") {
		return t.Format(layout)
	}
	layout = strings.ReplaceAll(strings.ReplaceAll(layout, "Jan", month), "Mon", weekday)
	out := t.Format(layout)
	if strings.Contains(out, month) {
		out = strings.ReplaceAll(out, month, fieldOf(texts(lang, &monthText), int(t.Month())-1))
	}
	if strings.Contains(out, weekday) {
		out = strings.ReplaceAll(out, weekday, fieldOf(texts(lang, &weekdayText), int(t.Weekday())))
	}
	return out
}

// fieldOf is the i-th string of a text table.
func fieldOf(table any, i int) string { return reflect.ValueOf(table).Field(i).String() }
