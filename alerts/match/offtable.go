package match

import "math/bits"

// offTable is an open-addressing hash table of arena offsets whose keys
// live in the arena (a subscription ID among a body's subscribers, a
// body's program): 4 bytes a slot. The caller hashes a key and tells
// whether the entry at an offset holds it. Deletion leaves a tombstone;
// the table is rebuilt by its owner (rehash) when tombstones and entries
// fill seven eighths of it. Its size is any number, not a power of two, so
// that it is never much larger than it needs to be: the tables serve
// writers only, which can afford the longer probes of a fuller table.
type offTable struct {
	slots []uint32
	n     int // live entries
	dead  int // tombstones
}

const (
	offEmpty = 0
	offDead  = 1 // arena offsets start at 2
)

// home is the slot a hash starts probing at.
func (t *offTable) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(t.slots)))
	return int(hi)
}

// find returns the offset whose entry holds the key of hash h.
func (t *offTable) find(h uint64, holds func(off uint32) bool) (uint32, bool) {
	if t.n == 0 {
		return 0, false
	}
	for i := t.home(h); ; {
		switch off := t.slots[i]; off {
		case offEmpty:
			return 0, false
		case offDead:
		default:
			if holds(off) {
				return off, true
			}
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// full reports whether one more entry needs a rehash first.
func (t *offTable) full() bool {
	return (t.n+t.dead+1)*8 > len(t.slots)*7
}

// place puts off under hash h; the key must be absent, and the table not
// full.
func (t *offTable) place(h uint64, off uint32) {
	for i := t.home(h); ; {
		switch t.slots[i] {
		case offEmpty:
			t.slots[i] = off
			t.n++
			return
		case offDead:
			t.slots[i] = off
			t.n++
			t.dead--
			return
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// delete removes the slot holding the key of hash h that holds(off) tells.
func (t *offTable) delete(h uint64, holds func(off uint32) bool) bool {
	if t.n == 0 {
		return false
	}
	for i := t.home(h); ; {
		switch off := t.slots[i]; off {
		case offEmpty:
			return false
		case offDead:
		default:
			if holds(off) {
				t.slots[i] = offDead
				t.n--
				t.dead++
				return true
			}
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// reset empties the table, sized for n entries.
func (t *offTable) reset(n int) {
	size := max(64, n+n/7+1)
	if cap(t.slots) >= size && cap(t.slots) <= size+size/8 {
		t.slots = t.slots[:size]
		clear(t.slots)
	} else {
		t.slots = make([]uint32, size)
	}
	t.n, t.dead = 0, 0
}

func (t *offTable) bytes() int { return cap(t.slots) * 4 }
