package match

import "slices"

// A body is one distinct query in the arena: its compiled program and the
// subscriptions that follow it. Subscriptions to the same query (the same
// program: "Ceasefire" and "ceasefire" are one) share one body, so a
// popular query is stored, indexed and evaluated once, whatever the number
// of its subscribers. The index keeps no query texts: hits are explained
// from the owner's (ExplainFrom, Explainer). Layout, in words:
//
//	0     header: program length (bits 0-13), flags (30-31)
//	1     slot: a dense number for the per-match dedup stamps (bits 0-30);
//	      bit 31: the subscribers are in a list
//	2, 3  the one subscriber's ID (low, high half); or, with a list, the
//	      list's index and the body's incarnation (the index's gen when it
//	      was made, low half)
//	4...  program
const (
	hdrProgBits = 14
	hdrVerified = 1 << 30 // any anchor firing means a match
	slotList    = 1 << 31
	slotMask    = slotList - 1
	bodyFixed   = 4
	maxProg     = 1<<hdrProgBits - 1
)

// bodyProg returns a body's program.
func bodyProg(e []uint32) []uint32 { return e[bodyFixed : bodyFixed+e[0]&maxProg] }

// bodySize is a body's length in words.
func bodySize(e []uint32) uint32 { return uint32(bodyFixed + int(e[0]&maxProg)) }

// A body is found by its program's key: a hash of its instructions and of
// its terms' fingerprints (not their IDs), so that a load's workers key a
// query before its terms have IDs. The bigram of a phrase, which follows
// from its words, is left out.
func keyStep(h, w uint64) uint64 {
	h = (h ^ w) * 0xbf58476d1ce4e5b9
	return h ^ h>>31
}

const keySeed = 0x9e3779b97f4a7c15

// key is the body key of a compiled query, from its instructions.
func (c *compiled) key() uint64 {
	h := uint64(keySeed)
	for k := range c.ops {
		o := &c.ops[k]
		switch o.code {
		case pTerm, pTermTitle, pSource:
			h = keyStep(keyStep(h, uint64(o.code)), o.lf.fps[0])
		case pPhrase:
			h = keyStep(h, uint64(pPhrase|uint32(len(o.lf.fps))<<1|o.arg))
			for _, fp := range o.lf.fps {
				h = keyStep(h, fp)
			}
		default:
			h = keyStep(h, uint64(o.code|o.arg))
		}
	}
	return h | 1
}

// progKey is the body key of an interned program.
func (x *Index) progKey(p []uint32) uint64 {
	h := uint64(keySeed)
	for i := 0; i < len(p); i++ {
		w := p[i]
		switch w & pOpMask {
		case pTerm, pTermTitle, pSource:
			h = keyStep(keyStep(h, uint64(w&pOpMask)), x.dict.fps[w&pArgMask])
		case pPhrase:
			h = keyStep(h, uint64(w))
			n := int(w&pArgMask) >> 1
			for _, tid := range p[i+1 : i+1+n] {
				h = keyStep(h, x.dict.fps[tid])
			}
			i += n + 1
		default:
			h = keyStep(h, uint64(w))
		}
	}
	return h | 1
}

// sameProg reports whether the interned program p is the query c.
func (x *Index) sameProg(p []uint32, c *compiled) bool {
	if c.interned {
		return slices.Equal(p, c.prog[:c.pl])
	}
	if len(p) != c.pl {
		return false
	}
	i := 0
	for k := range c.ops {
		o := &c.ops[k]
		w := p[i]
		switch o.code {
		case pTerm, pTermTitle, pSource:
			if w&pOpMask != o.code || x.dict.fps[w&pArgMask] != o.lf.fps[0] {
				return false
			}
			i++
		case pPhrase:
			if w != pPhrase|uint32(len(o.lf.fps))<<1|o.arg {
				return false
			}
			for j, fp := range o.lf.fps {
				if x.dict.fps[p[i+1+j]] != fp {
					return false
				}
			}
			i += len(o.lf.fps) + 2
		default:
			if w != o.code|o.arg {
				return false
			}
			i++
		}
	}
	return true
}

// bodyKeyAt is the bodies-table key of the body at off.
func (x *Index) bodyKeyAt(off uint32) uint64 { return x.progKey(bodyProg(x.ar.at(off))) }

// subscribers returns the IDs of a body's subscribers, in increasing order;
// one is returned in *one.
func (x *Index) subscribers(e []uint32, one *[1]uint64) []uint64 {
	if e[1]&slotList != 0 {
		return x.subLists[e[2]]
	}
	one[0] = uint64(e[2]) | uint64(e[3])<<32
	return one[:]
}

// hasSubscriber reports whether the body at off has the subscription id.
func (x *Index) hasSubscriber(off uint32, id uint64) bool {
	e := x.ar.at(off)
	if e[1]&slotList == 0 {
		return uint64(e[2])|uint64(e[3])<<32 == id
	}
	_, ok := slices.BinarySearch(x.subLists[e[2]], id)
	return ok
}

// addSubscriber adds id to the body at off, keeping the IDs in order.
func (x *Index) addSubscriber(off uint32, id uint64) {
	e := x.ar.at(off)
	if e[1]&slotList == 0 {
		first := uint64(e[2]) | uint64(e[3])<<32
		l := make([]uint64, 0, 2)
		if first < id {
			l = append(l, first, id)
		} else {
			l = append(l, id, first)
		}
		var li uint32
		if n := len(x.subFree); n > 0 {
			li = x.subFree[n-1]
			x.subFree = x.subFree[:n-1]
			x.subLists[li] = l
		} else {
			li = uint32(len(x.subLists))
			x.subLists = append(x.subLists, l)
		}
		e[1] |= slotList
		e[2], e[3] = li, uint32(x.gen)
		return
	}
	l := x.subLists[e[2]]
	if n := len(l); n == 0 || l[n-1] < id {
		x.subLists[e[2]] = append(l, id) // IDs mostly come in increasing order
		return
	}
	i, _ := slices.BinarySearch(l, id)
	x.subLists[e[2]] = slices.Insert(l, i, id)
}

// dropSubscriber removes id from the body at off and reports whether the
// body has subscribers left.
func (x *Index) dropSubscriber(off uint32, id uint64) bool {
	e := x.ar.at(off)
	if e[1]&slotList == 0 {
		return false
	}
	li := e[2]
	l := x.subLists[li]
	if i, ok := slices.BinarySearch(l, id); ok {
		l = slices.Delete(l, i, i+1)
	}
	if len(l) == 0 {
		x.subLists[li] = l // freed with the body
		return false
	}
	if cap(l) > 8 && len(l) < cap(l)/4 {
		l = slices.Clip(slices.Clone(l))
	}
	x.subLists[li] = l
	return true
}

// dropSubscriberList frees the list of a body being removed.
func (x *Index) dropSubscriberList(e []uint32) {
	if e[1]&slotList != 0 {
		x.subLists[e[2]] = nil
		x.subFree = append(x.subFree, e[2])
	}
}
