package match

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/herald-news/herald/alerts"
)

// Stamp fields.
const (
	sfTitle  = 1
	sfBody   = 2
	sfSource = 4
	sfBits   = 3
	maxEpoch = 1<<(32-sfBits) - 1
)

// A match yields the index to writers after this many candidates or
// dictionary probes.
const yieldEvery = 64

// mstate is one matcher's scratch space, reused across articles: per-term
// stamps, occurrence lists for phrase terms, per-slot dedup stamps and a
// stem cache. It is not shared between goroutines.
type mstate struct {
	epoch uint32
	stamp []uint32 // per term: epoch<<sfBits | fields
	head  []int32  // per term: first occurrence, -1 if none
	seen  []uint32 // per slot: epoch the subscription was last decided
	occs  []occRec
	terms []uint32 // terms stamped for this article

	toks     []tokRec
	src      []uint64
	titleEnd uint32
	stack    []bool

	forms []byte

	ws    wordScanner
	sk    sourceKeyer
	out   []hitRec
	one   [1]uint32 // a posting list of one
	cand  []uint32  // a batch of candidates: arena offsets
	cslot []uint32  // and their slots
}

type occRec struct {
	pos, end uint32
	next     int32
}

type tokRec struct {
	ex, st   uint64
	pos, end uint32
	// From the index's surface cache, if known: the term IDs of the
	// exact form and of the stem (each +1, 0 for none), and the number of
	// terms the dictionary had when they were looked up.
	tids, ver uint64
	known     bool
	script    uint8
	fo, fl    uint32 // the folded form: s.forms[fo:fo+fl]
}

// surface caches, for a large index, what a word's exact form resolves
// to: its stem fingerprint and the term IDs of the form and of the stem,
// so that a word costs one probe into one cache line instead of a stem
// cache probe and two dictionary probes. Term IDs never change, so a
// cached ID stays right; a cached "no such term" is right only while the
// dictionary has the number of terms it had then (ver). It is lock-free
// like stemCache: four words a slot written with atomic stores, the key
// word checking the other three.
type surface struct{ slots []surfSlot }

type surfSlot struct{ k, st, tids, ver atomic.Uint64 }

const surfSize = 1 << 18 // slots: 8 MB

// surfMinTerms is the dictionary size from which an index uses a surface
// cache; below it the dictionary stays in the CPU's caches anyway. Tests
// set it to 0.
var surfMinTerms uint64 = 1 << 16

func surfCheck(st, tids, ver uint64) uint64 {
	h := st ^ tids*0x9e3779b97f4a7c15 ^ ver*0xc2b2ae3d27d4eb4f
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return h
}

func (c *surface) get(ex uint64) (st, tids, ver uint64, ok bool) {
	b := c.slots[ex&(surfSize-1)&^1:]
	b = b[:2]
	for i := range b {
		st, tids, ver = b[i].st.Load(), b[i].tids.Load(), b[i].ver.Load()
		if b[i].k.Load() == ex^surfCheck(st, tids, ver) {
			return st, tids, ver, true
		}
	}
	return 0, 0, 0, false
}

func (c *surface) put(ex, st, tids, ver uint64, hint uint32) {
	b := c.slots[ex&(surfSize-1)&^1:]
	b = b[:2]
	sl := &b[hint&1]
	if b[0].k.Load() == 0 {
		sl = &b[0]
	}
	sl.k.Store(0)
	sl.st.Store(st)
	sl.tids.Store(tids)
	sl.ver.Store(ver)
	sl.k.Store(ex ^ surfCheck(st, tids, ver))
}

type hitRec struct {
	id  uint64
	off uint32
}

// stemCache maps the fingerprint of a word's exact form to that of its
// stem. One table serves every matcher of every index, without locks: a
// slot is two words written with atomic stores, the key word holding the
// exact fingerprint XOR the stem's, so a slot read half-way through a
// write does not check out (and is recomputed). Buckets of four slots fill
// one cache line; a word takes an empty slot of its bucket, or in a full
// one a slot chosen by the caller's varying hint (never by the key: two
// words would evict each other forever), so the table never needs
// clearing.
type stemCache struct {
	once  sync.Once
	slots []stemSlot
}

type stemSlot struct{ k, st atomic.Uint64 }

const stemCacheSize = 1 << 19 // slots: 8 MB

var stems stemCache

func (c *stemCache) get(ex uint64, form []byte, script uint8, hint uint32) uint64 {
	c.once.Do(func() { c.slots = make([]stemSlot, stemCacheSize) })
	b := c.slots[ex&(stemCacheSize-1)&^3:]
	b = b[:4]
	for i := range b {
		st := b[i].st.Load()
		if b[i].k.Load()^st == ex {
			return st
		}
	}
	var st uint64
	if script == scLatin || script == scCyr {
		st = fingerprintString(kindStem, stemString(string(form), script))
	} else {
		st = fingerprint(kindStem, form)
	}
	sl := &b[hint&3]
	for i := range b {
		if b[i].k.Load() == 0 && b[i].st.Load() == 0 {
			sl = &b[i]
			break
		}
	}
	sl.k.Store(0)
	sl.st.Store(st)
	sl.k.Store(ex ^ st)
	return st
}

func (x *Index) getState() *mstate {
	x.smu.Lock()
	defer x.smu.Unlock()
	if n := len(x.states); n > 0 {
		s := x.states[n-1]
		x.states = x.states[:n-1]
		return s
	}
	return &mstate{}
}

func (x *Index) putState(s *mstate) {
	x.smu.Lock()
	if len(x.states) < maxStates {
		x.states = append(x.states, s)
	}
	x.smu.Unlock()
}

// maxStates bounds the idle matcher states an index keeps.
const maxStates = 64

// prepare tokenizes the article into fingerprints; it needs no lock.
func (s *mstate) prepare(x *Index, a *alerts.Article) {
	s.epoch++
	if s.epoch > maxEpoch {
		clear(s.stamp)
		clear(s.seen)
		s.epoch = 1
	}
	s.toks = s.toks[:0]
	s.src = s.src[:0]
	s.occs = s.occs[:0]
	s.terms = s.terms[:0]
	s.forms = s.forms[:0]
	s.titleEnd = s.scan(a.Title, 0)
	s.scan(a.Body, s.titleEnd+1)
	s.resolve(x.surf.Load())
	s.sk.keys(a, func(key []byte, _ string) {
		s.src = append(s.src, fingerprint(kindSource, key))
	})
}

// scan tokenizes a text into s.toks and s.forms.
func (s *mstate) scan(text string, base uint32) uint32 {
	ws := &s.ws
	ws.reset(text, int(base))
	last := base
	for ws.next() {
		w := &ws.w
		s.toks = append(s.toks, tokRec{
			ex:     fingerprint(kindExact, w.form),
			pos:    uint32(w.pos),
			end:    uint32(w.end),
			script: w.script,
			fo:     uint32(len(s.forms)),
			fl:     uint32(len(w.form)),
		})
		s.forms = append(s.forms, w.form...)
		if uint32(w.end) > last {
			last = uint32(w.end)
		}
	}
	return last
}

// resolve finds the tokens' stems: from the index's surface cache, if
// any, else from the stem cache. It runs as a pass of its own over the
// tokens so that the CPU overlaps their cache misses.
func (s *mstate) resolve(sf *surface) {
	if sf != nil {
		for i := range s.toks {
			t := &s.toks[i]
			t.st, t.tids, t.ver, t.known = sf.get(t.ex)
		}
	}
	for i := range s.toks {
		t := &s.toks[i]
		if !t.known {
			t.st = stems.get(t.ex, s.forms[t.fo:t.fo+t.fl], t.script, s.epoch+uint32(i))
		}
	}
}

// fit grows the per-term and per-slot arrays to the index's size.
func (s *mstate) fit(x *Index) {
	if s.cslot == nil {
		s.cand = make([]uint32, 0, yieldEvery)
		s.cslot = make([]uint32, yieldEvery)
	}
	if n := len(x.post); len(s.stamp) < n {
		n += n / 4
		s.stamp = append(s.stamp, make([]uint32, n-len(s.stamp))...)
		s.head = append(s.head, make([]int32, n-len(s.head))...)
	}
	if n := int(x.slots.next); len(s.seen) < n {
		n += n / 4
		s.seen = append(s.seen, make([]uint32, n-len(s.seen))...)
	}
}

func (s *mstate) mark(x *Index, tid uint32, f uint32, pos, end uint32) {
	st := s.stamp[tid]
	if st>>sfBits != s.epoch {
		s.stamp[tid] = s.epoch<<sfBits | f
		s.head[tid] = -1
		s.terms = append(s.terms, tid)
	} else {
		s.stamp[tid] = st | f
	}
	if x.tflag[tid]&tfPositional != 0 {
		s.occs = append(s.occs, occRec{pos: pos, end: end, next: s.head[tid]})
		s.head[tid] = int32(len(s.occs) - 1)
	}
}

// lookup stamps the article's terms; called with the read lock held, it
// yields every yieldEvery probes.
func (x *Index) lookup(s *mstate) {
	s.fit(x)
	nterms := uint64(len(x.post))
	sf := x.surf.Load()
	if sf == nil && nterms >= surfMinTerms {
		x.surf.CompareAndSwap(nil, &surface{slots: make([]surfSlot, surfSize)})
		sf = x.surf.Load()
	}
	n := 0
	for i := range s.toks {
		t := &s.toks[i]
		f := uint32(sfBody)
		if t.pos < s.titleEnd {
			f = sfTitle
		}
		var te, ts uint32
		if t.known && (t.ver == nterms || t.tids>>32 != 0 && uint32(t.tids) != 0) {
			te, ts = uint32(t.tids>>32)-1, uint32(t.tids)-1
		} else {
			te, ts = x.dict.get(t.ex), x.dict.get(t.st)
			if sf != nil {
				sf.put(t.ex, t.st, uint64(te+1)<<32|uint64(ts+1), nterms, s.epoch+uint32(i))
			}
		}
		if te != noTerm {
			s.mark(x, te, f, t.pos, t.end)
			if x.tflag[te]&tfBigram != 0 {
				x.pairs(s, i, f, false)
			}
		}
		if ts != noTerm {
			s.mark(x, ts, f, t.pos, t.end)
			if x.tflag[ts]&tfBigram != 0 {
				x.pairs(s, i, f, true)
			}
		}
		if n++; n >= yieldEvery/2 || x.wpend.Load() != 0 {
			n = 0
			x.yield()
			s.fit(x)
			nterms = uint64(len(x.post))
		}
	}
	for _, fp := range s.src {
		if tid := x.dict.get(fp); tid != noTerm {
			s.mark(x, tid, sfSource, 0, 0)
		}
	}
}

// pairs stamps the bigrams that token i starts: with every token that
// begins where it ends. A joined compound follows the word after its last
// part, so such tokens lie a few places before or after i.
func (x *Index) pairs(s *mstate, i int, f uint32, stem bool) {
	t := &s.toks[i]
	lo, hi := max(0, i-maxCompound-1), min(len(s.toks), i+maxCompound+2)
	for j := lo; j < hi; j++ {
		u := &s.toks[j]
		if u.pos != t.end {
			continue
		}
		fp := pairFP(t.ex, u.ex)
		if stem {
			fp = pairFP(t.st, u.st)
		}
		if !x.pairMaybe(fp) {
			continue
		}
		if tid := x.dict.get(fp); tid != noTerm {
			s.mark(x, tid, f, t.pos, u.end)
		}
	}
}

func (x *Index) yield() {
	x.mu.RUnlock()
	x.mu.RLock()
}

// walk calls emit for every subscription the stamped article satisfies.
// It holds the read lock and takes the candidates in batches of
// yieldEvery: first their offsets, then their slots (independent loads the
// CPU overlaps), then the decisions; it yields to writers after each
// batch. A posting list that changed meanwhile is walked again from the
// start (the per-slot stamps keep each subscription to one decision).
func (x *Index) walk(s *mstate, emit func(off uint32)) {
	ti, i := 0, 0
	for ti < len(s.terms) {
		c := s.cand[:0]
		// A batch is cut short when a writer waits.
		for ti < len(s.terms) && len(c) < yieldEvery && (len(c) < yieldEvery/8 || x.wpend.Load() == 0) {
			l := x.postList(s.terms[ti], &s.one)
			for i < len(l) && len(c) < yieldEvery {
				c = append(c, l[i])
				i++
			}
			if i >= len(l) {
				ti, i = ti+1, 0
			}
		}
		s.cand = c
		cs := s.cslot[:len(c)]
		for k, off := range c {
			cs[k] = x.ar.at(off)[2] & slotMask
		}
		for k, off := range c {
			slot := cs[k]
			if s.seen[slot] == s.epoch {
				continue
			}
			s.seen[slot] = s.epoch
			e := x.ar.at(off)
			hdr := e[1]
			if hdr&hdrVerified != 0 || s.eval(e[entryFixed:entryFixed+hdr&maxProg]) {
				emit(off)
			}
		}
		if ti < len(s.terms) {
			gen := x.gen
			x.yield()
			s.fit(x)
			if x.gen != gen {
				i = 0
			}
		}
	}
}

func (s *mstate) has(tid uint32, f uint32) bool {
	if int(tid) >= len(s.stamp) {
		return false
	}
	st := s.stamp[tid]
	return st>>sfBits == s.epoch && st&f != 0
}

// eval runs a subscription's program against the stamps.
func (s *mstate) eval(p []uint32) bool {
	st := s.stack[:0]
	for i := 0; i < len(p); i++ {
		w := p[i]
		switch w & pOpMask {
		case pTerm:
			st = append(st, s.has(w&pArgMask, sfTitle|sfBody))
		case pTermTitle:
			st = append(st, s.has(w&pArgMask, sfTitle))
		case pSource:
			st = append(st, s.has(w&pArgMask, sfSource))
		case pPhrase:
			n := int(w&pArgMask) >> 1
			st = append(st, s.phrase(p[i+1:i+1+n], w&1 != 0))
			i += n + 1
		case pNot:
			st[len(st)-1] = !st[len(st)-1]
		case pAnd:
			n := int(w & pArgMask)
			r := true
			for _, b := range st[len(st)-n:] {
				r = r && b
			}
			st = append(st[:len(st)-n], r)
		case pOr:
			n := int(w & pArgMask)
			r := false
			for _, b := range st[len(st)-n:] {
				r = r || b
			}
			st = append(st[:len(st)-n], r)
		}
	}
	s.stack = st
	return len(st) > 0 && st[len(st)-1]
}

// phrase reports whether the terms occur in a row (in the title if asked).
func (s *mstate) phrase(tids []uint32, title bool) bool {
	for _, t := range tids {
		if !s.has(t, sfTitle|sfBody) {
			return false
		}
	}
	for o := s.head[tids[0]]; o >= 0; o = s.occs[o].next {
		first := &s.occs[o]
		if title && first.pos >= s.titleEnd {
			continue
		}
		end := first.end
		ok := true
		for _, t := range tids[1:] {
			found := false
			for p := s.head[t]; p >= 0; p = s.occs[p].next {
				if s.occs[p].pos == end {
					end = s.occs[p].end
					found = true
					break
				}
			}
			if !found {
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

// MatchFunc calls fn with the ID of every subscription the article
// satisfies, in no particular order. It allocates nothing in the steady
// state. fn runs with the index read-locked: it must not call Add or
// Remove.
func (x *Index) MatchFunc(a *alerts.Article, fn func(sub uint64)) {
	s := x.getState()
	s.prepare(x, a)
	x.mu.RLock()
	x.lookup(s)
	x.walk(s, func(off uint32) {
		e := x.ar.at(off)
		fn(entryID(e))
	})
	x.runlock()
	x.putState(s)
}

// Match returns the subscriptions the article satisfies, in ascending ID
// order, with the terms that fired.
func (x *Index) Match(a *alerts.Article) []alerts.Hit {
	s := x.getState()
	s.prepare(x, a)
	s.out = s.out[:0]
	x.mu.RLock()
	x.lookup(s)
	x.walk(s, func(off uint32) {
		e := x.ar.at(off)
		s.out = append(s.out, hitRec{id: entryID(e), off: off})
	})
	if len(s.out) == 0 {
		x.runlock()
		x.putState(s)
		return nil
	}
	texts := make([]string, 0, len(s.out))
	slices.SortFunc(s.out, func(a, b hitRec) int {
		if a.id < b.id {
			return -1
		}
		if a.id > b.id {
			return 1
		}
		return 0
	})
	hits := make([]alerts.Hit, 0, len(s.out))
	for _, h := range s.out {
		// Read the text by ID: the entry may have moved if the
		// subscription was replaced while the match yielded.
		if off, ok := x.ids.find(h.id); ok {
			texts = append(texts, x.textLocked(off))
			hits = append(hits, alerts.Hit{Sub: h.id})
		}
	}
	x.runlock()
	x.putState(s)
	d := NewDoc(a)
	for i := range hits {
		if q, err := Parse(texts[i], x.actors); err == nil {
			_, hits[i].Terms = q.ExplainDoc(d)
		}
	}
	return hits
}
