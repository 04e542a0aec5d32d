package match

import "slices"

// pairMaybe reports whether fp may be an indexed bigram: pairBits, a
// one-hash Bloom filter, answers for most word pairs of an article without
// a dictionary probe.
func (x *Index) pairMaybe(fp uint64) bool {
	if len(x.pairBits) == 0 {
		return false
	}
	b := (fp >> 17) & uint64(len(x.pairBits)*64-1)
	return x.pairBits[b>>6]&(1<<(b&63)) != 0
}

// pairAdd records an indexed bigram in the filter, doubling the filter
// (and setting every bigram again) to keep ~16 bits per bigram.
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

// A term's postings are the arena offsets of the bodies anchored on it.
// Most terms have none or one, so post holds 0 (none), the one offset
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
