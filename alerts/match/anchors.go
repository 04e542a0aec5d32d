package match

import "slices"

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
