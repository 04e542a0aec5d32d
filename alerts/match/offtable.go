package match

import "math/bits"

// offTable is an open-addressing hash table of arena offsets whose keys
// live in the arena (a subscription ID among a body's subscribers, a
// body's program): 4 bytes a slot, the offset and, in the bits above it,
// four bits of the key's hash, which pass over most entries of other keys
// without reading them from the arena. The caller hashes a key and tells
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
	offMask  = entryMulti - 1
)

// offTag is the four bits of a hash a slot keeps above the offset (not
// the top bits, which choose the home slot, nor the lowest, always 1 in a
// body key).
func offTag(h uint64) uint32 { return uint32(h>>1&15) << 28 }

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
	tag := offTag(h)
	for i := t.home(h); ; {
		switch v := t.slots[i]; v {
		case offEmpty:
			return 0, false
		case offDead:
		default:
			if v&^offMask == tag && holds(v&offMask) {
				return v & offMask, true
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
			t.slots[i] = off | offTag(h)
			t.n++
			return
		case offDead:
			t.slots[i] = off | offTag(h)
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
	tag := offTag(h)
	for i := t.home(h); ; {
		switch v := t.slots[i]; v {
		case offEmpty:
			return false
		case offDead:
		default:
			if v&^offMask == tag && holds(v&offMask) {
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

// each calls fn with every offset in the table.
func (t *offTable) each(fn func(off uint32)) {
	for _, v := range t.slots {
		if v > offDead {
			fn(v & offMask)
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
