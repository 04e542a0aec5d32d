package story

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// contentHash returns the hash of a content word's stem (hashString of
// contentStem), or false for a word that is no content word. Every word
// of every article's lead goes through it, and a stem costs a lowercase
// copy, a stopword lookup and the stemmer's memo (or the stemmer), so the
// answer for recent words is remembered in words.
func contentHash(w string) (uint32, bool) {
	k := maphash.String(wordSeed, w) | keyBit
	if v, ok := words.get(k); ok {
		return uint32(v), v&contentBit != 0
	}
	s, ok := contentStem(w)
	v := uint64(0)
	if ok {
		v = uint64(hashString(s)) | contentBit
	}
	words.put(k, v)
	return uint32(v), ok
}

// stemHash returns hashString(stem(lower)) for a word in lower case (a
// name's), remembered as contentHash's answers are.
func stemHash(lower string) uint32 {
	k := maphash.String(nameSeed, lower) | keyBit
	if v, ok := words.get(k); ok {
		return uint32(v)
	}
	h := hashString(stem(lower))
	words.put(k, uint64(h)|contentBit)
	return h
}

// contentBit marks a cached answer for a content word. keyBit is set in
// every key and in no value, so that no key reads as an empty slot or as
// a slot half written (see wordCache).
const (
	contentBit = 1 << 32
	keyBit     = 1 << 63
)

// The seeds of contentHash's keys and stemHash's, which share the table.
var wordSeed, nameSeed = maphash.MakeSeed(), maphash.MakeSeed()

// wordCache is a fixed table of answers by the 64-bit hash of a word
// (about one collision in 10^10 pairs of distinct words at a
// vocabulary of a million), each slot two words written with atomic
// stores so that it needs no lock: a reader takes a slot only when its
// key, stored XOR its value, matches, so a slot half written by another
// goroutine reads as a miss.
type wordCache struct {
	once  sync.Once
	slots []wordSlot
}

type wordSlot struct{ kv, v atomic.Uint64 }

// wordCacheSize is the table's slots: 2 MB, room for the lead
// vocabulary of a large news flow.
const wordCacheSize = 1 << 17

var words wordCache

func (c *wordCache) slot(k uint64) *wordSlot {
	c.once.Do(func() { c.slots = make([]wordSlot, wordCacheSize) })
	return &c.slots[k&(wordCacheSize-1)]
}

func (c *wordCache) get(k uint64) (uint64, bool) {
	sl := c.slot(k)
	v := sl.v.Load()
	return v, sl.kv.Load()^v == k
}

func (c *wordCache) put(k, v uint64) {
	sl := c.slot(k)
	sl.kv.Store(0)
	sl.v.Store(v)
	sl.kv.Store(k ^ v)
}
