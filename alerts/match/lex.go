package match

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/herald-news/herald/alerts"
)

type tkind uint8

const (
	tEOF tkind = iota
	tWord
	tQuoted
	tLParen
	tRParen
	tAnd
	tOr
	tNot   // NOT or a leading "-"
	tField // "title:" or "source:" applying to what follows
)

type qtok struct {
	kind  tkind
	text  string // word or phrase text; field name for tField
	col   int    // 1-based rune column
	field fieldSel
	wm    *wordMemo // the memo of text, once looked up
}

func isOpenQuote(r rune) (closers string, ok bool) {
	switch r {
	case '"':
		return `"”“`, true
	case '“':
		return `”"“`, true
	case '„':
		return `“”"`, true
	case '«':
		return `»"`, true
	case '”':
		return `”"`, true
	}
	return "", false
}

// lex splits the query into tokens with their columns.
func (p *parser) lex() error {
	s := p.src
	col := 1
	i := 0
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += w
			col++
		case r == '(':
			p.toks = append(p.toks, qtok{kind: tLParen, text: "(", col: col})
			i += w
			col++
		case r == ')':
			p.toks = append(p.toks, qtok{kind: tRParen, text: ")", col: col})
			i += w
			col++
		default:
			if closers, ok := isOpenQuote(r); ok {
				start, startCol := i+w, col
				j := start
				c := col + 1
				closed := false
				for j < len(s) {
					if b := s[j]; b < utf8.RuneSelf {
						// Every set of closers has '"', its only ASCII.
						if b == '"' {
							closed = true
							break
						}
						j++
						c++
						continue
					}
					r2, w2 := utf8.DecodeRuneInString(s[j:])
					if strings.ContainsRune(closers, r2) {
						closed = true
						break
					}
					j += w2
					c++
				}
				if !closed {
					return &alerts.QueryError{Column: startCol, Msg: `unterminated quote, expected a closing "`}
				}
				p.toks = append(p.toks, qtok{kind: tQuoted, text: s[start:j], col: startCol})
				_, wc := utf8.DecodeRuneInString(s[j:])
				i = j + wc
				col = c + 1
				continue
			}
			if isDash(r) {
				// A leading dash negates what follows it.
				p.toks = append(p.toks, qtok{kind: tNot, text: string(r), col: col})
				i += w
				col++
				continue
			}
			start, startCol := i, col
			for i < len(s) {
				if b := s[i]; b < utf8.RuneSelf {
					// '"' is the only ASCII opening quote.
					if asciiSpace(b) || b == '(' || b == ')' || b == '"' {
						break
					}
					i++
					col++
					continue
				}
				r2, w2 := utf8.DecodeRuneInString(s[i:])
				if unicode.IsSpace(r2) || r2 == '(' || r2 == ')' {
					break
				}
				if _, q := isOpenQuote(r2); q {
					break
				}
				i += w2
				col++
			}
			text := s[start:i]
			switch text {
			case "AND":
				p.toks = append(p.toks, qtok{kind: tAnd, text: text, col: startCol})
				continue
			case "OR":
				p.toks = append(p.toks, qtok{kind: tOr, text: text, col: startCol})
				continue
			case "NOT":
				p.toks = append(p.toks, qtok{kind: tNot, text: text, col: startCol})
				continue
			}
			if name, rest, ok := strings.Cut(text, ":"); ok && name != "" && isFieldName(name) {
				var f fieldSel
				switch strings.ToLower(name) {
				case "title":
					f = inTitle
				case "source":
					f = inSource
				default:
					return &alerts.QueryError{Column: startCol, Msg: fmt.Sprintf("unknown field %q, expected title: or source:", name+":")}
				}
				p.toks = append(p.toks, qtok{kind: tField, text: text[:len(name)+1], col: startCol, field: f})
				restCol := startCol + len(name) + 1
				if r, _ := utf8.DecodeRuneInString(rest); isDash(r) {
					// "title:-ceasefire": the dash negates, as after a space.
					i, col = start+len(name)+1, restCol
					continue
				}
				if rest != "" {
					p.toks = append(p.toks, qtok{kind: tWord, text: rest, col: restCol})
				}
				continue
			}
			p.toks = append(p.toks, qtok{kind: tWord, text: text, col: startCol})
		}
	}
	p.toks = append(p.toks, qtok{kind: tEOF, col: col})
	return nil
}

// asciiSpace is unicode.IsSpace for an ASCII byte.
func asciiSpace(b byte) bool {
	switch b {
	case '\t', '\n', '\v', '\f', '\r', ' ':
		return true
	}
	return false
}

// isFieldName reports whether s looks like a field name: ASCII letters only.
func isFieldName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// CleanQuery removes from a query what a reader cannot see, so that the
// query stored, echoed and listed is the query matched: format characters
// (Unicode category Cf: the bidirectional controls LRE, RLO, LRI, PDI and
// the rest, zero-width spaces and joiners, soft hyphens, tag characters)
// go, other control characters (tabs, line breaks) become spaces, and the
// ends are trimmed.
func CleanQuery(q string) string {
	clean := true
	for i := 0; i < len(q); i++ {
		if c := q[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return strings.TrimSpace(q)
	}
	var b strings.Builder
	b.Grow(len(q))
	for _, r := range q {
		switch {
		case unicode.Is(unicode.Cf, r):
		case unicode.IsControl(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}
