package match

import (
	"hash/maphash"
)

// fpSeed seeds the fingerprints of terms; fingerprints never leave the
// process.
var fpSeed = maphash.MakeSeed()

var kindSalt = [256]uint64{
	kindExact:  0x9e3779b97f4a7c15,
	kindStem:   0xc2b2ae3d27d4eb4f,
	kindSource: 0x165667b19e3779f9,
}

// fingerprint is the 64-bit identity of a term: its kind and form. Two
// different terms share one with probability 2^-64 per pair.
func fingerprint(kind byte, form []byte) uint64 {
	h := maphash.Bytes(fpSeed, form) ^ kindSalt[kind]
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	if h == 0 {
		h = 1
	}
	return h
}

func fingerprintString(kind byte, form string) uint64 {
	h := maphash.String(fpSeed, form) ^ kindSalt[kind]
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	if h == 0 {
		h = 1
	}
	return h
}

// dict maps term fingerprints to dense term IDs: open addressing, linear
// probing, fingerprint and ID side by side so a probe touches one line.
type dict struct {
	slots []dslot
	mask  uint64
	n     int
}

type dslot struct {
	fp  uint64
	tid uint32
}

const noTerm = ^uint32(0)

func (d *dict) get(fp uint64) uint32 {
	if d.n == 0 {
		return noTerm
	}
	i := fp & d.mask
	for {
		s := &d.slots[i]
		if s.fp == fp {
			return s.tid
		}
		if s.fp == 0 {
			return noTerm
		}
		i = (i + 1) & d.mask
	}
}

// put inserts fp, which must be absent.
func (d *dict) put(fp uint64, tid uint32) {
	if (d.n+1)*4 > len(d.slots)*3 {
		d.grow()
	}
	i := fp & d.mask
	for d.slots[i].fp != 0 {
		i = (i + 1) & d.mask
	}
	d.slots[i] = dslot{fp: fp, tid: tid}
	d.n++
}

func (d *dict) grow() {
	size := 1024
	if len(d.slots) > 0 {
		size = len(d.slots) * 2
	}
	old := d.slots
	d.slots = make([]dslot, size)
	d.mask = uint64(size - 1)
	for _, s := range old {
		if s.fp == 0 {
			continue
		}
		i := s.fp & d.mask
		for d.slots[i].fp != 0 {
			i = (i + 1) & d.mask
		}
		d.slots[i] = s
	}
}

func (d *dict) bytes() int { return len(d.slots) * 16 }
