package match

import (
	"sync"
	"sync/atomic"
)

// surface caches, for a large index, what a word's exact form resolves
// to: its stem fingerprint and the term IDs of the form and of the stem,
// so that a word costs one probe into one cache line instead of a stem
// cache probe and two dictionary probes. Term IDs never change, so a
// cached ID stays right; a cached "no such term" is right only while the
// dictionary has the number of terms it had then (ver). It is lock-free
// like stemCache: four words a slot written with atomic stores, the key
// word checking the other three.
type surface struct{ slots []surfSlot }

type surfSlot struct{ k, st, tids, ver atomic.Uint64 }

const surfSize = 1 << 18 // slots: 8 MB

// surfMinTerms is the dictionary size from which an index uses a surface
// cache; below it the dictionary stays in the CPU's caches anyway. Tests
// set it to 0.
var surfMinTerms uint64 = 1 << 16

func surfCheck(st, tids, ver uint64) uint64 {
	h := st ^ tids*0x9e3779b97f4a7c15 ^ ver*0xc2b2ae3d27d4eb4f
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return h
}

func (c *surface) get(ex uint64) (st, tids, ver uint64, ok bool) {
	b := c.slots[ex&(surfSize-1)&^1:]
	b = b[:2]
	for i := range b {
		st, tids, ver = b[i].st.Load(), b[i].tids.Load(), b[i].ver.Load()
		if b[i].k.Load() == ex^surfCheck(st, tids, ver) {
			return st, tids, ver, true
		}
	}
	return 0, 0, 0, false
}

func (c *surface) put(ex, st, tids, ver uint64, hint uint32) {
	b := c.slots[ex&(surfSize-1)&^1:]
	b = b[:2]
	sl := &b[hint&1]
	if b[0].k.Load() == 0 {
		sl = &b[0]
	}
	sl.k.Store(0)
	sl.st.Store(st)
	sl.tids.Store(tids)
	sl.ver.Store(ver)
	sl.k.Store(ex ^ surfCheck(st, tids, ver))
}

// stemCache maps the fingerprint of a word's exact form to that of its
// stem. One table serves every matcher of every index, without locks: a
// slot is two words written with atomic stores, the key word holding the
// exact fingerprint XOR the stem's, so a slot read half-way through a
// write does not check out (and is recomputed). Buckets of four slots fill
// one cache line; a word takes an empty slot of its bucket, or in a full
// one a slot chosen by the caller's varying hint (never by the key: two
// words would evict each other forever), so the table never needs
// clearing.
type stemCache struct {
	once  sync.Once
	slots []stemSlot
}

type stemSlot struct{ k, st atomic.Uint64 }

const stemCacheSize = 1 << 19 // slots: 8 MB

var stems stemCache

func (c *stemCache) get(ex uint64, form []byte, script uint8, hint uint32, stm *stemmer) uint64 {
	c.once.Do(func() { c.slots = make([]stemSlot, stemCacheSize) })
	b := c.slots[ex&(stemCacheSize-1)&^3:]
	b = b[:4]
	for i := range b {
		st := b[i].st.Load()
		if b[i].k.Load()^st == ex {
			return st
		}
	}
	st := fingerprint(kindStem, stm.stem(form, script))
	sl := &b[hint&3]
	for i := range b {
		if b[i].k.Load() == 0 && b[i].st.Load() == 0 {
			sl = &b[i]
			break
		}
	}
	sl.k.Store(0)
	sl.st.Store(st)
	sl.k.Store(ex ^ st)
	return st
}
