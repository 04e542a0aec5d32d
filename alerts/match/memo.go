package match

import "hash/maphash"

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
	text        string
	key         string
	hasKey      bool
	fold        string
	hasFold     bool
	starts      bool // may begin a name (see mayStartName)
	startsKnown bool
	nodes       [6]*node // by field, and quoted or not
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

// tokWord returns the memo of token j's text, looked up once per token;
// nil without a memo.
func (p *parser) tokWord(j int) *wordMemo {
	t := &p.toks[j]
	if t.wm == nil && p.memo != nil {
		t.wm = p.word(t.text)
	}
	return t.wm
}

// foldKey is FoldString of token j's text, from the memo if there is one.
func (p *parser) foldKey(j int) string {
	w := p.tokWord(j)
	if w == nil {
		return FoldString(p.toks[j].text)
	}
	if !w.hasFold {
		w.fold, w.hasFold = FoldString(w.text), true
	}
	return w.fold
}

// aliasKey is aliasKey of token j's text, from the memo if there is one.
func (p *parser) aliasKey(j int) string {
	w := p.tokWord(j)
	if w == nil {
		return aliasKey(p.toks[j].text)
	}
	if !w.hasKey {
		w.key, w.hasKey = p.memo.aliasKey(w.text), true
	}
	return w.key
}

// mayStartName reports whether token j may begin a run of words that
// names an entry of the names list, by its stem or its folded form.
func (p *parser) mayStartName(j int) bool {
	w := p.tokWord(j)
	if w != nil && w.startsKnown {
		return w.starts
	}
	k := p.aliasKey(j)
	starts := k != "" && (p.names.startsKey(k) || p.names.startsKey(exactKeyPrefix+p.foldKey(j)))
	if w != nil {
		w.starts, w.startsKnown = starts, true
	}
	return starts
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

// Load's workers take compiled queries, their instructions and their
// programs from slabs instead of an allocation each.
const slabSize = 1024

func (m *parseMemo) newCompiled() *compiled {
	if len(m.cs) == cap(m.cs) {
		m.cs = make([]compiled, 0, slabSize)
	}
	m.cs = m.cs[:len(m.cs)+1]
	return &m.cs[len(m.cs)-1]
}

// newOps returns an empty slice with room for n instructions.
func (m *parseMemo) newOps(n int) []cop {
	if cap(m.ops)-len(m.ops) < n {
		m.ops = make([]cop, 0, max(4*slabSize, n))
	}
	k := len(m.ops)
	m.ops = m.ops[:k+n]
	return m.ops[k : k : k+n]
}

// newWords returns n zero words; m may be nil.
func (m *parseMemo) newWords(n int) []uint32 {
	if m == nil {
		return make([]uint32, n)
	}
	if cap(m.ws)-len(m.ws) < n {
		m.ws = make([]uint32, 0, max(16*slabSize, n))
	}
	k := len(m.ws)
	m.ws = m.ws[:k+n]
	return m.ws[k : k+n : k+n]
}
