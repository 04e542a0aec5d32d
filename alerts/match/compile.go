package match

import "github.com/herald-news/herald/alerts"

// Program words: an opcode in the top 3 bits, an argument below.
const (
	pTerm      = 0 << 29 // arg: term; in title or body
	pTermTitle = 1 << 29 // arg: term; in the title
	pSource    = 2 << 29 // arg: term; a source key
	pPhrase    = 3 << 29 // arg: n<<1 | title; then n terms and the anchor bigram
	pAnd       = 4 << 29 // arg: number of operands
	pOr        = 5 << 29
	pNot       = 6 << 29
	pOpMask    = 7 << 29
	pArgMask   = 1<<29 - 1
)

// compiled is a query ready to be indexed: its program with term forms
// still to be interned.
type compiled struct {
	text  string
	ops   []cop
	multi bool

	// Set by the first insert: the interned program and its anchors, for
	// the subscriptions of a Load that share the query (term IDs never
	// change once assigned).
	prog     []uint32 // room for the program (see prepare)
	pl       int      // program length
	interned bool     // prog holds the program
	shared   bool     // Load may insert it more than once
	anchors  []uint32
	verified bool
	hash     uint64 // the body key (see key)
	// Load's shortcut past the body table: the query's body, valid while
	// no body has been removed or moved since (Index.bodyDrops).
	body      uint32
	bodyDrops uint64
	hasBody   bool
}

// cop is one program instruction before interning.
type cop struct {
	code uint32 // pTerm, pPhrase, ...
	arg  uint32 // operand count for pAnd/pOr, title flag for pPhrase
	lf   *leafFPs
}

func compileQuery(q *Query) *compiled { return compileMemo(q, nil) }

// compileMemo compiles q; the fingerprints and costs of a leaf's words
// come from the parse memo if it has them.
func compileMemo(q *Query, memo *parseMemo) *compiled {
	var c *compiled
	n := countNodes(q.root)
	if memo != nil {
		c = memo.newCompiled()
		c.text, c.ops = q.src, memo.newOps(n)
	} else {
		c = &compiled{text: q.src, ops: make([]cop, 0, n)}
	}
	c.walk(q.root, memo)
	return c
}

func countNodes(n *node) int {
	k := 1
	for _, m := range n.kids {
		k += countNodes(m)
	}
	return k
}

// leafFPs are the fingerprints and anchor costs of a leaf's words.
type leafFPs struct {
	fps   []uint64
	costs []uint8
	fbuf  [2]uint64 // fps and costs of up to two words
	cbuf  [2]uint8
}

func fpsOf(l *leaf, memo *parseMemo) *leafFPs {
	if l.fps != nil {
		return l.fps
	}
	var r *leafFPs
	if memo != nil {
		if len(memo.lfs) == cap(memo.lfs) {
			memo.lfs = make([]leafFPs, 0, slabSize)
		}
		memo.lfs = append(memo.lfs, leafFPs{})
		r = &memo.lfs[len(memo.lfs)-1]
	} else {
		r = &leafFPs{}
	}
	if n := len(l.words); n <= len(r.fbuf) {
		r.fps, r.costs = r.fbuf[:n], r.cbuf[:n]
	} else {
		r.fps, r.costs = make([]uint64, n), make([]uint8, n)
	}
	for i, w := range l.words {
		r.fps[i] = fingerprintString(l.kind, w)
		r.costs[i] = termCost(l.kind, w)
	}
	if memo != nil {
		// The leaf is the worker's own (from its parse memo).
		l.fps = r
	}
	return r
}

func (c *compiled) walk(n *node, memo *parseMemo) {
	switch n.op {
	case opLeaf:
		l := n.leaf
		o := cop{lf: fpsOf(l, memo)}
		switch {
		case l.kind == kindSource:
			o.code = pSource
		case len(l.words) > 1:
			o.code = pPhrase
			if l.field == inTitle {
				o.arg = 1
			}
		case l.field == inTitle:
			o.code = pTermTitle
		default:
			o.code = pTerm
		}
		c.ops = append(c.ops, o)
	case opNot:
		c.walk(n.kids[0], memo)
		c.ops = append(c.ops, cop{code: pNot})
	default:
		for _, k := range n.kids {
			c.walk(k, memo)
		}
		code := uint32(pAnd)
		if n.op == opOr {
			code = pOr
		}
		c.ops = append(c.ops, cop{code: code, arg: uint32(len(n.kids))})
	}
}

// prepare sizes prog, which insert interns the program into, and keys
// the query. Load's workers call it outside the lock, taking the words
// from their memo's slab (m; nil: allocated).
func (c *compiled) prepare(m *parseMemo) {
	if c.prog != nil {
		return
	}
	c.pl = c.progLen()
	c.prog = m.newWords(c.pl)
	c.hash = c.key()
}

func (c *compiled) progLen() int {
	n := 0
	for _, o := range c.ops {
		n++
		if o.code == pPhrase {
			n += len(o.lf.fps) + 1
		}
	}
	return n
}

func (c *compiled) check() error {
	if c.progLen() > maxProg {
		return &alerts.QueryError{Msg: "query too long"}
	}
	if bodyFixed+c.progLen() > maxEntry {
		return &alerts.QueryError{Msg: "query too long"}
	}
	return nil
}
