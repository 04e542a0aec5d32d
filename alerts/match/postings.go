package match

import (
	"math/bits"
	"slices"
)

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
func (x *Index) pairAdd(tid uint32, fp uint64) {
	x.pairN++
	for int(tid>>6) >= len(x.pairTerms) {
		x.pairTerms = append(x.pairTerms, 0)
	}
	x.pairTerms[tid>>6] |= 1 << (tid & 63)
	if x.pairN*16 > len(x.pairBits)*64 {
		x.pairBits = make([]uint64, max(64, len(x.pairBits)*2))
		for i, w := range x.pairTerms {
			for ; w != 0; w &= w - 1 {
				x.pairSet(x.dict.fps[i<<6+bits.TrailingZeros64(w)])
			}
		}
	}
	x.pairSet(fp)
}

// isPair reports whether the term is an indexed bigram.
func (x *Index) isPair(tid uint32) bool {
	return int(tid>>6) < len(x.pairTerms) && x.pairTerms[tid>>6]&(1<<(tid&63)) != 0
}

func (x *Index) pairSet(fp uint64) {
	b := (fp >> 17) & uint64(len(x.pairBits)*64-1)
	x.pairBits[b>>6] |= 1 << (b & 63)
}

// A term's postings are the arena offsets of the bodies anchored on it.
// Most terms have none or one, so post holds 0 (none), the one offset
// (offsets are never 0 and below postList), or postList | an index of
// lists; its top bits are the term's flags, which a match reads with it.
// That keeps a term to 4 bytes instead of a 24-byte slice header and a
// small allocation, and leaves the collector few pointers to scan.
const (
	postVal        = postList - 1 // the offset or list index
	postList       = 1 << 29
	postPositional = 1 << 30 // used in a phrase: occurrences are recorded
	postBigram     = 1 << 31 // first word of an indexed bigram: probe pairs
	postFlags      = postPositional | postBigram
)

func (x *Index) addPosting(tid, off uint32) {
	fl := x.post[tid] & postFlags
	v := x.post[tid] &^ postFlags
	switch {
	case v == 0:
		x.post[tid] = fl | off
	case v&postList == 0:
		var li uint32
		if n := len(x.lfree); n > 0 {
			li = x.lfree[n-1]
			x.lfree = x.lfree[:n-1]
		} else {
			li = uint32(len(x.lists))
			if li > postVal {
				panic("match: too many posting lists")
			}
			x.lists = append(x.lists, nil)
		}
		x.lists[li] = append(make([]uint32, 0, 2), v, off)
		x.post[tid] = fl | postList | li
	default:
		li := v & postVal
		x.lists[li] = append(x.lists[li], off)
	}
}

func (x *Index) removePosting(tid, off uint32) {
	fl := x.post[tid] & postFlags
	v := x.post[tid] &^ postFlags
	switch {
	case v == off:
		x.post[tid] = fl
	case v&postList != 0:
		li := v & postVal
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
			x.post[tid] = fl | l[0]
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
	v := x.post[tid] &^ postFlags
	switch {
	case v == 0:
		return nil
	case v&postList == 0:
		one[0] = v
		return one[:]
	}
	return x.lists[v&postVal]
}
