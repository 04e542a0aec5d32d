package match

import (
	"strings"

	"github.com/herald-news/herald/alerts"
)

// fieldSel says where a leaf may match.
type fieldSel uint8

const (
	inText   fieldSel = iota // title or body
	inTitle                  // title only
	inSource                 // feed name, URL domain or cited outlet
)

// leaf kinds of terms, which live in separate namespaces.
const (
	kindExact  = 'e' // folded form, for quoted words and phrases
	kindStem   = 's' // stem, for bare words
	kindSource = 'o' // source key
)

// leaf is one thing a query looks for: a word, a phrase (words in a row),
// or a source.
type leaf struct {
	field fieldSel
	kind  byte     // kindExact, kindStem or kindSource
	words []string // forms in kind's namespace; more than one: a phrase
	label string   // as the user wrote it, for TermHit.Term
	entry string   // the actor or topic it is a form of, for TermHit.Entry
	fps   *leafFPs // cached by a Load worker's compiler, nil otherwise
}

type op uint8

const (
	opLeaf op = iota
	opAnd
	opOr
	opNot
)

// node is a node of a parsed query.
type node struct {
	op   op
	kids []*node
	leaf *leaf
	// text is the user's words for a node that expanded one written term
	// (an actor, a hyphenated compound); String prints it instead of the
	// expansion.
	text  string
	field fieldSel
	entry *nameEntry
}

// Query is a parsed query. It is immutable and safe for concurrent use.
type Query struct {
	src  string
	root *node
}

var _ alerts.Query = (*Query)(nil)

// Source returns the query as written.
func (q *Query) Source() string { return q.src }

// String returns the canonical form of the query: operators spelled out,
// parentheses where precedence needs them.
func (q *Query) String() string {
	var b strings.Builder
	writeNode(&b, q.root, 0)
	return b.String()
}

func prec(n *node) int {
	switch n.op {
	case opOr:
		if n.text != "" {
			return 3
		}
		return 1
	case opAnd:
		return 2
	}
	return 3
}

func fieldPrefix(f fieldSel) string {
	switch f {
	case inTitle:
		return "title:"
	case inSource:
		return "source:"
	}
	return ""
}

func writeNode(b *strings.Builder, n *node, parent int) {
	if n.text != "" {
		b.WriteString(fieldPrefix(n.field))
		b.WriteString(n.text)
		return
	}
	p := prec(n)
	if p < parent {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch n.op {
	case opLeaf:
		b.WriteString(fieldPrefix(n.leaf.field))
		b.WriteString(n.leaf.label)
	case opNot:
		b.WriteString("NOT ")
		writeNode(b, n.kids[0], 3)
	case opAnd, opOr:
		sep := " AND "
		if n.op == opOr {
			sep = " OR "
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			writeNode(b, k, p+1)
		}
	}
}

// Expansions returns one line per written term that stood for more than
// itself: "Zelensky → Volodymyr Zelensky, Zelenskyy, Зеленский, …", and
// for a topic "ceasefire → topic ceasefire: truce, перемирие, …".
func (q *Query) Expansions() []string {
	var out []string
	seen := make(map[string]bool)
	var walk func(n *node)
	walk = func(n *node) {
		if n.entry != nil {
			line := n.text + " → " + strings.Join(n.entry.aliases, ", ")
			if n.entry.kind == kindTopic {
				line = n.text + " → topic " + n.entry.name() + ": " + strings.Join(n.entry.aliases[1:], ", ")
			}
			if !seen[line] {
				seen[line] = true
				out = append(out, line)
			}
			return
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(q.root)
	return out
}

// Parse parses a query (words, "phrases",
// AND, OR, NOT/-, parentheses, title: and source:). Bare words that name
// an entry of actors stand for all its spellings; actors may be nil.
// Errors are *alerts.QueryError with the 1-based column.
func Parse(q string, names *Names) (*Query, error) {
	return parse(q, names, nil)
}
