package match

import (
	"hash/maphash"
	"math/bits"
	"slices"
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
// probing, one 8-byte word a slot so that a million terms take 8 MB and a
// probe touches one line. A slot holds the fingerprint's top 40 bits and
// the term ID below them, and the 64-bit fingerprint is checked in full
// against fps (by term ID) so that a lookup is exact. The table is any
// size, not a power of two, so that it can be sized to what it holds.
type dict struct {
	slots []uint64
	fps   []uint64 // per term ID: its fingerprint
	n     int
}

const (
	noTerm   = ^uint32(0)
	tidBits  = 24
	tidMask  = 1<<tidBits - 1
	maxTerms = tidMask // term IDs 0..maxTerms-1; a slot of 0 is empty
)

func (d *dict) get(fp uint64) uint32 {
	if d.n == 0 {
		return noTerm
	}
	tag := fp &^ tidMask
	for i := d.home(fp); ; {
		s := d.slots[i]
		if s == 0 {
			return noTerm
		}
		if s&^tidMask == tag {
			tid := uint32(s&tidMask) - 1
			if d.fps[tid] == fp {
				return tid
			}
		}
		if i++; i == len(d.slots) {
			i = 0
		}
	}
}

// home is the slot a fingerprint's probe starts at.
func (d *dict) home(fp uint64) int {
	hi, _ := bits.Mul64(fp*0x9e3779b97f4a7c15, uint64(len(d.slots)))
	return int(hi)
}

// put inserts fp, which must be absent, with the next term ID, len(fps).
func (d *dict) put(fp uint64, tid uint32) {
	if tid >= maxTerms {
		panic("match: too many distinct terms")
	}
	if (d.n+1)*4 > len(d.slots)*3 {
		d.resize(max(1024, 2*len(d.slots)))
	}
	d.fps = append(d.fps, fp)
	d.place(fp, tid)
	d.n++
}

func (d *dict) place(fp uint64, tid uint32) {
	i := d.home(fp)
	for d.slots[i] != 0 {
		if i++; i == len(d.slots) {
			i = 0
		}
	}
	d.slots[i] = fp&^tidMask | uint64(tid+1)
}

// resize places every term anew in a table of size slots.
func (d *dict) resize(size int) {
	d.slots = make([]uint64, size)
	for tid, fp := range d.fps {
		d.place(fp, uint32(tid))
	}
}

// fit sizes the table to what it holds, two thirds full, and frees what
// the term arrays hold beyond their length: after a load.
func (d *dict) fit() {
	d.fps = slices.Clip(slices.Clone(d.fps))
	if size := max(1024, d.n*3/2); size < len(d.slots) {
		d.resize(size)
	}
}

func (d *dict) bytes() int { return len(d.slots)*8 + cap(d.fps)*8 }
