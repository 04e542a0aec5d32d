package alerts

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// A Template is a chat's own layout of its alerts (/format): text with
// placeholders in braces, such as "{title}\n{summary}\n{url}". The text
// around the placeholders is plain text: platforms escape it, and their
// own rendering of each placeholder (a linked bold title on Telegram, a
// markdown link on Discord) is the only markup an alert carries, so a
// template can neither break a message's markup nor ping anyone.
type Template struct {
	src   string
	parts []Segment
}

// The placeholders a template may use.
const (
	PlaceholderTitle   = "title"   // the headline, linked to the article
	PlaceholderSummary = "summary" // the summary
	PlaceholderSource  = "source"  // the outlet, and the feed when it differs
	PlaceholderURL     = "url"     // the article's address
	PlaceholderTime    = "time"    // when it was published, in the chat's zone
	PlaceholderMatched = "matched" // the query terms that fired
)

// Placeholders are the placeholders, in the order /format lists them.
var Placeholders = []string{PlaceholderTitle, PlaceholderSummary, PlaceholderSource, PlaceholderURL, PlaceholderTime, PlaceholderMatched}

// MaxTemplateLen is the longest template, in characters.
const MaxTemplateLen = 1000

// Segment is a piece of a template: literal text (Field "") or a
// placeholder with the value it stands for.
type Segment struct {
	Field string
	Text  string
}

// ParseTemplate reads a template. "{{" and "}}" are literal braces, and
// "\n" (a backslash and n, as one-line command options are written) is a
// line break. An unknown or unclosed placeholder is an error saying which
// and where.
func ParseTemplate(s string) (Template, error) {
	if n := utf8.RuneCountInString(s); n > MaxTemplateLen {
		return Template{}, fmt.Errorf("a template has at most %d characters; this one has %d", MaxTemplateLen, n)
	}
	t := Template{src: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, Segment{Text: lit.String()})
			lit.Reset()
		}
	}
	col := 0
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		col++
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			lit.WriteByte('{')
			i += 2
			col++
			continue
		case strings.HasPrefix(s[i:], "}}"):
			lit.WriteByte('}')
			i += 2
			col++
			continue
		case strings.HasPrefix(s[i:], `\n`):
			lit.WriteByte('\n')
			i += 2
			col++
			continue
		case r == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return Template{}, fmt.Errorf("unclosed { at column %d (write {{ for a brace)", col)
			}
			name := strings.ToLower(strings.TrimSpace(s[i+1 : i+end]))
			if !isField(name) {
				return Template{}, fmt.Errorf("unknown placeholder {%s} at column %d; use %s", s[i+1:i+end], col, fieldList())
			}
			flush()
			t.parts = append(t.parts, Segment{Field: name})
			col += utf8.RuneCountInString(s[i+1:i+end]) + 1
			i += end + 1
			continue
		case r == '}':
			return Template{}, fmt.Errorf("a } without { at column %d (write }} for a brace)", col)
		case r == utf8.RuneError && w <= 1:
			return Template{}, fmt.Errorf("invalid UTF-8 at column %d", col)
		}
		lit.WriteString(s[i : i+w])
		i += w
	}
	flush()
	return t, nil
}

func isField(name string) bool {
	for _, f := range Placeholders {
		if f == name {
			return true
		}
	}
	return false
}

func fieldList() string {
	parts := make([]string, len(Placeholders))
	for i, f := range Placeholders {
		parts[i] = "{" + f + "}"
	}
	return strings.Join(parts, " ")
}

// String is the template as it was written.
func (t Template) String() string { return t.src }

// IsZero reports whether this is no template (Herald's own layout).
func (t Template) IsZero() bool { return len(t.parts) == 0 }

// TemplateValues are an alert's values for every placeholder but {time},
// which each platform writes its own way, as plain text.
func TemplateValues(a Alert) map[string]string {
	art := a.Article
	src := art.Source
	if art.Outlet != "" && art.Source != "" && !strings.EqualFold(art.Outlet, art.Source) {
		src = art.Outlet + " via " + art.Source
	} else if art.Outlet != "" {
		src = art.Outlet
	}
	summary := art.Summary
	if summary == "" {
		summary = art.Body
	}
	var terms []string
	seen := map[string]bool{}
	for _, m := range a.Matches {
		for _, th := range m.Terms {
			s := th.Term
			if th.Matched != "" && !strings.EqualFold(th.Matched, strings.Trim(th.Term, `"`)) {
				s += " → " + th.Matched
			}
			if !seen[s] {
				seen[s] = true
				terms = append(terms, s)
			}
		}
		if len(m.Terms) == 0 && !seen[m.Query] {
			seen[m.Query] = true
			terms = append(terms, m.Query)
		}
	}
	title := strings.Join(strings.Fields(art.Title), " ")
	if title == "" {
		title = "(untitled)"
	}
	return map[string]string{
		PlaceholderTitle:   title,
		PlaceholderSummary: strings.TrimSpace(summary),
		PlaceholderSource:  strings.Join(strings.Fields(src), " "),
		PlaceholderURL:     art.URL,
		PlaceholderMatched: strings.Join(terms, ", "),
	}
}

// Uses reports whether the template has the placeholder field.
func (t Template) Uses(field string) bool {
	for _, p := range t.parts {
		if p.Field == field {
			return true
		}
	}
	return false
}

// Expand fills the placeholders with values and fits the result in max
// units, as cost counts what a segment will take once rendered: the
// summary gives way first, then the title, then the matched terms and
// the source; past that the end is cut. Values are cut with an ellipsis.
func (t Template) Expand(values map[string]string, max int, cost func(Segment) int) []Segment {
	segs := make([]Segment, len(t.parts))
	for i, p := range t.parts {
		segs[i] = p
		if p.Field != "" {
			segs[i].Text = values[p.Field]
		}
	}
	total := func() int {
		n := 0
		for _, s := range segs {
			n += cost(s)
		}
		return n
	}
	for _, field := range []string{PlaceholderSummary, PlaceholderTitle, PlaceholderMatched, PlaceholderSource, PlaceholderTime} {
		for over := total() - max; over > 0; over = total() - max {
			var idx []int
			longest := 0
			for i, s := range segs {
				if s.Field == field && s.Text != "" {
					idx = append(idx, i)
					longest = maxInt(longest, utf8.RuneCountInString(s.Text))
				}
			}
			if len(idx) == 0 {
				break
			}
			keep := longest - (over+len(idx)-1)/len(idx) - 1
			for _, i := range idx {
				segs[i].Text = cutRunes(segs[i].Text, keep)
			}
		}
	}
	// Still too long: drop from the end, cutting the last literal.
	for over := total() - max; over > 0 && len(segs) > 0; over = total() - max {
		last := &segs[len(segs)-1]
		if last.Field == "" && utf8.RuneCountInString(last.Text) > over+1 {
			last.Text = cutRunes(last.Text, utf8.RuneCountInString(last.Text)-over-1)
			continue
		}
		segs = segs[:len(segs)-1]
	}
	return segs
}

// cutRunes shortens s to at most n runes, the last an ellipsis; "" when n
// leaves no room for a word.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return ""
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Template is the chat's own alert layout; the zero Template (Herald's
// layout) when none is set or the stored one no longer parses.
func (s TargetSettings) Template() Template {
	if s.Format == "" {
		return Template{}
	}
	t, err := ParseTemplate(s.Format)
	if err != nil {
		return Template{}
	}
	return t
}
