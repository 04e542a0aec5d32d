package match

import "slices"

// slotAlloc hands out dense slot numbers, reusing freed ones.
type slotAlloc struct {
	next uint32
	free []uint32
}

func (s *slotAlloc) get() uint32 {
	if n := len(s.free); n > 0 {
		v := s.free[n-1]
		s.free = s.free[:n-1]
		return v
	}
	s.next++
	return s.next - 1
}

func (s *slotAlloc) put(v uint32) { s.free = append(s.free, v) }

func idHash(id uint64) uint64 {
	id ^= id >> 33
	id *= 0xff51afd7ed558ccd
	id ^= id >> 33
	id *= 0xc4ceb9fe1a85ec53
	id ^= id >> 33
	return id
}

// The index keeps two offTables of body offsets: ids, one slot per
// subscription, under the hash of its ID (a body holds the ID among its
// subscribers); and bodies, one slot per body, under the hash of its text.

// rehashIDs rebuilds ids with room for 2n subscriptions: every subscriber
// of every body, placed anew.
func (x *Index) rehashIDs(n int) {
	x.ids.reset(x.growth() * n)
	x.fillIDs()
}

// fillIDs places every subscriber of every body in the (empty) ids table.
func (x *Index) fillIDs() {
	var one [1]uint64
	for _, off := range x.bodies.slots {
		if off <= offDead {
			continue
		}
		for _, id := range x.subscribers(x.ar.at(off), &one) {
			x.ids.place(idHash(id), off)
		}
	}
}

// rehashBodies rebuilds bodies with room for 2n of them.
func (x *Index) rehashBodies(n int) {
	old := x.bodies.slots
	x.bodies.slots = nil
	x.bodies.reset(x.growth() * n)
	for _, off := range old {
		if off > offDead {
			x.bodies.place(x.bodyKeyAt(off), off)
		}
	}
}

// growth is how much room a table gets when it grows: four times what it
// holds during a bulk load, so that the load rehashes it fewer times.
func (x *Index) growth() int {
	if x.bulk {
		return 4
	}
	return 2
}

// compact sizes the table of IDs to what the index holds, with room for
// a fifth more before it grows, and clips the posting lists: after a bulk
// load, which grows them by doubling.
func (x *Index) compact() {
	if len(x.ids.slots) > x.n*5/2 {
		x.ids.reset(x.n * 6 / 5)
		x.fillIDs()
	}
	for i, l := range x.lists {
		if cap(l) > len(l) {
			x.lists[i] = slices.Clip(l)
		}
	}
}
