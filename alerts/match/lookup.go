package match

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
			cs[k] = x.ar.at(off)[1] & slotMask
		}
		for k, off := range c {
			slot := cs[k]
			if s.seen[slot] == s.epoch {
				continue
			}
			s.seen[slot] = s.epoch
			e := x.ar.at(off)
			hdr := e[0]
			if hdr&hdrVerified != 0 || s.eval(e[bodyFixed:bodyFixed+hdr&maxProg]) {
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
