package match

import "slices"

// A body is one distinct query in the arena: its compiled program and text,
// and the subscriptions that follow it. Subscriptions to the same query
// share one body, so a popular query is stored, indexed and evaluated
// once, whatever the number of its subscribers. Layout, in words:
//
//	0     header: program length (bits 0-13), text length (14-29), flags (30-31)
//	1     slot: a dense number for the per-match dedup stamps (bits 0-30);
//	      bit 31: the subscribers are in a list
//	2, 3  the one subscriber's ID (low, high half); or, with a list, the
//	      list's index and the body's incarnation (the index's gen when it
//	      was made, low half)
//	4...  program, then the query text (see pack)
const (
	hdrProgBits = 14
	hdrTextBits = 16
	hdrVerified = 1 << 30 // any anchor firing means a match
	hdrPacked   = 1 << 31 // the text is six-bit coded (textpack.go)
	slotList    = 1 << 31
	slotMask    = slotList - 1
	bodyFixed   = 4
	maxProg     = 1<<hdrProgBits - 1
	maxText     = 1<<hdrTextBits - 1
)

// bodyProg returns a body's program.
func bodyProg(e []uint32) []uint32 { return e[bodyFixed : bodyFixed+e[0]&maxProg] }

// bodyText returns the words from a body's text on.
func bodyText(e []uint32) []uint32 { return e[bodyFixed+e[0]&maxProg:] }

// textWords is how many words a body's text takes.
func textWords(e []uint32) int {
	tl := int(e[0]>>hdrProgBits) & maxText
	if e[0]&hdrPacked != 0 {
		return unpackText(bodyText(e), tl, nil)
	}
	return (tl + 3) / 4
}

// bodySize is a body's length in words.
func bodySize(e []uint32) uint32 {
	return uint32(bodyFixed + int(e[0]&maxProg) + textWords(e))
}

// textHash hashes a query text as a body stores it (its header bits and
// words) into 32 bits, which the index keeps per body (bodyHash, by slot)
// to rehash its table of bodies without reading their texts.
func textHash(hdr uint32, words []uint32) uint32 {
	h := uint64(hdr&^(maxProg|hdrVerified)) * 0x9e3779b97f4a7c15
	for _, w := range words {
		h = (h ^ uint64(w)) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	return uint32(h >> 32)
}

// bodyKey spreads a text hash over 64 bits for the bodies table.
func bodyKey(h uint32) uint64 { return uint64(h)*0x9e3779b97f4a7c15 | 1 }

// bodyKeyAt is the bodies-table key of the body at off.
func (x *Index) bodyKeyAt(off uint32) uint64 {
	return bodyKey(x.bodyHash[x.ar.at(off)[1]&slotMask])
}

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
