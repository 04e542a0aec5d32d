package discord

import (
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// renderFor builds a message for a channel: its own template (/format)
// for a single alert, Herald's layout otherwise (digests keep theirs).
func renderFor(t alerts.Target, m bot.Message) (*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	tpl := t.Settings.Template()
	lang := bot.TargetLanguage(t)
	if len(m.Buttons) > 0 {
		bs := make([]bot.MessageButton, len(m.Buttons))
		for i, b := range m.Buttons {
			b.Label = bot.Text(lang, b.Label)
			bs[i] = b
		}
		m.Buttons = bs
	}
	if tpl.IsZero() || m.Kind == alerts.DeliverDigest || len(m.Alerts) != 1 {
		return format(m, lang)
	}
	return templateEmbed(m.Alerts[0], tpl, bot.WordsIn(lang)), components(m.Buttons)
}

// templateEmbed renders one alert with a chat's template as the embed's
// description, within Discord's limits: the template's own text and every
// value are markdown-escaped (mentions inert), {title} is a bold link to
// the article, {url} a bare link, and {time} a Discord timestamp each
// reader sees in their own zone. The colour, time and the other outlets
// stay Herald's.
func templateEmbed(a alerts.Alert, tpl alerts.Template, w bot.Words) *discordgo.MessageEmbed {
	art := a.Article
	e := &discordgo.MessageEmbed{Type: discordgo.EmbedTypeRich, Color: colour(a), Timestamp: when(art)}
	if len(a.Sources) > 1 {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: w.AlsoReportedBy,
			Value: escapeFit(strings.Join(a.Sources[1:], ", "), maxFieldValue, true)})
	}
	values := alerts.TemplateValues(a)
	t := art.Published
	if t.IsZero() {
		t = art.Ingested
	}
	if !t.IsZero() {
		values[alerts.PlaceholderTime] = fmt.Sprintf("<t:%d:f>", t.Unix())
	}
	link := linkURL(art.URL)
	values[alerts.PlaceholderURL] = link
	piece := func(s alerts.Segment) string {
		switch {
		case s.Text == "":
			return ""
		case s.Field == alerts.PlaceholderTitle && link != "":
			return "**[" + escape(clean(s.Text, true)) + "](" + link + ")**"
		case s.Field == alerts.PlaceholderTitle:
			return "**" + escape(clean(s.Text, true)) + "**"
		case s.Field == alerts.PlaceholderURL, s.Field == alerts.PlaceholderTime:
			return s.Text // made here, not article text
		case s.Field == alerts.PlaceholderSummary || s.Field == "":
			return escape(s.Text)
		}
		return escape(clean(s.Text, true))
	}
	budget := min(maxDescription, maxEmbedTotal-embedSize(e))
	var b strings.Builder
	for _, s := range tpl.Expand(values, budget, func(s alerts.Segment) int { return u16len(piece(s)) }) {
		b.WriteString(piece(s))
	}
	e.Description = strings.TrimSpace(b.String())
	if e.Description == "" {
		return formatAlert(a, w)
	}
	return e
}
