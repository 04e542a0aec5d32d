package match

// termSlot is one term an article has, in mstate's open-addressing table
// of them: a few kilobytes that stay in the CPU's nearest cache, where
// arrays over every term of the index would cost a cache miss a term.
type termSlot struct {
	tid   uint32
	stamp uint32 // epoch<<sfBits | fields; an older epoch: an empty slot
	head  int32  // first occurrence, -1 if none
}

// termAt returns the slot of term tid: its own, or the empty slot where
// it would go.
func (s *mstate) termAt(tid uint32) *termSlot {
	mask := uint32(1)<<s.tbits - 1
	for i := (tid * 0x9e3779b1) >> (32 - s.tbits); ; i = (i + 1) & mask {
		t := &s.tt[i]
		if t.stamp>>sfBits != s.epoch || t.tid == tid {
			return t
		}
	}
}

// sizeTerms sizes the table for an article of n words.
func (s *mstate) sizeTerms(n int) {
	b := uint8(6)
	for 1<<b < n && b < 20 {
		b++
	}
	s.setTermBits(b)
}

func (s *mstate) setTermBits(b uint8) {
	s.tbits = b
	if len(s.tt) < 1<<b {
		// Slots past the old length are zero: an epoch that has passed.
		s.tt = append(s.tt, make([]termSlot, 1<<b-len(s.tt))...)
	}
}

// growTerms doubles the table, placing the article's terms again.
func (s *mstate) growTerms() {
	n := 1 << s.tbits
	s.tsave = s.tsave[:0]
	for _, tid := range s.terms {
		s.tsave = append(s.tsave, *s.termAt(tid))
	}
	clear(s.tt[:n])
	s.setTermBits(s.tbits + 1)
	for _, t := range s.tsave {
		*s.termAt(t.tid) = t
	}
}

func (s *mstate) has(tid uint32, f uint32) bool {
	t := s.termAt(tid)
	return t.stamp>>sfBits == s.epoch && t.stamp&f != 0
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
	for o := s.termAt(tids[0]).head; o >= 0; o = s.occs[o].next {
		first := &s.occs[o]
		if title && first.pos >= s.titleEnd {
			continue
		}
		end := first.end
		ok := true
		for _, t := range tids[1:] {
			found := false
			for p := s.termAt(t).head; p >= 0; p = s.occs[p].next {
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
