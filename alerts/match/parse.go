package match

import (
	"fmt"
	"strings"

	"github.com/herald-news/herald/alerts"
)

func parse(q string, names *Names, memo *parseMemo) (*Query, error) {
	var p *parser
	if memo != nil {
		// The parser and its tokens are the memo's: the query refers to
		// neither.
		p = &memo.p
		*p = parser{src: q, names: names, memo: memo, toks: p.toks[:0]}
	} else {
		p = &parser{src: q, names: names, toks: make([]qtok, 0, 8)}
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
		if a := p.negAlt; a != nil {
			what := strings.TrimSpace(strings.TrimPrefix(strings.TrimLeftFunc(a.text, isDash), "NOT "))
			msg := fmt.Sprintf("%q cannot be an alternative of OR: alone it matches every article without %s, so the whole query would", a.text, what)
			if a.hint != "" {
				msg += fmt.Sprintf("; to exclude %s, leave out the OR: %q", what, a.hint)
			}
			return nil, &alerts.QueryError{Column: a.col, Msg: msg}
		}
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

type parser struct {
	src   string
	names *Names
	toks  []qtok
	i     int
	memo  *parseMemo // nil: none

	lastText string // the text word last returned the memo of
	lastWord *wordMemo

	negAlt *negAlt // the first OR alternative that is only negative
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

func (p *parser) parseOr(f fieldSel) (*node, error) {
	start := p.i
	first, err := p.parseAnd(f)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tOr {
		return first, nil
	}
	var buf [4]*node // flatten copies the kids
	kids := append(buf[:0], first)
	var sbuf [5]int
	starts := append(sbuf[:0], start) // the first token of each kid, and the end
	for p.peek().kind == tOr {
		p.i++
		starts = append(starts, p.i)
		n, err := p.parseAnd(f)
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	starts = append(starts, p.i)
	if p.negAlt == nil {
		p.noteNegativeAlternative(kids, starts)
	}
	return flatten(opOr, kids), nil
}

// negAlt is an alternative of an OR that has no positive term: "-b" in
// "a OR -b" matches every article without b, and the whole OR with it.
type negAlt struct {
	col        int
	text, hint string
}

// noteNegativeAlternative records the first alternative of an OR that is
// only negative, while some other is positive, to explain why the query
// is refused if it is; starts[k] is kid k's first token, and the last
// entry the token after the OR.
func (p *parser) noteNegativeAlternative(kids []*node, starts []int) {
	neg, npos := -1, 0
	for k, n := range kids {
		if required(n) {
			npos++
		} else if neg < 0 {
			neg = k
		}
	}
	if neg < 0 || npos == 0 {
		return
	}
	text := func(k int) string {
		end := starts[k+1]
		if k+1 < len(kids) {
			end-- // the OR
		}
		lo, hi := p.toks[starts[k]].col, p.toks[end].col
		return strings.TrimSpace(runeSlice(p.src, lo, hi))
	}
	a := &negAlt{col: p.toks[starts[neg]].col, text: text(neg)}
	whole := starts[0] == 0 && p.toks[starts[len(starts)-1]].kind == tEOF
	if whole && npos == len(kids)-1 {
		var pos []string
		for k := range kids {
			if k != neg {
				pos = append(pos, text(k))
			}
		}
		if len(pos) == 1 {
			a.hint = pos[0] + " " + a.text
		} else {
			a.hint = "(" + strings.Join(pos, " OR ") + ") " + a.text
		}
	}
	p.negAlt = a
}

// runeSlice returns s from 1-based rune column lo up to, not including,
// column hi.
func runeSlice(s string, lo, hi int) string {
	col, from, to := 1, len(s), len(s)
	for i := range s {
		if col == lo {
			from = i
		}
		if col == hi {
			to = i
			break
		}
		col++
	}
	if from > to {
		return ""
	}
	return s[from:to]
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
		case tNot:
			// "title:-ceasefire": not in the title.
			return p.parseUnary(t.field)
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
	if p.names != nil && p.names.maxWords > 0 {
		// Collect up to maxWords consecutive bare words, by their stems
		// and by their folded forms (for names listed "exact").
		var keys, folds []string
		if !p.mayStartName(p.i) {
			goto plain
		}
		for j := p.i; j < len(p.toks) && j-p.i < p.names.maxWords; j++ {
			if p.toks[j].kind != tWord {
				break
			}
			k := p.aliasKey(j)
			if k == "" {
				break
			}
			keys = append(keys, k)
			folds = append(folds, p.foldKey(j))
		}
		for n := len(keys); n >= 1; n-- {
			e, ok := p.names.lookup(exactKeyPrefix + strings.Join(folds[:n], " "))
			if !ok {
				e, ok = p.names.lookup(strings.Join(keys[:n], " "))
			}
			if ok {
				var text []string
				for j := 0; j < n; j++ {
					text = append(text, p.toks[p.i+j].text)
				}
				p.i += n
				return entryNode(e, strings.Join(text, " "), f), nil
			}
		}
	}
plain:
	wm := p.tokWord(p.i)
	p.i++
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
