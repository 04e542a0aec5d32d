package match

import (
	"slices"

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

// mstate is one matcher's scratch space, reused across articles: the
// article's terms, occurrence lists for phrase terms, per-slot dedup
// stamps and a stem cache. It is not shared between goroutines.
type mstate struct {
	epoch uint32
	tt    []termSlot // the article's terms, by term ID (see termAt)
	tbits uint8      // len(tt) in use is 1<<tbits
	tsave []termSlot // the terms, while tt grows
	seen  []uint32   // per slot: epoch the subscription was last decided
	occs  []occRec
	terms []uint32 // terms stamped for this article

	toks     []tokRec
	src      []uint64
	titleEnd uint32
	stack    []bool

	forms []byte

	ws    wordScanner
	stm   stemmer
	sk    sourceKeyer
	oneID [1]uint64 // a subscriber list of one
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
func (s *mstate) prepare(sf *surface, a *alerts.Article) {
	s.epoch++
	if s.epoch > maxEpoch {
		clear(s.tt[:cap(s.tt)])
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
	s.sizeTerms(len(s.toks))
	s.resolve(sf)
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
			t.st = stems.get(t.ex, s.forms[t.fo:t.fo+t.fl], t.script, s.epoch+uint32(i), &s.stm)
		}
	}
}

// fit grows the per-slot array to the index's size.
func (s *mstate) fit(x *Index) {
	if s.cslot == nil {
		s.cand = make([]uint32, 0, yieldEvery)
		s.cslot = make([]uint32, yieldEvery)
	}
	if n := int(x.slots.next); len(s.seen) < n {
		n += n / 4
		s.seen = append(s.seen, make([]uint32, n-len(s.seen))...)
	}
}

// mark stamps term tid as found in the fields f, recording the occurrence
// for a positional term.
func (s *mstate) mark(tid uint32, f uint32, pos, end uint32, positional bool) {
	t := s.termAt(tid)
	if t.stamp>>sfBits != s.epoch {
		if 2*(len(s.terms)+1) > 1<<s.tbits {
			s.growTerms()
			t = s.termAt(tid)
		}
		*t = termSlot{tid: tid, stamp: s.epoch<<sfBits | f, head: -1}
		s.terms = append(s.terms, tid)
	} else {
		t.stamp |= f
	}
	if positional {
		s.occs = append(s.occs, occRec{pos: pos, end: end, next: t.head})
		t.head = int32(len(s.occs) - 1)
	}
}

// MatchFunc calls fn with the ID of every subscription the article
// satisfies, in no particular order. It allocates nothing in the steady
// state. fn runs with the index read-locked: it must not call Add or
// Remove.
func (x *Index) MatchFunc(a *alerts.Article, fn func(sub uint64)) {
	s := x.getState()
	s.prepare(x.surf.Load(), a)
	x.mu.RLock()
	x.lookup(s)
	x.walk(s, func(off uint32) {
		for _, id := range x.subscribers(x.ar.at(off), &s.oneID) {
			fn(id)
		}
	})
	x.runlock()
	x.putState(s)
}

// Match returns the subscriptions the article satisfies, in ascending ID
// order, with the terms that fired if the index has query texts to explain
// them from (ExplainFrom): each text is explained once for all its
// subscribers. Without them, the owner explains the hits it keeps from
// the texts it reads (Explainer).
func (x *Index) Match(a *alerts.Article) []alerts.Hit {
	s := x.getState()
	s.prepare(x.surf.Load(), a)
	var ids []uint64
	x.mu.RLock()
	text := x.text
	x.lookup(s)
	x.walk(s, func(off uint32) {
		ids = append(ids, x.subscribers(x.ar.at(off), &s.oneID)...)
	})
	x.runlock()
	x.putState(s)
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	hits := make([]alerts.Hit, len(ids))
	var explain func(query string) []alerts.TermHit
	if text != nil {
		explain = x.Explainer(a)
	}
	for i, id := range ids {
		hits[i].Sub = id
		if explain == nil {
			continue
		}
		if q, ok := text(id); ok {
			hits[i].Terms = explain(q)
		}
	}
	return hits
}

// Explainer returns the terms of the article a that fired for a query
// text, parsed as the index parses it; each distinct text is parsed and
// explained once. It is for hits Match gave without their terms: the
// index keeps no query texts, and an owner that reads a hit's query from
// its store anyway (the bot, for the chats it alerts) explains it then.
// The function is not safe for concurrent use.
func (x *Index) Explainer(a *alerts.Article) func(query string) []alerts.TermHit {
	var d *Doc
	explained := make(map[string][]alerts.TermHit)
	return func(q string) []alerts.TermHit {
		terms, done := explained[q]
		if !done {
			if d == nil {
				d = NewDoc(a)
			}
			if p, err := Parse(q, x.names); err == nil {
				_, terms = p.ExplainDoc(d)
			}
			explained[q] = terms
		}
		return terms
	}
}

// Floor tokenizes articles as an Index does before it looks anything up:
// every word read, folded, fingerprinted and stemmed (through the shared
// stem cache), and the source keys made. herald bench reports it as the
// cost any matcher here must pay. A Floor is not safe for concurrent use.
type Floor struct{ s mstate }

// Scan tokenizes an article and returns how many words it has.
func (f *Floor) Scan(a *alerts.Article) int {
	f.s.prepare(nil, a)
	return len(f.s.toks)
}
