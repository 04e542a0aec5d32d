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
	loc := t.Settings.Location()
	tpl := t.Settings.Template()
	if tpl.IsZero() || m.Kind == alerts.DeliverDigest || len(m.Alerts) != 1 {
		return format(m, loc)
	}
	return FormatTemplate(m.Alerts[0], tpl, loc, bot.TargetLanguage(t), MaxMessageLen)
}

// FormatTemplate renders one alert with a chat's template as Telegram
// HTML of at most max visible characters: the template's own text is
// escaped, {title} is the bold title linked to the article, every value
// is escaped, and "Also reported by" follows when more outlets joined.
func FormatTemplate(al alerts.Alert, tpl alerts.Template, loc *time.Location, lang string, max int) string {
	values := alerts.TemplateValues(al)
	art := al.Article
	when := art.Published
	if when.IsZero() {
		when = art.Ingested
	}
	if !when.IsZero() {
		values[alerts.PlaceholderTime] = when.In(loc).Format("2 Jan 15:04 MST")
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
		also = "\n<i>" + escape(truncate(bot.Text(lang, "Also reported by")+" "+a, maxAlsoLine)) + "</i>"
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
		return format(bot.Message{Kind: alerts.DeliverAlert, Alerts: []alerts.Alert{al}}, loc)
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
