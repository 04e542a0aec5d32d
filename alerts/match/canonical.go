package match

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"

	"github.com/herald-news/herald/alerts"
)

// Canonical returns a key that two queries share when they match the same
// articles for the same reasons, however they were written: an actor or
// topic by any of its names is the entry ("Zelensky" and "Зеленский"), a
// hyphenated compound is its joined word ("cease-fire" and "ceasefire"),
// bare words are their stems ("ceasefires"), quoted ones fold case, and
// the terms of AND and OR are in a fixed order ("a b" and "b a"). It is
// for telling that a subscription is already followed, not for display.
func (q *Query) Canonical() string {
	var b strings.Builder
	canonNode(&b, q.root)
	return b.String()
}

func canonNode(b *strings.Builder, n *node) {
	switch {
	case n.entry != nil:
		b.WriteString(fieldPrefix(n.field))
		b.WriteString("<")
		b.WriteString(n.entry.name())
		b.WriteString(">")
		return
	case n.text != "" && n.op == opOr:
		// A compound read split and joined: the last reading is joined
		// throughout.
		canonNode(b, n.kids[len(n.kids)-1])
		return
	}
	switch n.op {
	case opLeaf:
		l := n.leaf
		b.WriteString(fieldPrefix(l.field))
		switch l.kind {
		case kindExact:
			b.WriteString(`"` + strings.Join(l.words, " ") + `"`)
		case kindSource:
			b.WriteString(l.words[0])
		default:
			b.WriteString(strings.Join(l.words, " "))
		}
	case opNot:
		b.WriteString("NOT ")
		canonNode(b, n.kids[0])
	default:
		parts := make([]string, len(n.kids))
		for i, k := range n.kids {
			var kb strings.Builder
			canonNode(&kb, k)
			parts[i] = kb.String()
		}
		slices.Sort(parts)
		parts = slices.Compact(parts)
		sep := " AND "
		if n.op == opOr {
			sep = " OR "
		}
		b.WriteString("(" + strings.Join(parts, sep) + ")")
	}
}

// TooBroad returns an error when the query can only match through words
// that nearly every article contains: "or" (a word unless written OR),
// "the", "и". Herald refuses such a subscription rather than flood the
// chat; a quoted phrase, an actor, a topic or a source is never too broad,
// and neither is a query with one specific term that every match needs.
func (q *Query) TooBroad() error {
	l := broadLeaf(q.root)
	if l == nil {
		return nil
	}
	word := strings.Trim(l.label, `"`)
	msg := fmt.Sprintf("%q is a word nearly every article contains, so this would match almost everything", word)
	switch strings.ToLower(word) {
	case "and", "or", "not":
		msg += fmt.Sprintf("; AND, OR and NOT are operators only in capitals, between two terms: ceasefire %s truce", strings.ToUpper(word))
	default:
		msg += "; add a more specific word or a \"phrase\""
	}
	return &alerts.QueryError{Column: wordColumn(q.src, word), Msg: msg}
}

// broadLeaf returns a stop-word leaf the node can match through alone, or
// nil when every match needs something more specific.
func broadLeaf(n *node) *leaf {
	if n.entry != nil {
		return nil
	}
	switch n.op {
	case opLeaf:
		l := n.leaf
		if l.kind != kindSource && len(l.words) == 1 && isStopWord(FoldString(strings.Trim(l.label, `"`))) {
			return l
		}
		return nil
	case opNot:
		return nil
	case opOr:
		if n.text != "" {
			return nil // a compound
		}
		for _, k := range n.kids {
			if l := broadLeaf(k); l != nil {
				return l
			}
		}
		return nil
	default: // AND: broad only if every positive part is
		var first *leaf
		for _, k := range n.kids {
			if k.op == opNot {
				continue
			}
			l := broadLeaf(k)
			if l == nil {
				return nil
			}
			if first == nil {
				first = l
			}
		}
		return first
	}
}

// isStopWord reports whether a folded word is a function word of English,
// Russian or Ukrainian.
func isStopWord(w string) bool {
	return english.IsStopWord(w) || russian.IsStopWord(w) || ukrainianStop[w]
}

var ukrainianStop = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`і й та або чи що не ні на в у з із зі до від за для як це він вона воно вони ми ви
		його її їх був була було були бути буде також вже при після коли який яка яке які цей ця це ці той та те ті
		тут там де хто що якщо але а же би б ж по про під над між через без біля серед так ще лише тільки`) {
		m[w] = true
	}
	return m
}()

// wordColumn is the 1-based rune column of word in src, 1 if not found.
func wordColumn(src, word string) int {
	i := strings.Index(strings.ToLower(src), strings.ToLower(word))
	if i < 0 {
		return 1
	}
	return utf8.RuneCountInString(src[:i]) + 1
}

// ParseSubscription parses a query that a user subscribes to or tries
// out: Parse, then TooBroad. Stored subscriptions are read with Parse (or
// Index.Add) alone, so one that was accepted before keeps working.
func ParseSubscription(q string, names *Names) (*Query, error) {
	p, err := Parse(q, names)
	if err != nil {
		return nil, err
	}
	if err := p.TooBroad(); err != nil {
		return nil, err
	}
	return p, nil
}
