package bot

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
)

// formatText holds the replies of /format.
var formatText = struct {
	Default   string // the placeholders
	Custom    string // the template, the placeholders
	Preview   string
	Bad       string // the parse error, the placeholders
	Set       string
	Reset     string
	SampleTtl string
	SampleSum string
	SampleSrc string
}{
	Default:   "This chat's alerts use Herald's layout. Set your own with /format and a template using %s, e.g. /format {title} ({source})\\n{summary}",
	Custom:    "This chat's alerts use the template:\n%s\nPlaceholders: %s. /format default goes back to Herald's layout.",
	Preview:   "An alert looks like this:",
	Bad:       "I can't use that template: %v.\nPlaceholders: %s; write \\n for a new line and {{ or }} for a brace.",
	Set:       "Alerts here now use your template. An alert looks like this:",
	Reset:     "Alerts here use Herald's layout again.",
	SampleTtl: "Ceasefire talks resume in Geneva",
	SampleSum: "Envoys agreed to resume talks on Monday, officials said, after a week of shelling along the front line.",
	SampleSrc: "Herald sample",
}

func placeholderList() string {
	parts := make([]string, len(alerts.Placeholders))
	for i, p := range alerts.Placeholders {
		parts[i] = "{" + p + "}"
	}
	return strings.Join(parts, " ")
}

// cmdFormat shows, sets or resets the chat's alert template. Herald
// escapes what the template writes and renders every placeholder itself,
// so no template can break a message's markup or ping anyone.
func (b *Bot) cmdFormat(c *call) Reply {
	formatText := texts(c.lang, &formatText)
	t, arg := c.target, strings.TrimSpace(c.args)
	switch {
	case arg == "":
		if t.Settings.Format == "" {
			return Reply{Text: fmt.Sprintf(formatText.Default, placeholderList()), Preview: b.formatPreview(c.lang, t, c.now)}
		}
		return Reply{Text: fmt.Sprintf(formatText.Custom, t.Settings.Format, placeholderList()) + "\n" + formatText.Preview,
			Preview: b.formatPreview(c.lang, t, c.now)}
	case strings.EqualFold(arg, "default"), strings.EqualFold(arg, "reset"), strings.EqualFold(arg, "off"):
		t.Settings.Format = ""
		if err := b.saveSettings(t); err != nil {
			return b.storeTrouble(c.lang, err)
		}
		return Reply{Text: formatText.Reset}
	}
	if _, err := alerts.ParseTemplate(arg); err != nil {
		return Reply{Text: fmt.Sprintf(formatText.Bad, err, placeholderList())}
	}
	t.Settings.Format = arg
	if err := b.saveSettings(t); err != nil {
		return b.storeTrouble(c.lang, err)
	}
	return Reply{Text: formatText.Set, Preview: b.formatPreview(c.lang, t, c.now)}
}

// formatPreview is the chat's last alert, or else the newest article, or
// else a sample, as the chat would receive it now.
func (b *Bot) formatPreview(lang string, t alerts.Target, now time.Time) *Preview {
	formatText := texts(lang, &formatText)
	var al alerts.Alert
	if s, err := b.store.LastSent(t.ID); err == nil {
		al = s.Alert
	} else {
		if !errors.Is(err, alerts.ErrNotFound) {
			b.log.Warn("Last alert not read for a preview", "target", t.ID, "err", err)
		}
		art := alerts.Article{Title: formatText.SampleTtl, Summary: formatText.SampleSum, Source: formatText.SampleSrc,
			URL: "https://example.com/ceasefire-talks", Published: now.Add(-5 * time.Minute)}
		if recent, err := b.store.RecentArticles(1); err == nil && len(recent) == 1 {
			art = recent[0]
		}
		al = alerts.Alert{Target: t.ID, Story: art.ID, Article: art, Matches: []alerts.Match{{Query: "ceasefire"}}}
		if a := art.Summary; a == "" {
			al.Article.Summary = b.summarize(art.Title, art.Body)
		}
	}
	return &Preview{Target: t, Message: Message{Kind: alerts.DeliverAlert, Alerts: []alerts.Alert{al}}}
}
