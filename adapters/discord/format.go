package discord

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits),
// counted here in UTF-16 units as Discord's clients count them, with a
// margin below each.
const (
	maxTitle       = 256 - 6
	maxDescription = 4096 - 96
	maxFieldName   = 256 - 6
	maxFieldValue  = 1024 - 24
	maxFooter      = 2048 - 48
	maxEmbedTotal  = 6000 - 200
	maxContent     = 2000 - 50
	maxURL         = 2000
	maxCustomID    = 100
	maxLabel       = 80
	maxButtonsRow  = 5
	maxRows        = 5
	ellipsis       = "…"
)

// palette colours alerts by subscription, so a channel following several
// topics tells them apart at a glance.
var palette = []int{
	0x5865F2, 0x57F287, 0xFEE75C, 0xEB459E, 0xED4245,
	0x3498DB, 0xE67E22, 0x1ABC9C, 0x9B59B6, 0x95A5A6,
}

// noMentions is the allowed_mentions of every message: an explicit empty
// parse list, so nothing in it pings anyone.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// u16len is the length of s as Discord counts it.
func u16len(s string) int {
	n := 0
	for _, r := range s {
		n += runeUnits(r)
	}
	return n
}

func runeUnits(r rune) int {
	if l := utf16.RuneLen(r); l > 0 {
		return l
	}
	return 1
}

// clean makes article text safe to measure: valid UTF-8, no control
// characters but newlines (none at all when single-line).
func clean(s string, singleLine bool) string {
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && !singleLine:
			return r
		case r == '\n' || r == '\t' || r == '\r':
			return ' '
		case unicode.IsControl(r) || r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
}

// escapeRune escapes one rune for Discord markdown: formatting characters
// get a backslash, and so do line-start markers (headings, quotes, lists);
// "@" is followed by a zero-width space so @everyone, @here, <@id> and
// <@&id> are inert text.
func escapeRune(r rune, lineStart bool) string {
	switch {
	case strings.ContainsRune("\\*_~`|[]", r):
		return `\` + string(r)
	case lineStart && strings.ContainsRune("#>-+", r):
		return `\` + string(r)
	case r == '@':
		return "@\u200b"
	}
	return string(r)
}

// escape escapes text for Discord markdown.
func escape(s string) string {
	return escapeFit(s, -1, false)
}

// escapeFit escapes s and, when max >= 0, cuts it at a rune of s so the
// result is at most max UTF-16 units including the ellipsis. It stops
// reading s once max is passed.
func escapeFit(s string, max int, singleLine bool) string {
	s = clean(s, singleLine)
	if max >= 0 {
		s = strings.TrimSpace(s)
	}
	var b strings.Builder
	n, cut := 0, -1 // cut: b's length when the ellipsis still fit after it
	lineStart := true
	for _, r := range s {
		p := escapeRune(r, lineStart)
		w := u16len(p)
		if max >= 0 {
			if cut < 0 && n+w+u16len(ellipsis) > max {
				cut = b.Len()
			}
			if n+w > max {
				return strings.TrimRightFunc(b.String()[:cut], unicode.IsSpace) + ellipsis
			}
		}
		b.WriteString(p)
		n += w
		if r == '\n' {
			lineStart = true
		} else if r != ' ' {
			lineStart = false
		}
	}
	return b.String()
}

// fit cuts plain text to at most max UTF-16 units.
func fit(s string, max int) string {
	if u16len(s) <= max {
		return s
	}
	var b strings.Builder
	n := u16len(ellipsis)
	for _, r := range s {
		if n+runeUnits(r) > max {
			break
		}
		b.WriteRune(r)
		n += runeUnits(r)
	}
	return b.String() + ellipsis
}

// plain neutralises mentions in text shown without markdown (footers,
// button labels).
func plain(s string, max int) string {
	return fit(strings.ReplaceAll(clean(s, true), "@", "@\u200b"), max)
}

// linkURL returns u if Discord accepts it as an embed or markdown link.
func linkURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || len(u) > maxURL {
		return ""
	}
	s := p.String()
	// In a markdown link a parenthesis or space would end the URL.
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(s)
}

// colour is the colour of the alert's first subscription.
func colour(a alerts.Alert) int {
	if len(a.Matches) == 0 {
		return palette[0]
	}
	return palette[a.Matches[0].Sub%uint64(len(palette))]
}

func when(a alerts.Article) string {
	t := a.Published
	if t.IsZero() {
		t = a.Ingested
	}
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// sourceLine names where an article came from: the cited outlet and the
// feed, once each.
func sourceLine(a alerts.Article) string {
	switch {
	case a.Outlet != "" && a.Source != "" && !strings.EqualFold(a.Outlet, a.Source):
		return a.Outlet + " · " + a.Source
	case a.Outlet != "":
		return a.Outlet
	}
	return a.Source
}

// matchedLines lists, per subscription, the terms that fired.
func matchedLines(ms []alerts.Match, w bot.Words) string {
	var lines []string
	for _, m := range ms {
		var terms []string
		seen := map[string]bool{}
		for _, t := range m.Terms {
			s := t.Term
			if t.Matched != "" && !strings.EqualFold(t.Matched, strings.Trim(t.Term, `"`)) {
				s += " → " + t.Matched
			}
			if t.Field == alerts.FieldTitle {
				s += " " + w.InTitle
			}
			if !seen[s] {
				seen[s] = true
				terms = append(terms, s)
			}
		}
		line := fmt.Sprintf("%s (#%d)", m.Query, m.Sub)
		if len(terms) > 0 {
			line += ": " + strings.Join(terms, ", ")
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func summaryOf(a alerts.Article) string {
	if a.Summary != "" {
		return a.Summary
	}
	return a.Body
}

// embedSize is what Discord counts toward the 6,000 limit.
func embedSize(e *discordgo.MessageEmbed) int {
	n := u16len(e.Title) + u16len(e.Description)
	for _, f := range e.Fields {
		n += u16len(f.Name) + u16len(f.Value)
	}
	if e.Footer != nil {
		n += u16len(e.Footer.Text)
	}
	if e.Author != nil {
		n += u16len(e.Author.Name)
	}
	return n
}

// formatAlert renders one alert: linked title, summary, matched terms, the
// other outlets, source and time, in the subscription's colour, with the
// headings in w's language. The time is the embed's timestamp, which each
// reader's client shows in their own language and zone.
func formatAlert(a alerts.Alert, w bot.Words) *discordgo.MessageEmbed {
	art := a.Article
	title := art.Title
	if strings.TrimSpace(title) == "" {
		title = w.Untitled
	}
	e := &discordgo.MessageEmbed{
		Type:      discordgo.EmbedTypeRich,
		Title:     escapeFit(title, maxTitle, true),
		URL:       linkURL(art.URL),
		Color:     colour(a),
		Timestamp: when(art),
	}
	if src := sourceLine(art); src != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: plain(src, 200)}
	}
	if m := matchedLines(a.Matches, w); m != "" {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: w.Matched, Value: escapeFit(m, maxFieldValue, false)})
	}
	if len(a.Sources) > 1 {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: w.AlsoReportedBy,
			Value: escapeFit(strings.Join(a.Sources[1:], ", "), maxFieldValue, true)})
	}
	budget := min(maxDescription, maxEmbedTotal-embedSize(e))
	if s := summaryOf(art); strings.TrimSpace(s) != "" && budget > 10 {
		e.Description = escapeFit(s, budget, false)
	}
	return e
}

// formatDigest renders several alerts as one embed: a line per story, as
// many as fit, then how many more there were.
func formatDigest(as []alerts.Alert, w bot.Words) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Type:  discordgo.EmbedTypeRich,
		Title: w.HeraldDigest(len(as)),
		Color: palette[0],
	}
	if len(as) > 0 {
		e.Color = colour(as[0])
		e.Timestamp = when(as[len(as)-1].Article)
	}
	budget := min(maxDescription, maxEmbedTotal-embedSize(e))
	var b strings.Builder
	n := 0
	for k, a := range as {
		line := digestLine(a, w)
		more := ""
		if rest := len(as) - k - 1; rest > 0 {
			more = w.AndMore(rest)
		}
		if n+u16len(line)+1+u16len(more) > budget {
			b.WriteString(escape(w.AndMore(len(as) - k)))
			break
		}
		b.WriteString(line)
		b.WriteString("\n")
		n += u16len(line) + 1
	}
	e.Description = strings.TrimRight(b.String(), "\n")
	return e
}

// digestLine is one story of a digest: the linked title, the source and
// the subscriptions that matched.
func digestLine(a alerts.Alert, w bot.Words) string {
	title := a.Article.Title
	if strings.TrimSpace(title) == "" {
		title = w.Untitled
	}
	t := escapeFit(title, 200, true)
	if u := linkURL(a.Article.URL); u != "" {
		t = "[" + t + "](" + u + ")"
	}
	line := "• **" + t + "**"
	if src := sourceLine(a.Article); src != "" {
		line += " — " + escapeFit(src, 80, true)
	}
	var qs []string
	for _, m := range a.Matches {
		qs = append(qs, fmt.Sprintf("#%d", m.Sub))
	}
	if len(qs) > 0 {
		line += " (" + strings.Join(qs, ", ") + ")"
	}
	return line
}

// components turns alert buttons into action rows of custom_id "h:<token>".
func components(bs []bot.MessageButton) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	var row discordgo.ActionsRow
	for _, b := range bs {
		id := buttonPrefix + b.Token
		if b.Token == "" || len(id) > maxCustomID {
			continue
		}
		label := plain(b.Label, maxLabel)
		if label == "" {
			label = string(b.Action)
		}
		row.Components = append(row.Components, discordgo.Button{
			Label: label, Style: discordgo.SecondaryButton, CustomID: id})
		if len(row.Components) == maxButtonsRow {
			rows = append(rows, row)
			row = discordgo.ActionsRow{}
		}
	}
	if len(row.Components) > 0 {
		rows = append(rows, row)
	}
	if len(rows) > maxRows {
		rows = rows[:maxRows]
	}
	return rows
}

// format renders a message as one embed and its buttons, the layout's
// own words in lang.
func format(m bot.Message, lang string) (*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	w := bot.WordsIn(lang)
	if m.Kind == alerts.DeliverDigest || len(m.Alerts) > 1 {
		return formatDigest(m.Alerts, w), nil
	}
	if len(m.Alerts) == 0 {
		return formatDigest(nil, w), nil
	}
	return formatAlert(m.Alerts[0], w), components(m.Buttons)
}

// splitText cuts a command reply into messages of at most max units,
// at line breaks where it can.
func splitText(text string, max int) []string {
	text = escape(text)
	if strings.TrimSpace(text) == "" {
		return []string{"Done."}
	}
	var parts []string
	for u16len(text) > max {
		cut := fit(text, max-1)
		cut = strings.TrimSuffix(cut, ellipsis)
		if i := strings.LastIndexByte(cut, '\n'); i > max/2 {
			cut = cut[:i]
		} else if strings.HasSuffix(cut, `\`) {
			cut = cut[:len(cut)-1] // don't split an escape
		}
		parts = append(parts, cut)
		text = strings.TrimLeft(text[len(cut):], "\n")
	}
	return append(parts, text)
}
