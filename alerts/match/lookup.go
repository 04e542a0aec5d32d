package match

import "slices"

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
			pv := x.post[te]
			s.mark(te, f, t.pos, t.end, pv&postPositional != 0)
			if pv&postBigram != 0 {
				x.pairs(s, i, f, false)
			}
		}
		if ts != noTerm {
			pv := x.post[ts]
			s.mark(ts, f, t.pos, t.end, pv&postPositional != 0)
			if pv&postBigram != 0 {
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
			s.mark(tid, sfSource, 0, 0, false)
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
			s.mark(tid, f, t.pos, u.end, x.post[tid]&postPositional != 0)
		}
	}
}

func (x *Index) yield() {
	x.mu.RUnlock()
	x.mu.RLock()
}

// walk calls emit for every subscription the stamped article satisfies.
// It holds the read lock and takes the candidates in batches of
// yieldEvery: first their postings, then their headers (independent loads
// the CPU overlaps), then the decisions; it yields to writers after each
// batch. A body on several lists is decided once, by its per-slot stamp; a
// body on one list comes up once, unless that list changed while the match
// yielded halfway through it: the list is then walked again from the
// start, passing over the postings already decided.
func (x *Index) walk(s *mstate, emit func(off uint32)) {
	ti, i := 0, 0
	s.done, s.skip = s.done[:0], s.skip[:0]
	for ti < len(s.terms) {
		c := s.cand[:0]
		start := 0 // where the postings of term ti begin in c
		// A batch is cut short when a writer waits.
		for ti < len(s.terms) && len(c) < yieldEvery && (len(c) < yieldEvery/8 || x.wpend.Load() == 0) {
			l := x.postList(s.terms[ti], &s.one)
			for i < len(l) && len(c) < yieldEvery {
				if len(s.skip) == 0 || !sortedHas(s.skip, l[i]) {
					c = append(c, l[i])
				}
				i++
			}
			if i >= len(l) {
				ti, i = ti+1, 0
				s.done, s.skip = s.done[:0], s.skip[:0]
				start = len(c)
			}
		}
		s.cand = c
		hs, cs := s.chdr[:len(c)], s.cslot[:len(c)]
		for k, ent := range c {
			e := x.ar.at(ent &^ entryMulti)
			hs[k], cs[k] = e[0], e[1]&slotMask
		}
		for k, ent := range c {
			if ent&entryMulti != 0 {
				if s.seen[cs[k]] == s.epoch {
					continue
				}
				s.seen[cs[k]] = s.epoch
			}
			off := ent &^ entryMulti
			if hdr := hs[k]; hdr&hdrVerified != 0 || s.eval(x.ar.at(off)[bodyFixed:bodyFixed+hdr&maxProg]) {
				emit(off)
			}
		}
		if ti < len(s.terms) {
			if i > 0 {
				s.done = append(s.done, c[start:]...)
			}
			gen := x.gen
			x.yield()
			s.fit(x)
			if x.gen != gen && i > 0 {
				i = 0
				s.skip = append(s.skip, s.done...)
				slices.Sort(s.skip)
				s.done = s.done[:0]
			}
		}
	}
}

// sortedHas reports whether the sorted list l has v.
func sortedHas(l []uint32, v uint32) bool {
	_, ok := slices.BinarySearch(l, v)
	return ok
}
