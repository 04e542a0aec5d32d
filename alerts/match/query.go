package match

import (
	"fmt"
	"hash/maphash"
	"strings"
	"unicode"
	"unicode/utf8"

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
	actor *actorEntry
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
// itself: "Zelensky → Volodymyr Zelensky, Zelenskyy, Зеленский, …".
func (q *Query) Expansions() []string {
	var out []string
	seen := make(map[string]bool)
	var walk func(n *node)
	walk = func(n *node) {
		if n.actor != nil {
			line := n.text + " → " + strings.Join(n.actor.aliases, ", ")
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

// Parse parses a query (the language of DESIGN.md: words, "phrases",
// AND, OR, NOT/-, parentheses, title: and source:). Bare words that name
// an entry of actors stand for all its spellings; actors may be nil.
// Errors are *alerts.QueryError with the 1-based column.
func Parse(q string, actors *Actors) (*Query, error) {
	return parse(q, actors, nil)
}

// parseMemo caches, for one goroutine parsing many queries (a Load
// worker), what the parser derives from one written word or quoted term
// alone: its alias key and its leaves. Cached nodes are shared between the
// queries parsed with the memo; nothing modifies a node once built.
type parseMemo struct {
	words map[uint64]*wordMemo // by the hash of the text
	other map[string]*wordMemo // texts whose hash another text has
	p     parser               // the parser, reused with its token buffer
	tk    tokenizer            // scan's tokenizer
	sc    []scanned            // scan's words
	aws   wordScanner          // aliasKey's scanner
	kb    []byte               // aliasKey's buffer

	// Slabs, see newCompiled.
	cs  []compiled
	qs  []Query
	wms []wordMemo
	lfs []leafFPs
	ops []cop
	ws  []uint32
}

// wordMemo is what the parser derived from one written word or quoted
// text.
type wordMemo struct {
	text   string
	key    string
	hasKey bool
	nodes  [6]*node // by field, and quoted or not
}

func newParseMemo(size int) *parseMemo {
	return &parseMemo{words: make(map[uint64]*wordMemo, size), other: make(map[string]*wordMemo)}
}

// word returns the memo of a text, nil without a memo.
func (p *parser) word(text string) *wordMemo {
	if p.memo == nil {
		return nil
	}
	if p.lastWord != nil && p.lastText == text {
		return p.lastWord
	}
	h := maphash.String(fpSeed, text)
	w := p.memo.words[h]
	switch {
	case w == nil:
		w = p.memo.newWordMemo(text)
		p.memo.words[h] = w
	case w.text != text:
		w = p.memo.other[text]
		if w == nil {
			w = &wordMemo{text: text}
			p.memo.other[text] = w
		}
	}
	p.lastText, p.lastWord = text, w
	return w
}

func (m *parseMemo) newWordMemo(text string) *wordMemo {
	if len(m.wms) == cap(m.wms) {
		m.wms = make([]wordMemo, 0, slabSize)
	}
	m.wms = append(m.wms, wordMemo{text: text})
	return &m.wms[len(m.wms)-1]
}

func memoSlot(f fieldSel, quoted bool) int {
	if quoted {
		return int(f)*2 + 1
	}
	return int(f) * 2
}

func parse(q string, actors *Actors, memo *parseMemo) (*Query, error) {
	var p *parser
	if memo != nil {
		// The parser and its tokens are the memo's: the query refers to
		// neither.
		p = &memo.p
		*p = parser{src: q, actors: actors, memo: memo, toks: p.toks[:0]}
	} else {
		p = &parser{src: q, actors: actors, toks: make([]qtok, 0, 8)}
	}
	if err := p.lex(); err != nil {
		return nil, err
	}
	if len(p.toks) == 1 { // only EOF
		return nil, &alerts.QueryError{Column: 1, Msg: "empty query, expected a word or \"phrase\""}
	}
	root, err := p.parseOr(inText)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	if !required(root) {
		return nil, &alerts.QueryError{Column: 1, Msg: "query has no positive term, expected a word or phrase to look for, not only NOT terms"}
	}
	if memo != nil {
		if len(memo.qs) == cap(memo.qs) {
			memo.qs = make([]Query, 0, slabSize)
		}
		memo.qs = append(memo.qs, Query{src: q, root: root})
		return &memo.qs[len(memo.qs)-1], nil
	}
	return &Query{src: q, root: root}, nil
}

// required reports whether every article the node matches must contain
// one of its positive terms: false for NOT, and for an OR with such a
// branch.
func required(n *node) bool {
	switch n.op {
	case opLeaf:
		return true
	case opNot:
		return false
	case opAnd:
		for _, k := range n.kids {
			if required(k) {
				return true
			}
		}
		return false
	default: // opOr
		for _, k := range n.kids {
			if !required(k) {
				return false
			}
		}
		return len(n.kids) > 0
	}
}

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

type parser struct {
	src    string
	actors *Actors
	toks   []qtok
	i      int
	memo   *parseMemo // nil: none

	lastText string // the text word last returned the memo of
	lastWord *wordMemo
}

// aliasKey is aliasKey(s), from the memo if there is one.
func (p *parser) aliasKey(s string) string {
	w := p.word(s)
	if w == nil {
		return aliasKey(s)
	}
	if !w.hasKey {
		w.key, w.hasKey = p.memo.aliasKey(s), true
	}
	return w.key
}

// aliasKey is aliasKey(s) with the memo's buffers: a one-word key is the
// stem itself.
func (m *parseMemo) aliasKey(s string) string {
	ws := &m.aws
	ws.reset(s, 0)
	var first string
	n := 0
	b := m.kb[:0]
	for ws.next() {
		if ws.w.joined {
			continue
		}
		st := stemOf(ws.w.form, ws.w.script)
		switch n {
		case 0:
			first = st
		case 1:
			b = append(b, first...)
			fallthrough
		default:
			b = append(b, ' ')
			b = append(b, st...)
		}
		n++
	}
	m.kb = b
	if n <= 1 {
		return first
	}
	return string(b)
}

// scan is scanWords(s), into the memo's buffer if there is one: valid
// until the next call.
func (p *parser) scan(s string) []scanned {
	if p.memo == nil {
		return scanWords(s)
	}
	m := p.memo
	m.sc = scanInto(m.sc[:0], &m.tk, s)
	return m.sc
}

func (p *parser) peek() qtok { return p.toks[p.i] }

func (p *parser) unexpected(t qtok) error {
	switch t.kind {
	case tEOF:
		return &alerts.QueryError{Column: t.col, Msg: "unexpected end of query, expected a word or \"phrase\""}
	case tRParen:
		return &alerts.QueryError{Column: t.col, Msg: `unexpected ")"`}
	case tAnd, tOr:
		return &alerts.QueryError{Column: t.col, Msg: fmt.Sprintf("unexpected %q, expected a word or \"phrase\" before it", t.text)}
	}
	return &alerts.QueryError{Column: t.col, Msg: fmt.Sprintf("unexpected %q", t.text)}
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

func (p *parser) parseOr(f fieldSel) (*node, error) {
	first, err := p.parseAnd(f)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tOr {
		return first, nil
	}
	var buf [4]*node // flatten copies the kids
	kids := append(buf[:0], first)
	for p.peek().kind == tOr {
		p.i++
		n, err := p.parseAnd(f)
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	return flatten(opOr, kids), nil
}

func startsUnary(k tkind) bool {
	switch k {
	case tWord, tQuoted, tLParen, tNot, tField:
		return true
	}
	return false
}

func (p *parser) parseAnd(f fieldSel) (*node, error) {
	first, err := p.parseUnary(f)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tAnd && !startsUnary(t.kind) {
		return first, nil
	}
	var buf [4]*node // flatten copies the kids
	kids := append(buf[:0], first)
	for {
		t := p.peek()
		if t.kind == tAnd {
			p.i++
		} else if !startsUnary(t.kind) {
			break
		}
		n, err := p.parseUnary(f)
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	return flatten(opAnd, kids), nil
}

func flatten(o op, kids []*node) *node {
	if len(kids) == 1 {
		return kids[0]
	}
	n := 0
	for _, k := range kids {
		if k.op == o && k.text == "" {
			n += len(k.kids)
		} else {
			n++
		}
	}
	var out []*node
	var r *node
	if n <= 4 {
		// The node and its kids in one allocation.
		b := &struct {
			n node
			k [4]*node
		}{}
		r, out = &b.n, b.k[:0:n]
	} else {
		r, out = &node{}, make([]*node, 0, n)
	}
	for _, k := range kids {
		if k.op == o && k.text == "" {
			out = append(out, k.kids...)
		} else {
			out = append(out, k)
		}
	}
	*r = node{op: o, kids: out}
	return r
}

func (p *parser) parseUnary(f fieldSel) (*node, error) {
	t := p.peek()
	if t.kind == tNot {
		p.i++
		if !startsUnary(p.peek().kind) {
			nt := p.peek()
			if nt.kind == tEOF {
				return nil, &alerts.QueryError{Column: nt.col, Msg: fmt.Sprintf("unexpected end of query, expected a term after %q", t.text)}
			}
			return nil, &alerts.QueryError{Column: nt.col, Msg: fmt.Sprintf("unexpected %q, expected a term after %q", nt.text, t.text)}
		}
		k, err := p.parseUnary(f)
		if err != nil {
			return nil, err
		}
		// The node and its kid in one allocation.
		b := &struct {
			n node
			k [1]*node
		}{}
		b.k[0] = k
		b.n = node{op: opNot, kids: b.k[:]}
		return &b.n, nil
	}
	return p.parsePrimary(f)
}

func (p *parser) parsePrimary(f fieldSel) (*node, error) {
	t := p.peek()
	switch t.kind {
	case tField:
		p.i++
		nt := p.peek()
		switch nt.kind {
		case tWord, tQuoted, tLParen:
		default:
			if nt.kind == tEOF {
				return nil, &alerts.QueryError{Column: nt.col, Msg: fmt.Sprintf("unexpected end of query, expected a word or \"phrase\" after %q", t.text)}
			}
			return nil, &alerts.QueryError{Column: nt.col, Msg: fmt.Sprintf("unexpected %q, expected a word or \"phrase\" after %q", nt.text, t.text)}
		}
		return p.parsePrimary(t.field)
	case tLParen:
		p.i++
		n, err := p.parseOr(f)
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tRParen {
			if c.kind == tEOF {
				return nil, &alerts.QueryError{Column: c.col, Msg: `unexpected end of query, expected ")" to close "("`}
			}
			return nil, &alerts.QueryError{Column: c.col, Msg: fmt.Sprintf("unexpected %q, expected \")\"", c.text)}
		}
		p.i++
		return n, nil
	case tQuoted:
		p.i++
		return p.quoted(t, f)
	case tWord:
		return p.bare(f)
	}
	return nil, p.unexpected(t)
}

// quoted builds the leaf of a quoted word or phrase: exact forms, no
// stemming, no aliases.
func (p *parser) quoted(t qtok, f fieldSel) (*node, error) {
	if f == inSource {
		return p.sourceLeaf(t, `"`+t.text+`"`)
	}
	wm := p.word(t.text)
	if wm != nil && wm.nodes[memoSlot(f, true)] != nil {
		return wm.nodes[memoSlot(f, true)], nil
	}
	ws := p.scan(t.text)
	if len(ws) == 0 {
		return nil, &alerts.QueryError{Column: t.col, Msg: "empty phrase, expected words between the quotes"}
	}
	n := variants(ws, kindExact, f, `"`+t.text+`"`, nil)
	if wm != nil {
		wm.nodes[memoSlot(f, true)] = n
	}
	return n, nil
}

// bare parses one or more bare words: the longest run that names an actor
// becomes the actor; otherwise one word.
func (p *parser) bare(f fieldSel) (*node, error) {
	t := p.peek()
	if f == inSource {
		p.i++
		return p.sourceLeaf(t, t.text)
	}
	if p.actors != nil && p.actors.maxWords > 0 {
		// Collect up to maxWords consecutive bare words.
		var keys []string
		if k := p.aliasKey(t.text); k == "" || !p.actors.startsKey(k) {
			goto plain
		}
		for j := p.i; j < len(p.toks) && j-p.i < p.actors.maxWords; j++ {
			if p.toks[j].kind != tWord {
				break
			}
			k := p.aliasKey(p.toks[j].text)
			if k == "" {
				break
			}
			keys = append(keys, k)
		}
		for n := len(keys); n >= 1; n-- {
			if e, ok := p.actors.lookup(strings.Join(keys[:n], " ")); ok {
				var text []string
				for j := 0; j < n; j++ {
					text = append(text, p.toks[p.i+j].text)
				}
				p.i += n
				return actorNode(e, strings.Join(text, " "), f), nil
			}
		}
	}
plain:
	p.i++
	wm := p.word(t.text)
	if wm != nil && wm.nodes[memoSlot(f, false)] != nil {
		return wm.nodes[memoSlot(f, false)], nil
	}
	ws := p.scan(t.text)
	if len(ws) == 0 {
		return nil, &alerts.QueryError{Column: t.col, Msg: fmt.Sprintf("%q has no letters or digits, expected a word", t.text)}
	}
	n := variants(ws, kindStem, f, t.text, nil)
	if wm != nil {
		wm.nodes[memoSlot(f, false)] = n
	}
	return n, nil
}

func (p *parser) sourceLeaf(t qtok, label string) (*node, error) {
	key := sourceQueryKey(t.text)
	if key == "" {
		return nil, &alerts.QueryError{Column: t.col, Msg: fmt.Sprintf("%q names no source, expected a feed name, domain or outlet after source:", t.text)}
	}
	return &node{op: opLeaf, leaf: &leaf{field: inSource, kind: kindSource, words: []string{key}, label: label}}, nil
}

// actorNode is an OR of every spelling of the entry.
func actorNode(e *actorEntry, text string, f fieldSel) *node {
	var kids []*node
	for _, al := range e.aliases {
		n := variants(scanWords(al), kindStem, f, al, nil)
		if n.op == opOr {
			kids = append(kids, n.kids...)
		} else {
			kids = append(kids, n)
		}
	}
	kids = dropSubsumed(kids)
	n := &node{op: opOr, kids: kids, text: text, field: f, actor: e}
	if len(kids) == 1 {
		n.kids = kids
	}
	for _, k := range n.kids {
		k.leaf.label = text
	}
	return n
}

// dropSubsumed removes duplicate leaves and phrases that contain another
// leaf's words in a row ("Volodymyr Zelensky" when "Zelensky" is there):
// they can only match where the shorter one does.
func dropSubsumed(kids []*node) []*node {
	var out []*node
outer:
	for i, k := range kids {
		for j, o := range kids {
			if i == j || o.leaf.field != k.leaf.field {
				continue
			}
			if containsRun(k.leaf.words, o.leaf.words) && (len(o.leaf.words) < len(k.leaf.words) || j < i) {
				continue outer
			}
		}
		out = append(out, k)
	}
	return out
}

func containsRun(hay, needle []string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		ok := true
		for j := range needle {
			if hay[i+j] != needle[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// scanned is one word of a query term.
type scanned struct {
	form   string
	script uint8
	hyph   bool // joined to the previous word by a dash
}

func scanWords(s string) []scanned {
	var tk tokenizer
	return scanInto(make([]scanned, 0, 4), &tk, s)
}

// scanInto appends the words of s to out, scanning with tk.
func scanInto(out []scanned, tk *tokenizer, s string) []scanned {
	tk.reset(s)
	n := len(out)
	for tk.next() {
		out = append(out, scanned{form: string(tk.form), script: tk.script, hyph: tk.hyph && len(out) > n})
	}
	return out
}

// maxVariantRuns bounds how many compounds of one term get both a split and
// a joined reading (2^n leaves).
const maxVariantRuns = 3

// variants builds the leaves of one written term: a word, or a phrase when
// it has several words; each hyphenated compound reads both split
// ("cease fire") and joined ("ceasefire").
func variants(ws []scanned, kind byte, f fieldSel, label string, _ []string) *node {
	form := func(w scanned) string {
		if kind == kindStem {
			return stemOf([]byte(w.form), w.script)
		}
		return w.form
	}
	// Without compounds there is one reading: the leaf.
	compound := len(ws) == 0
	for i := 1; i < len(ws); i++ {
		compound = compound || ws[i].hyph
	}
	if !compound {
		if len(ws) == 1 {
			// The node, its leaf and its word in one allocation.
			b := &struct {
				n node
				l leaf
				w [1]string
			}{}
			b.w[0] = form(ws[0])
			b.l = leaf{field: f, kind: kind, words: b.w[:], label: label}
			b.n = node{op: opLeaf, leaf: &b.l}
			return &b.n
		}
		words := make([]string, len(ws))
		for i, w := range ws {
			words[i] = form(w)
		}
		return &node{op: opLeaf, leaf: &leaf{field: f, kind: kind, words: words, label: label}}
	}
	// Group into compound runs.
	type run struct{ parts []scanned }
	var runs []run
	for _, w := range ws {
		if w.hyph && len(runs) > 0 {
			runs[len(runs)-1].parts = append(runs[len(runs)-1].parts, w)
		} else {
			runs = append(runs, run{parts: []scanned{w}})
		}
	}
	seqs := [][]string{nil}
	alt := 0
	for _, r := range runs {
		var split []string
		for _, w := range r.parts {
			split = append(split, form(w))
		}
		if len(r.parts) < 2 || len(r.parts) > maxCompound || alt >= maxVariantRuns {
			for i := range seqs {
				seqs[i] = append(seqs[i], split...)
			}
			continue
		}
		alt++
		var joined scanned
		for _, w := range r.parts {
			joined.form += w.form
			joined.script |= w.script
		}
		j := form(joined)
		var next [][]string
		for _, s := range seqs {
			a := append(append([]string(nil), s...), split...)
			b := append(append([]string(nil), s...), j)
			next = append(next, a, b)
		}
		seqs = next
	}
	var kids []*node
	for _, s := range seqs {
		kids = append(kids, &node{op: opLeaf, leaf: &leaf{field: f, kind: kind, words: s, label: label}})
	}
	if len(kids) == 1 {
		return kids[0]
	}
	return &node{op: opOr, kids: kids, text: label, field: f}
}
