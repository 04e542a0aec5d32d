package match

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
