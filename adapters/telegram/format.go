package telegram

import (
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// MaxMessageLen is the most characters a message may have after entity
// parsing, in UTF-16 code units.
// https://core.telegram.org/bots/api#sendmessage
const MaxMessageLen = 4096

// Field budgets, in UTF-16 code units of visible text. Their sum stays
// under MaxMessageLen; Format still checks the total.
const (
	maxTitle      = 400
	maxSourceLine = 200
	maxSummary    = 1200
	maxMatchLine  = 300
	maxMatchLines = 5
	maxAlsoLine   = 400
	maxDigestItem = 300
)

// dateLayout is how an alert shows its article's time, with the month's
// name in the chat's language (bot.Words.Time).
const dateLayout = "2 Jan 15:04 MST"

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// escape makes text safe anywhere in Telegram HTML, attribute values
// included (tgbotapi.EscapeText leaves '"' alone).
func escape(s string) string { return htmlEscaper.Replace(s) }

// format renders an alert or a digest as Telegram HTML: only <b>, <i>,
// <code> and <a href>, every piece of article text escaped, at most
// MaxMessageLen visible characters. Times are shown in loc, and the
// layout's own words and dates in lang.
func format(m bot.Message, loc *time.Location, lang string) string {
	if loc == nil {
		loc = time.UTC
	}
	w := bot.WordsIn(lang)
	if m.Kind == alerts.DeliverDigest || len(m.Alerts) > 1 {
		return formatDigest(m.Alerts, loc, w)
	}
	if len(m.Alerts) == 0 {
		return w.Empty
	}
	return formatAlert(m.Alerts[0], loc, w)
}

func formatAlert(al alerts.Alert, loc *time.Location, w bot.Words) string {
	art := al.Article
	summary := cleanText(art.Summary)
	if summary == "" {
		summary = cleanText(art.Body)
	}
	head := titleHTML(art, maxTitle, true, w)
	var tail strings.Builder
	if line := sourceLine(art, loc, w); line != "" {
		tail.WriteString("\n<i>" + escape(truncate(line, maxSourceLine)) + "</i>")
	}
	var rest strings.Builder
	if lines := matchLines(al.Matches, w); len(lines) > 0 {
		rest.WriteString("\n")
		for _, l := range lines {
			rest.WriteString("\n" + l)
		}
	}
	if also := alsoReported(al); also != "" {
		rest.WriteString("\n<i>" + escape(truncate(w.AlsoReportedBy+" "+also, maxAlsoLine)) + "</i>")
	}
	budget := maxSummary
	for {
		var b strings.Builder
		b.WriteString(head)
		b.WriteString(tail.String())
		if s := truncate(summary, budget); s != "" {
			b.WriteString("\n\n" + escape(s))
		}
		b.WriteString(rest.String())
		out := b.String()
		over := visibleLen(out) - MaxMessageLen
		if over <= 0 || budget == 0 {
			return out
		}
		budget = max(0, budget-over)
	}
}

// titleHTML is the bold title, linked when the article has a web address.
func titleHTML(art alerts.Article, limit int, bold bool, w bot.Words) string {
	title := cleanLine(art.Title)
	if title == "" {
		title = w.Untitled
	}
	t := escape(truncate(title, limit))
	if u := webURL(art.URL); u != "" {
		t = `<a href="` + escape(u) + `">` + t + `</a>`
	}
	if bold {
		t = "<b>" + t + "</b>"
	}
	return t
}

// webURL returns u if it is an absolute http(s) address Telegram will
// accept in a link, else "".
func webURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || !utf8.ValidString(u) || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

// sourceLine is "Outlet via source · 25 Nov 10:04 UTC", in w's language.
func sourceLine(art alerts.Article, loc *time.Location, w bot.Words) string {
	var parts []string
	src, outlet := cleanLine(art.Source), cleanLine(art.Outlet)
	switch {
	case outlet != "" && src != "" && !strings.EqualFold(outlet, src):
		parts = append(parts, outlet+" "+w.Via+" "+src)
	case outlet != "":
		parts = append(parts, outlet)
	case src != "":
		parts = append(parts, src)
	}
	when := art.Published
	if when.IsZero() {
		when = art.Ingested
	}
	if !when.IsZero() {
		parts = append(parts, w.Time(when.In(loc), dateLayout))
	}
	return strings.Join(parts, " · ")
}

// matchLines says which queries matched and which of their terms fired.
func matchLines(ms []alerts.Match, w bot.Words) []string {
	var out []string
	for i, m := range ms {
		if i == maxMatchLines {
			out = append(out, escape(w.MoreSubscriptions(len(ms)-i)))
			break
		}
		var terms []string
		seen := map[string]bool{}
		for _, t := range m.Terms {
			s := cleanLine(t.Term)
			if mt := cleanLine(t.Matched); mt != "" && !strings.EqualFold(mt, s) {
				s += " → " + mt
			}
			if s != "" && !seen[s] && !strings.EqualFold(s, cleanLine(m.Query)) {
				seen[s] = true
				terms = append(terms, s)
			}
		}
		q := truncate(cleanLine(m.Query), maxMatchLine/2)
		line := "🔎 <code>" + escape(q) + "</code>"
		if len(terms) > 0 {
			line += " " + escape(truncate(strings.Join(terms, ", "), maxMatchLine-utf16Len(q)-3))
		}
		out = append(out, line)
	}
	return out
}

// alsoReported lists the story's other outlets, or "" when it has one.
func alsoReported(al alerts.Alert) string {
	if len(al.Sources) < 2 {
		return ""
	}
	own := map[string]bool{
		strings.ToLower(cleanLine(al.Article.Source)): true,
		strings.ToLower(cleanLine(al.Article.Outlet)): true,
	}
	var others []string
	for _, s := range al.Sources {
		s = cleanLine(s)
		if s != "" && !own[strings.ToLower(s)] {
			own[strings.ToLower(s)] = true
			others = append(others, s)
		}
	}
	return strings.Join(others, ", ")
}

func formatDigest(as []alerts.Alert, loc *time.Location, w bot.Words) string {
	var b strings.Builder
	b.WriteString("<b>" + escape(w.Digest(len(as))) + "</b>")
	used := visibleLen(b.String())
	const reserve = 40 // room for "…and N more."
	for i, al := range as {
		item := "\n\n• " + titleHTML(al.Article, maxDigestItem/2, false, w)
		var meta []string
		if line := sourceLine(al.Article, loc, w); line != "" {
			meta = append(meta, line)
		}
		var qs []string
		for _, m := range al.Matches {
			qs = append(qs, cleanLine(m.Query))
		}
		if len(qs) > 0 {
			meta = append(meta, "🔎 "+strings.Join(qs, ", "))
		}
		if len(meta) > 0 {
			item += "\n<i>" + escape(truncate(strings.Join(meta, " · "), maxDigestItem/2)) + "</i>"
		}
		n := visibleLen(item)
		if used+n > MaxMessageLen-reserve {
			b.WriteString(escape("\n\n" + w.AndMore(len(as)-i) + "."))
			break
		}
		b.WriteString(item)
		used += n
	}
	return b.String()
}

// cleanText makes article text safe to send: valid UTF-8, no control
// characters but newlines, no runs of blank lines.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	lines := strings.Split(s, "\n")
	var out []string
	blank := false
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// cleanLine is cleanText on one line.
func cleanLine(s string) string {
	return strings.Join(strings.Fields(cleanText(s)), " ")
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// truncate cuts s to at most max UTF-16 code units, at a rune boundary and
// preferably at a space, ending with "…".
func truncate(s string, max int) string {
	if utf16Len(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	n, cut := 0, 0
	for i, r := range s {
		if n+utf16.RuneLen(r) > max-1 {
			break
		}
		n += utf16.RuneLen(r)
		cut = i + len(string(r))
	}
	head := s[:cut]
	midWord := s[cut] != ' ' && s[cut] != '\n'
	if sp := strings.LastIndexAny(head, " \n"); midWord && sp > 0 && utf16Len(head[sp:]) < 30 {
		head = head[:sp]
	}
	return strings.TrimRight(head, " \n") + "…"
}

// visibleLen is the length Telegram counts for HTML this package made:
// tags do not count, an entity counts as one character.
func visibleLen(html string) int {
	n, inTag, inEntity := 0, false, false
	for _, r := range html {
		switch {
		case inTag:
			inTag = r != '>'
		case r == '<':
			inTag = true
		case inEntity:
			inEntity = r != ';'
		case r == '&':
			inEntity = true
			n++
		default:
			n += utf16.RuneLen(r)
		}
	}
	return n
}

// splitText cuts plain text into pieces of at most max UTF-16 code units,
// at line breaks where it can, else at spaces.
func splitText(s string, max int) []string {
	var out []string
	for utf16Len(s) > max {
		n, cut, lastNL, lastSP := 0, 0, -1, -1
		for i, r := range s {
			if n+utf16.RuneLen(r) > max {
				break
			}
			n += utf16.RuneLen(r)
			cut = i + len(string(r))
			switch r {
			case '\n':
				lastNL = i
			case ' ':
				lastSP = i
			}
		}
		switch {
		case lastNL > 0:
			cut = lastNL
		case lastSP > 0:
			cut = lastSP
		}
		out = append(out, s[:cut])
		s = strings.TrimLeft(s[cut:], " \n")
	}
	if strings.TrimSpace(s) != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}
