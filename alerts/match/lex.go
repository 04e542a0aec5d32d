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
				if rest != "" {
					p.toks = append(p.toks, qtok{kind: tWord, text: rest, col: startCol + utf8.RuneCountInString(name) + 1})
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
