package telegram

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// formatFor renders a message for a chat: its own template (/format) for
// a single alert, Herald's layout otherwise (digests keep theirs).
func formatFor(t alerts.Target, m bot.Message) string {
	loc, lang := t.Settings.Location(), bot.TargetLanguage(t)
	tpl := t.Settings.Template()
	if tpl.IsZero() || m.Kind == alerts.DeliverDigest || len(m.Alerts) != 1 {
		return format(m, loc, lang)
	}
	return formatTemplate(m.Alerts[0], tpl, loc, lang, MaxMessageLen)
}

// formatTemplate renders one alert with a chat's template as Telegram
// HTML of at most max visible characters: the template's own text is
// escaped, {title} is the bold title linked to the article, every value
// is escaped, and "Also reported by" follows when more outlets joined.
func formatTemplate(al alerts.Alert, tpl alerts.Template, loc *time.Location, lang string, max int) string {
	w := bot.WordsIn(lang)
	values := alerts.TemplateValues(al)
	art := al.Article
	when := art.Published
	if when.IsZero() {
		when = art.Ingested
	}
	if !when.IsZero() {
		values[alerts.PlaceholderTime] = w.Time(when.In(loc), dateLayout)
	}
	for k, v := range values {
		if k == alerts.PlaceholderSummary {
			values[k] = cleanText(v)
		} else {
			values[k] = cleanLine(v)
		}
	}
	var also string
	if a := alsoReported(al); a != "" {
		also = "\n<i>" + escape(truncate(w.AlsoReportedBy+" "+a, maxAlsoLine)) + "</i>"
	}
	segs := tpl.Expand(values, max-visibleLen(also), func(s alerts.Segment) int { return utf16Len(s.Text) })
	var b strings.Builder
	for _, s := range segs {
		switch {
		case s.Field == alerts.PlaceholderTitle && s.Text != "":
			t := "<b>" + escape(s.Text) + "</b>"
			if u := webURL(art.URL); u != "" {
				t = `<b><a href="` + escape(u) + `">` + escape(s.Text) + `</a></b>`
			}
			b.WriteString(t)
		default:
			b.WriteString(escape(s.Text))
		}
	}
	out := strings.TrimSpace(b.String())
	if out == "" {
		// A template whose values are all empty still says what came.
		return format(bot.Message{Kind: alerts.DeliverAlert, Alerts: []alerts.Alert{al}}, loc, lang)
	}
	return out + also
}

// imagePreview is the link_preview_options that show a single alert's
// picture as the message's large preview, above its text, or "" when
// the article has none a platform may be given (alerts.ImageURL). A
// large preview rather than a photo: the text keeps its 4,096 characters
// (a caption has 1,024) and a story's update stays an editMessageText.
func imagePreview(m bot.Message) string {
	if m.Kind == alerts.DeliverDigest || len(m.Alerts) != 1 {
		return ""
	}
	u := alerts.ImageURL(m.Alerts[0].Article.Image)
	if u == "" {
		return ""
	}
	b, err := json.Marshal(struct {
		URL              string `json:"url"`
		PreferLargeMedia bool   `json:"prefer_large_media"`
		ShowAboveText    bool   `json:"show_above_text"`
	}{u, true, true})
	if err != nil {
		return ""
	}
	return string(b)
}
