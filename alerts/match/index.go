package match

import (
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/herald-news/herald/alerts"
)

// Index answers which subscriptions an article satisfies, at a cost that
// follows the article and its matches, not the number of subscriptions.
//
// Each subscription is compiled into a small program over term IDs and
// indexed under the terms of one "anchor" clause: a set of terms one of
// which every matching article must contain (the cheapest such set, by a
// static estimate of how common each term is). An article is tokenized
// once; its words are looked up in the term dictionary and stamped into a
// per-matcher array; only the subscriptions on the posting lists of its
// terms are candidates, and each candidate's program is checked against
// the stamps. Single words and OR-groups of words (actors) need no check.
//
// Add and Remove may run while Match runs in other goroutines; a match
// gives way to writers at short intervals, so a new subscription is
// matchable within microseconds. Nothing is ever rebuilt as a whole.
type Index struct {
	actors *Actors

	// Read by every match, written only by writers. The fields written by
	// every match (the locks) are kept off these cache lines.
	gen   uint64       // bumped by every change, so a yielding match can notice
	wpend atomic.Int32 // writers waiting for the lock

	dict  dict
	tcost []uint8    // per term: anchor cost (lower is rarer)
	tflag []uint8    // per term: flags
	post  []uint32   // per term: postings, see postList
	lists [][]uint32 // posting lists of two or more, by index
	lfree []uint32   // unused indexes of lists

	ar    arena
	ids   idTable
	slots slotAlloc
	n     int

	surf atomic.Pointer[surface] // for a large dictionary

	// pairBits is a one-hash Bloom filter of the bigram terms, ~16 bits
	// each, so that most word pairs of an article cost no dictionary probe.
	pairBits []uint64
	pairN    int

	// Scratch space of anchors.
	abuf []uint32
	ast  []anchorSet
	// Load's slab for the anchors of shared queries; dropped at its end.
	aslab []uint32

	_  [64]byte
	mu sync.RWMutex
	_  [64]byte

	smu    sync.Mutex
	states []*mstate
	_      [64]byte
}

func (x *Index) pairMaybe(fp uint64) bool {
	if len(x.pairBits) == 0 {
		return false
	}
	b := (fp >> 17) & uint64(len(x.pairBits)*64-1)
	return x.pairBits[b>>6]&(1<<(b&63)) != 0
}

func (x *Index) pairAdd(fp uint64) {
	x.pairN++
	if x.pairN*16 > len(x.pairBits)*64 {
		x.pairBits = make([]uint64, max(64, len(x.pairBits)*2))
		for tid, fl := range x.tflag {
			if fl&tfPair != 0 {
				x.pairSet(x.dict.fps[tid])
			}
		}
	}
	x.pairSet(fp)
}

func (x *Index) pairSet(fp uint64) {
	b := (fp >> 17) & uint64(len(x.pairBits)*64-1)
	x.pairBits[b>>6] |= 1 << (b & 63)
}

const (
	tfPositional uint8 = 1 // used in a phrase: occurrences are recorded
	tfBigram     uint8 = 2 // first word of an indexed bigram: probe pairs
	tfPair       uint8 = 4 // the term is a bigram
)

var _ alerts.Matcher = (*Index)(nil)

// lock takes the write lock, telling matches that a writer waits.
func (x *Index) lock() {
	x.wpend.Add(1)
	x.mu.Lock()
	x.wpend.Add(-1)
}

// runlock ends a match's read lock. If a writer waits, the match yields
// its processor: the writer was woken onto it if this was the last reader,
// and would otherwise wait for the match's next article (tokenizing takes
// tens of microseconds) to run.
func (x *Index) runlock() {
	x.mu.RUnlock()
	if x.wpend.Load() != 0 {
		runtime.Gosched()
	}
}

// NewIndex returns an empty index whose queries expand actors (nil: none).
func NewIndex(actors *Actors) *Index {
	x := &Index{actors: actors}
	x.ids.x = x
	return x
}

// Entry layout in the arena, in words:
//
//	0     subscription ID, low half
//	1     header: program length (bits 0-13), text length (14-29), flags (30-31)
//	2     slot: a dense number for the per-match dedup stamps (bits 0-30);
//	      bit 31: the ID has a high half, in the word after the program
//	3...  program, [the ID's high half], then the query text (see pack)
const (
	hdrProgBits = 14
	hdrTextBits = 16
	hdrVerified = 1 << 30 // any anchor firing means a match
	hdrPacked   = 1 << 31 // the text is six-bit coded (textpack.go)
	slotHigh    = 1 << 31
	slotMask    = slotHigh - 1
	entryFixed  = 3
	maxProg     = 1<<hdrProgBits - 1
	maxText     = 1<<hdrTextBits - 1
)

// entryID returns the subscription ID of an entry.
func entryID(e []uint32) uint64 {
	id := uint64(e[0])
	if e[2]&slotHigh != 0 {
		id |= uint64(e[entryFixed+e[1]&maxProg]) << 32
	}
	return id
}

// entryText returns the words from an entry's text on.
func entryText(e []uint32) []uint32 {
	return e[entryFixed+e[1]&maxProg+e[2]>>31:]
}

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

// Add compiles and indexes the subscription's query, replacing any
// subscription with the same ID. It returns a *alerts.QueryError for a
// malformed query.
func (x *Index) Add(s alerts.Subscription) error {
	q, err := Parse(s.Query, x.actors)
	if err != nil {
		return err
	}
	c := compileQuery(q)
	if err := c.check(); err != nil {
		return err
	}
	c.pack()
	x.lock()
	x.insertLocked(s.ID, c)
	x.mu.Unlock()
	return nil
}

// Load adds many subscriptions at once, parsing them in parallel and each
// distinct query once. Malformed queries are skipped and reported
// together; the others are added, in order. The subscriptions are
// inserted in chunks while the workers parse the chunks after them; the
// index is write-locked for one chunk at a time.
func (x *Index) Load(subs []alerts.Subscription) error {
	comp := make([]*compiled, len(subs))
	// Each worker's errors, by subscription index.
	type subErr struct {
		i   int
		err error
	}
	workers := runtime.GOMAXPROCS(0)
	errs := make([][]subErr, workers)
	// Worker w parses the queries whose hash falls to it, so each keeps
	// its own memo of the queries it has seen.
	hash := make([]uint64, len(subs))
	seed := maphash.MakeSeed()
	increasing := true // so no ID comes twice
	for i := range subs {
		hash[i] = maphash.String(seed, subs[i].Query)
		increasing = increasing && (i == 0 || subs[i].ID > subs[i-1].ID)
	}
	nchunks := (len(subs) + loadChunk - 1) / loadChunk
	pending := make([]atomic.Int32, nchunks)
	ready := make([]chan struct{}, nchunks)
	for k := range ready {
		pending[k].Store(int32(workers))
		ready[k] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w uint64) {
			defer wg.Done()
			// The queries seen, by hash; a query whose hash is another's
			// is parsed on its own.
			memo := make(map[uint64]*compiled, len(subs)/workers/2)
			pm := newParseMemo(len(subs) / workers / 2)
			for k := 0; k < nchunks; k++ {
				for i := k * loadChunk; i < min(len(subs), (k+1)*loadChunk); i++ {
					h := hash[i]
					if h%uint64(workers) != w {
						continue
					}
					c, ok := memo[h]
					if ok && c.text == subs[i].Query {
						comp[i] = c
						continue
					}
					q, err := parse(subs[i].Query, x.actors, pm)
					if err == nil {
						c = compileMemo(q, pm)
						err = c.check()
					}
					if err != nil {
						errs[w] = append(errs[w], subErr{i, fmt.Errorf("subscription %d: %w", subs[i].ID, err)})
						continue
					}
					c.packInto(pm)
					c.shared = true
					comp[i] = c
					if !ok {
						memo[h] = c
					}
				}
				if pending[k].Add(-1) == 0 {
					close(ready[k])
				}
			}
		}(uint64(w))
	}
	x.lock()
	x.ids.reserve(x.n + len(subs))
	// Into an empty index that nothing else changes meanwhile, IDs in
	// increasing order are all new: no need to look them up.
	fresh := increasing && x.n == 0
	gen := x.gen
	x.mu.Unlock()
	for k := 0; k < nchunks; k++ {
		<-ready[k]
		x.lock()
		fresh = fresh && x.gen == gen
		for i := k * loadChunk; i < min(len(subs), (k+1)*loadChunk); i++ {
			if c := comp[i]; c != nil {
				x.insertNew(subs[i].ID, c, fresh)
				comp[i] = nil
			}
		}
		gen = x.gen
		x.mu.Unlock()
	}
	wg.Wait()
	x.lock()
	x.aslab = nil
	x.mu.Unlock()
	all := slices.Concat(errs...)
	slices.SortFunc(all, func(a, b subErr) int { return a.i - b.i })
	joined := make([]error, len(all))
	for k, e := range all {
		joined[k] = e.err
	}
	return errors.Join(joined...)
}

// loadChunk is how many subscriptions Load inserts under one write lock.
const loadChunk = 4096

// Remove drops a subscription; unknown IDs are ignored.
func (x *Index) Remove(id uint64) {
	x.lock()
	if off, ok := x.ids.find(id); ok {
		x.removeLocked(off)
	}
	x.mu.Unlock()
}

// Len returns the number of subscriptions.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// Query returns the query text of a subscription.
func (x *Index) Query(id uint64) (string, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	off, ok := x.ids.find(id)
	if !ok {
		return "", false
	}
	return x.textLocked(off), true
}

func (x *Index) textLocked(off uint32) string {
	e := x.ar.at(off)
	hdr := e[1]
	tl := (hdr >> hdrProgBits) & maxText
	b := make([]byte, tl)
	w := entryText(e)
	if hdr&hdrPacked != 0 {
		unpackText(w, int(tl), b)
		return string(b)
	}
	for i := range b {
		b[i] = byte(w[i/4] >> (8 * (i % 4)))
	}
	return string(b)
}

// compiled is a query ready to be indexed: its program with term forms
// still to be interned.
type compiled struct {
	text  string
	ops   []cop
	multi bool

	// Set by the first insert: the interned program and its anchors, for
	// the subscriptions of a Load that share the query (term IDs never
	// change once assigned).
	prog     []uint32 // the program and the text, as in the entry (see pack)
	pl       int      // program length
	interned bool     // prog holds the program
	packed   bool     // the text in prog is six-bit coded
	shared   bool     // Load may insert it more than once
	anchors  []uint32
	verified bool
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

// pack sizes prog and writes the text into it, 4 bytes a word; insert
// interns the program into it. Load's workers call it outside the lock.
func (c *compiled) pack() { c.packInto(nil) }

// packInto is pack taking the words from the memo's slab.
func (c *compiled) packInto(m *parseMemo) {
	if c.prog != nil {
		return
	}
	c.pl = c.progLen()
	if tw, ok := packedWords(c.text); ok {
		c.prog = m.newWords(c.pl + tw)
		packText(c.prog[c.pl:], c.text)
		c.packed = true
		return
	}
	c.prog = m.newWords(c.pl + (len(c.text)+3)/4)
	t, s := c.prog[c.pl:], c.text
	for len(s) >= 4 {
		t[0] = uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		t, s = t[1:], s[4:]
	}
	for j := 0; j < len(s); j++ {
		t[0] |= uint32(s[j]) << (8 * j)
	}
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
	if c.progLen() > maxProg || len(c.text) > maxText {
		return &alerts.QueryError{Msg: "query too long"}
	}
	// An entry has at most 4 words besides the program and text.
	if 4+c.progLen()+(len(c.text)+3)/4 > maxEntry {
		return &alerts.QueryError{Msg: "query too long"}
	}
	return nil
}

// intern returns the ID of word j of o, adding it to the dictionary.
func (x *Index) intern(o *cop, j int, positional bool) uint32 {
	tid := x.internFP(o.lf.fps[j], o.lf.costs[j])
	if positional {
		x.tflag[tid] |= tfPositional
	}
	return tid
}

func (x *Index) internFP(fp uint64, cost uint8) uint32 {
	tid := x.dict.get(fp)
	if tid == noTerm {
		tid = uint32(len(x.post))
		x.dict.put(fp, tid)
		x.post = append(x.post, 0)
		x.tcost = append(x.tcost, cost)
		x.tflag = append(x.tflag, 0)
	}
	return tid
}

// pairFP is the fingerprint of two terms in a row: a phrase is indexed
// under its rarest pair of adjacent words, which is far rarer than either.
func pairFP(a, b uint64) uint64 {
	h := (a^0x243f6a8885a308d3)*0x9e3779b97f4a7c15 + b
	h ^= h >> 31
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 29
	if h == 0 {
		h = 1
	}
	return h
}

// internBigram interns the pair of adjacent phrase words with the lowest
// combined cost and flags its first word for pair probes.
func (x *Index) internBigram(o *cop, tids []uint32) uint32 {
	best := 0
	for k := 1; k+1 < len(tids); k++ {
		if int(x.tcost[tids[k]])+int(x.tcost[tids[k+1]]) < int(x.tcost[tids[best]])+int(x.tcost[tids[best+1]]) {
			best = k
		}
	}
	a, b := tids[best], tids[best+1]
	fp := pairFP(o.lf.fps[best], o.lf.fps[best+1])
	tid := x.internFP(fp, min(x.tcost[a], x.tcost[b])/2)
	if x.tflag[tid]&tfPair == 0 {
		x.tflag[tid] |= tfPair
		x.pairAdd(fp)
	}
	x.tflag[a] |= tfBigram
	return tid
}

// internProg writes the program of c with its terms interned into p.
func (x *Index) internProg(c *compiled, p []uint32) {
	i := 0
	for k := range c.ops {
		o := &c.ops[k]
		switch o.code {
		case pTerm, pTermTitle, pSource:
			p[i] = o.code | x.intern(o, 0, false)
			i++
		case pPhrase:
			n := len(o.lf.fps)
			p[i] = pPhrase | uint32(n)<<1 | o.arg
			i++
			for j := range n {
				p[i] = x.intern(o, j, true)
				i++
			}
			p[i] = x.internBigram(o, p[i-n:i])
			i++
		case pNot:
			p[i] = pNot
			i++
		default:
			p[i] = o.code | o.arg
			i++
		}
	}
}

func (x *Index) insertLocked(id uint64, c *compiled) { x.insertNew(id, c, false) }

// insertNew is insertLocked, told whether id is known to be absent.
func (x *Index) insertNew(id uint64, c *compiled, absent bool) {
	if !absent {
		if off, ok := x.ids.find(id); ok {
			x.removeLocked(off)
		}
	}
	x.gen++
	c.pack()
	pl := c.pl
	hi := uint32(0)
	if id>>32 != 0 {
		hi = 1
	}
	size := uint32(entryFixed+len(c.prog)) + hi
	off := x.ar.alloc(size)
	e := x.ar.at(off)[:size]
	e[0] = uint32(id)
	slot := x.slots.get()
	if slot >= slotHigh {
		panic("match: too many subscriptions")
	}
	e[2] = slot | hi<<31
	if !c.interned {
		p := c.prog[:pl]
		x.internProg(c, p)
		anchors, verified := x.anchors(p)
		if c.shared {
			anchors = x.keepAnchors(anchors)
		} // else c.anchors is used only below, before anchors runs again
		c.anchors, c.verified = anchors, verified
		c.interned = true
		c.ops = nil // a later insert of the query copies c.prog
	}
	copy(e[entryFixed:], c.prog[:pl])
	if hi != 0 {
		e[entryFixed+pl] = uint32(id >> 32)
	}
	copy(e[entryFixed+pl+int(hi):], c.prog[pl:])
	anchors, verified := c.anchors, c.verified
	hdr := uint32(pl) | uint32(len(c.text))<<hdrProgBits
	if verified {
		hdr |= hdrVerified
	}
	if c.packed {
		hdr |= hdrPacked
	}
	e[1] = hdr
	for _, tid := range anchors {
		x.addPosting(tid, off)
	}
	x.ids.insert(off, id)
	x.n++
}

// keepAnchors copies anchors into the load slab.
func (x *Index) keepAnchors(a []uint32) []uint32 {
	if cap(x.aslab)-len(x.aslab) < len(a) {
		x.aslab = make([]uint32, 0, max(4*slabSize, len(a)))
	}
	k := len(x.aslab)
	x.aslab = append(x.aslab, a...)
	return x.aslab[k:len(x.aslab):len(x.aslab)]
}

// A term's postings are the arena offsets of the subscriptions anchored on
// it. Most terms have none or one, so post holds 0 (none), the one offset
// (offsets are never 0 and below listBit), or listBit | an index of lists.
// That keeps a term to 4 bytes instead of a 24-byte slice header and a
// small allocation, and leaves the collector few pointers to scan.
const listBit = 1 << 31

func (x *Index) addPosting(tid, off uint32) {
	v := x.post[tid]
	switch {
	case v == 0:
		x.post[tid] = off
	case v&listBit == 0:
		var li uint32
		if n := len(x.lfree); n > 0 {
			li = x.lfree[n-1]
			x.lfree = x.lfree[:n-1]
		} else {
			li = uint32(len(x.lists))
			x.lists = append(x.lists, nil)
		}
		x.lists[li] = append(make([]uint32, 0, 2), v, off)
		x.post[tid] = listBit | li
	default:
		li := v &^ listBit
		x.lists[li] = append(x.lists[li], off)
	}
}

func (x *Index) removePosting(tid, off uint32) {
	v := x.post[tid]
	switch {
	case v == off:
		x.post[tid] = 0
	case v&listBit != 0:
		li := v &^ listBit
		l := x.lists[li]
		for i, o := range l {
			if o == off {
				l[i] = l[len(l)-1]
				l = l[:len(l)-1]
				break
			}
		}
		switch {
		case len(l) == 1:
			x.post[tid] = l[0]
			x.lists[li] = nil
			x.lfree = append(x.lfree, li)
			return
		case cap(l) > 8 && len(l) < cap(l)/4:
			l = slices.Clip(slices.Clone(l))
		}
		x.lists[li] = l
	}
}

// postList returns the postings of a term; one is returned in *one.
func (x *Index) postList(tid uint32, one *[1]uint32) []uint32 {
	v := x.post[tid]
	switch {
	case v == 0:
		return nil
	case v&listBit == 0:
		one[0] = v
		return one[:]
	}
	return x.lists[v&^listBit]
}

func (x *Index) removeLocked(off uint32) {
	x.gen++
	e := x.ar.at(off)
	hdr := e[1]
	pl := hdr & maxProg
	tl := (hdr >> hdrProgBits) & maxText
	anchors, _ := x.anchors(e[entryFixed : entryFixed+pl])
	for _, tid := range anchors {
		x.removePosting(tid, off)
	}
	x.ids.remove(entryID(e))
	x.slots.put(e[2] & slotMask)
	tw := (tl + 3) / 4
	if hdr&hdrPacked != 0 {
		tw = uint32(unpackText(entryText(e), int(tl), nil))
	}
	x.ar.release(off, entryFixed+pl+e[2]>>31+tw)
	x.n--
}

// anchors returns the terms a subscription is indexed under, and whether
// one of them occurring is enough for a match. It depends only on the
// program and the terms' fixed costs, so Remove finds what Add chose. The
// slice is the index's scratch space, valid until the next call; it is
// called with the write lock held.
func (x *Index) anchors(p []uint32) (tids []uint32, verified bool) {
	buf := x.abuf[:0]
	if len(p) == 1 && p[0]&pOpMask == pTerm {
		x.abuf = append(buf, p[0]&pArgMask)
		return x.abuf, true
	}
	type aset = anchorSet
	st := x.ast[:0]
	leaf := func(tid uint32) aset {
		buf = append(buf, tid)
		return aset{cost: int(x.tcost[tid]), lo: len(buf) - 1, hi: len(buf), ok: true}
	}
	plainOr := true // program is terms and one OR of them
	for i := 0; i < len(p); i++ {
		w := p[i]
		switch w & pOpMask {
		case pTerm:
			st = append(st, leaf(w&pArgMask))
		case pTermTitle, pSource:
			plainOr = false
			st = append(st, leaf(w&pArgMask))
		case pPhrase:
			plainOr = false
			n := int(w&pArgMask) >> 1
			st = append(st, leaf(p[i+1+n]))
			i += n + 1
		case pNot:
			plainOr = false
			st[len(st)-1] = aset{}
		case pAnd:
			plainOr = false
			n := int(w & pArgMask)
			kids := st[len(st)-n:]
			best := -1
			for j, k := range kids {
				if k.ok && (best < 0 || k.cost < kids[best].cost) {
					best = j
				}
			}
			r := aset{}
			if best >= 0 {
				r = kids[best]
			}
			st = append(st[:len(st)-n], r)
		case pOr:
			if i != len(p)-1 {
				plainOr = false
			}
			n := int(w & pArgMask)
			kids := st[len(st)-n:]
			r := aset{ok: true, lo: len(buf), hi: len(buf)}
			for _, k := range kids {
				if !k.ok {
					r = aset{}
					break
				}
				r.cost += k.cost
				for j := k.lo; j < k.hi; j++ {
					if t := buf[j]; !slices.Contains(buf[r.lo:], t) {
						buf = append(buf, t)
					}
				}
				r.hi = len(buf)
			}
			st = append(st[:len(st)-n], r)
		}
	}
	x.abuf, x.ast = buf, st
	top := st[len(st)-1]
	if !top.ok {
		// Parse refuses such queries; be safe anyway.
		panic("match: query without a required term")
	}
	return buf[top.lo:top.hi], plainOr
}

// anchorSet is a set of anchor terms in the scratch space of anchors: its
// terms are abuf[lo:hi].
type anchorSet struct {
	cost   int
	lo, hi int
	ok     bool
}

// slotAlloc hands out dense slot numbers, reusing freed ones.
type slotAlloc struct {
	next uint32
	free []uint32
}

func (s *slotAlloc) get() uint32 {
	if n := len(s.free); n > 0 {
		v := s.free[n-1]
		s.free = s.free[:n-1]
		return v
	}
	s.next++
	return s.next - 1
}

func (s *slotAlloc) put(v uint32) { s.free = append(s.free, v) }

// idTable maps subscription IDs to arena offsets: open addressing over the
// offsets alone, the ID read back from the entry.
type idTable struct {
	x     *Index
	slots []uint32
	n     int
}

func idHash(id uint64) uint64 {
	id ^= id >> 33
	id *= 0xff51afd7ed558ccd
	id ^= id >> 33
	return id
}

func (t *idTable) idAt(off uint32) uint64 {
	return entryID(t.x.ar.at(off))
}

func (t *idTable) find(id uint64) (uint32, bool) {
	if t.n == 0 {
		return 0, false
	}
	mask := uint64(len(t.slots) - 1)
	for i := idHash(id) & mask; ; i = (i + 1) & mask {
		off := t.slots[i]
		if off == 0 {
			return 0, false
		}
		if t.idAt(off) == id {
			return off, true
		}
	}
}

func (t *idTable) insert(off uint32, id uint64) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(1024, len(t.slots)*2))
	}
	t.place(off, id)
}

// reserve makes room for n IDs without growing.
func (t *idTable) reserve(n int) {
	size := max(1024, len(t.slots))
	for n*4 > size*3 {
		size *= 2
	}
	if size > len(t.slots) {
		t.resize(size)
	}
}

func (t *idTable) resize(size int) {
	old := t.slots
	t.slots = make([]uint32, size)
	t.n = 0
	for _, o := range old {
		if o != 0 {
			t.place(o, t.idAt(o))
		}
	}
}

func (t *idTable) place(off uint32, id uint64) {
	mask := uint64(len(t.slots) - 1)
	i := idHash(id) & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = off
	t.n++
}

// remove deletes id with backward-shift deletion.
func (t *idTable) remove(id uint64) {
	if t.n == 0 {
		return
	}
	mask := uint64(len(t.slots) - 1)
	i := idHash(id) & mask
	for {
		off := t.slots[i]
		if off == 0 {
			return
		}
		if t.idAt(off) == id {
			break
		}
		i = (i + 1) & mask
	}
	t.n--
	for {
		t.slots[i] = 0
		j := i
		for {
			j = (j + 1) & mask
			off := t.slots[j]
			if off == 0 {
				return
			}
			home := idHash(t.idAt(off)) & mask
			// Move the entry at j into the hole at i unless its home lies
			// cyclically in (i, j].
			if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
				t.slots[i] = off
				i = j
				break
			}
		}
	}
}
