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

	mu  sync.RWMutex
	gen uint64 // bumped by every change, so a yielding match can notice

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

	smu    sync.Mutex
	states []*mstate

	surf atomic.Pointer[surface] // for a large dictionary

	// pairBits is a one-hash Bloom filter of the bigram terms, ~16 bits
	// each, so that most word pairs of an article cost no dictionary probe.
	pairBits []uint64
	pairN    int
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

// NewIndex returns an empty index whose queries expand actors (nil: none).
func NewIndex(actors *Actors) *Index {
	x := &Index{actors: actors}
	x.ids.x = x
	return x
}

// Entry layout in the arena, in words:
//
//	0, 1  subscription ID, low and high half
//	2     header: program length (bits 0-13), text length (14-29), flags (30-31)
//	3     slot: a dense number for the per-match dedup stamps
//	4...  program, then the query text, 4 bytes a word
const (
	hdrProgBits = 14
	hdrTextBits = 16
	hdrVerified = 1 << 30 // any anchor firing means a match
	entryFixed  = 4
	maxProg     = 1<<hdrProgBits - 1
	maxText     = 1<<hdrTextBits - 1
)

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
	x.mu.Lock()
	x.insertLocked(s.ID, c)
	x.mu.Unlock()
	return nil
}

// Load adds many subscriptions at once, parsing them in parallel and each
// distinct query once. Malformed queries are skipped and reported
// together; the others are added.
func (x *Index) Load(subs []alerts.Subscription) error {
	comp := make([]*compiled, len(subs))
	errs := make([]error, len(subs))
	workers := runtime.GOMAXPROCS(0)
	// Worker w parses the queries whose hash falls to it, so each keeps
	// its own memo of the queries it has seen.
	owner := make([]uint8, len(subs))
	seed := maphash.MakeSeed()
	for i := range subs {
		owner[i] = uint8(maphash.String(seed, subs[i].Query) % uint64(workers))
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w uint8) {
			defer wg.Done()
			type parsed struct {
				c   *compiled
				err error
			}
			memo := make(map[string]parsed)
			for i := range subs {
				if owner[i] != w {
					continue
				}
				p, ok := memo[subs[i].Query]
				if !ok {
					q, err := Parse(subs[i].Query, x.actors)
					if err == nil {
						p.c = compileQuery(q)
						err = p.c.check()
					}
					if err != nil {
						p = parsed{err: err}
					}
					memo[subs[i].Query] = p
				}
				comp[i] = p.c
				if p.err != nil {
					errs[i] = fmt.Errorf("subscription %d: %w", subs[i].ID, p.err)
				}
			}
		}(uint8(w))
	}
	wg.Wait()
	x.mu.Lock()
	for i, c := range comp {
		if c != nil {
			x.insertLocked(subs[i].ID, c)
		}
	}
	x.mu.Unlock()
	return errors.Join(errs...)
}

// Remove drops a subscription; unknown IDs are ignored.
func (x *Index) Remove(id uint64) {
	x.mu.Lock()
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
	hdr := e[2]
	pl := hdr & maxProg
	tl := (hdr >> hdrProgBits) & maxText
	b := make([]byte, tl)
	w := e[entryFixed+pl:]
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
	prog     []uint32
	anchors  []uint32
	verified bool
}

// cop is one program instruction before interning.
type cop struct {
	code  uint32 // pTerm, pPhrase, ...
	arg   uint32 // operand count for pAnd/pOr, title flag for pPhrase
	kind  byte
	words []string
	fps   []uint64 // fingerprints of words, computed outside the lock
	costs []uint8  // their anchor costs
}

func compileQuery(q *Query) *compiled {
	c := compileOps(q)
	for i := range c.ops {
		o := &c.ops[i]
		for _, w := range o.words {
			o.fps = append(o.fps, fingerprintString(o.kind, w))
			o.costs = append(o.costs, termCost(o.kind, w))
		}
	}
	return c
}

func compileOps(q *Query) *compiled {
	var count func(n *node) int
	count = func(n *node) int {
		k := 1
		for _, m := range n.kids {
			k += count(m)
		}
		return k
	}
	c := &compiled{text: q.src, ops: make([]cop, 0, count(q.root))}
	var walk func(n *node)
	walk = func(n *node) {
		switch n.op {
		case opLeaf:
			l := n.leaf
			switch {
			case l.kind == kindSource:
				c.ops = append(c.ops, cop{code: pSource, kind: l.kind, words: l.words})
			case len(l.words) > 1:
				t := uint32(0)
				if l.field == inTitle {
					t = 1
				}
				c.ops = append(c.ops, cop{code: pPhrase, arg: t, kind: l.kind, words: l.words})
			case l.field == inTitle:
				c.ops = append(c.ops, cop{code: pTermTitle, kind: l.kind, words: l.words})
			default:
				c.ops = append(c.ops, cop{code: pTerm, kind: l.kind, words: l.words})
			}
		case opNot:
			walk(n.kids[0])
			c.ops = append(c.ops, cop{code: pNot})
		default:
			for _, k := range n.kids {
				walk(k)
			}
			code := uint32(pAnd)
			if n.op == opOr {
				code = pOr
			}
			c.ops = append(c.ops, cop{code: code, arg: uint32(len(n.kids))})
		}
	}
	walk(q.root)
	return c
}

func (c *compiled) progLen() int {
	n := 0
	for _, o := range c.ops {
		n++
		if o.code == pPhrase {
			n += len(o.words) + 1
		}
	}
	return n
}

func (c *compiled) check() error {
	if c.progLen() > maxProg || len(c.text) > maxText {
		return &alerts.QueryError{Msg: "query too long"}
	}
	if entryFixed+c.progLen()+(len(c.text)+3)/4 > maxEntry {
		return &alerts.QueryError{Msg: "query too long"}
	}
	return nil
}

// intern returns the ID of word j of o, adding it to the dictionary.
func (x *Index) intern(o *cop, j int, positional bool) uint32 {
	tid := x.internFP(o.fps[j], o.costs[j])
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
	fp := pairFP(o.fps[best], o.fps[best+1])
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
			p[i] = pPhrase | uint32(len(o.words))<<1 | o.arg
			i++
			for j := range o.words {
				p[i] = x.intern(o, j, true)
				i++
			}
			p[i] = x.internBigram(o, p[i-len(o.words):i])
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

func (x *Index) insertLocked(id uint64, c *compiled) {
	if off, ok := x.ids.find(id); ok {
		x.removeLocked(off)
	}
	x.gen++
	pl := c.progLen()
	size := uint32(entryFixed + pl + (len(c.text)+3)/4)
	off := x.ar.alloc(size)
	e := x.ar.at(off)[:size]
	e[0], e[1] = uint32(id), uint32(id>>32)
	e[3] = x.slots.get()
	p := e[entryFixed : entryFixed+pl]
	if c.prog == nil {
		x.internProg(c, p)
		c.prog = slices.Clone(p)
		c.anchors, c.verified = x.anchors(p)
	} else {
		copy(p, c.prog)
	}
	t := e[entryFixed+pl:]
	for j := 0; j < len(c.text); j++ {
		t[j/4] |= uint32(c.text[j]) << (8 * (j % 4))
	}
	anchors, verified := c.anchors, c.verified
	hdr := uint32(pl) | uint32(len(c.text))<<hdrProgBits
	if verified {
		hdr |= hdrVerified
	}
	e[2] = hdr
	for _, tid := range anchors {
		x.addPosting(tid, off)
	}
	x.ids.insert(off, id)
	x.n++
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
	hdr := e[2]
	pl := hdr & maxProg
	tl := (hdr >> hdrProgBits) & maxText
	anchors, _ := x.anchors(e[entryFixed : entryFixed+pl])
	for _, tid := range anchors {
		x.removePosting(tid, off)
	}
	x.ids.remove(uint64(e[0]) | uint64(e[1])<<32)
	x.slots.put(e[3])
	x.ar.release(off, entryFixed+pl+(tl+3)/4)
	x.n--
}

// anchors returns the terms a subscription is indexed under, and whether
// one of them occurring is enough for a match. It depends only on the
// program and the terms' fixed costs, so Remove finds what Add chose.
func (x *Index) anchors(p []uint32) (tids []uint32, verified bool) {
	if len(p) == 1 && p[0]&pOpMask == pTerm {
		return []uint32{p[0] & pArgMask}, true
	}
	type aset struct {
		cost int
		tids []uint32
		ok   bool
	}
	var st []aset
	plainOr := true // program is terms and one OR of them
	for i := 0; i < len(p); i++ {
		w := p[i]
		switch w & pOpMask {
		case pTerm:
			tid := w & pArgMask
			st = append(st, aset{cost: int(x.tcost[tid]), tids: []uint32{tid}, ok: true})
		case pTermTitle, pSource:
			plainOr = false
			tid := w & pArgMask
			st = append(st, aset{cost: int(x.tcost[tid]), tids: []uint32{tid}, ok: true})
		case pPhrase:
			plainOr = false
			n := int(w&pArgMask) >> 1
			bg := p[i+1+n]
			st = append(st, aset{cost: int(x.tcost[bg]), tids: []uint32{bg}, ok: true})
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
			r := aset{ok: true}
			for _, k := range kids {
				if !k.ok {
					r = aset{}
					break
				}
				r.cost += k.cost
				for _, t := range k.tids {
					if !slices.Contains(r.tids, t) {
						r.tids = append(r.tids, t)
					}
				}
			}
			st = append(st[:len(st)-n], r)
		}
	}
	top := st[len(st)-1]
	if !top.ok {
		// Parse refuses such queries; be safe anyway.
		panic("match: query without a required term")
	}
	return top.tids, plainOr
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
	e := t.x.ar.at(off)
	return uint64(e[0]) | uint64(e[1])<<32
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
		old := t.slots
		size := 1024
		if len(old) > 0 {
			size = len(old) * 2
		}
		t.slots = make([]uint32, size)
		t.n = 0
		for _, o := range old {
			if o != 0 {
				t.place(o, t.idAt(o))
			}
		}
	}
	t.place(off, id)
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
