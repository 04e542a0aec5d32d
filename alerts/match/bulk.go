package match

import "slices"

// A load into an empty index builds its tables apart (load.go): it makes a
// body for each query its workers have not seen, adds the subscribers of
// the others to theirs, and keeps neither the body table nor the ID table
// while it does. settle then lays the bodies out and builds both tables in
// one pass each.

// insertBulk adds the subscription id, whose ID is higher than any before,
// to an index under construction: to its query's body if the load knows
// it, else to a new body (one the body table may already have: settle
// merges such twins).
func (x *Index) insertBulk(id uint64, c *compiled) {
	c.prepare(nil)
	if c.hasBody && c.bodyDrops == x.bodyDrops {
		x.addSubscriber(c.body, id)
	} else {
		off := x.newBody(id, c, false)
		if c.shared {
			c.body, c.bodyDrops, c.hasBody = off, x.bodyDrops, true
		}
	}
	x.n++
}

// hdrMoved marks a body settle has moved; word 1 is then where to, with
// movedTwin set if it was merged into a twin.
const (
	hdrMoved  = 1 << 29
	movedTwin = 1 << 31
)

// settle finishes a bulk build. It moves the bodies into a new arena in
// the order of the posting lists they are on, so that a match walking a
// long list reads memory in order, and numbers their slots and lays out
// their subscriber lists and the posting lists in that order too. It
// merges bodies with the same program, and builds the body and ID tables,
// each sized to what it holds with room for an eighth more.
func (x *Index) settle() {
	nb := int(x.slots.next)
	old := x.ar
	var na arena
	x.bodies.reset(nb + nb/8)
	order := make([]uint32, 0, nb) // the new offsets, in order
	var twins map[uint32][]uint64  // a body's twins' subscribers
	var one [1]uint32
	var oneID [1]uint64
	for tid := range x.post {
		l := x.postList(uint32(tid), &one)
		w := 0
		for _, off := range l {
			e := old.at(off)
			if e[0]&hdrMoved != 0 {
				if e[1]&movedTwin == 0 {
					l[w] = e[1]
					w++
				}
				continue
			}
			p := bodyProg(e)
			key := x.progKey(p)
			if n, ok := x.bodies.find(key, func(n uint32) bool { return slices.Equal(bodyProg(na.at(n)), p) }); ok {
				// Its twin is on every list this body is on (the same
				// program has the same anchors), already moved.
				if twins == nil {
					twins = make(map[uint32][]uint64)
				}
				twins[n] = append(twins[n], x.subscribers(e, &oneID)...)
				x.dropSubscriberList(e)
				e[0], e[1] = hdrMoved, n|movedTwin
				continue
			}
			size := bodySize(e)
			n := na.alloc(size)
			ne := na.at(n)[:size]
			copy(ne, e[:size])
			ne[1] = uint32(len(order)) | e[1]&slotList
			order = append(order, n)
			x.bodies.place(key, n)
			e[0], e[1] = hdrMoved, n
			l[w] = n
			w++
		}
		if len(l) > 0 {
			x.setPostings(uint32(tid), l[:w])
		}
	}
	x.ar = na
	x.slots = slotAlloc{next: uint32(len(order))}
	x.bodyDrops++ // what Load's queries know of their bodies is stale
	for n, ids := range twins {
		for _, id := range ids {
			x.addSubscriber(n, id)
		}
	}
	x.layOutLists(order)
	x.dict.fit()
	x.tcost = slices.Clip(slices.Clone(x.tcost))
	x.post = slices.Clip(slices.Clone(x.post))
	x.ids.reset(x.n + x.n/8)
	for _, off := range order {
		for _, id := range x.subscribers(x.ar.at(off), &oneID) {
			x.ids.place(idHash(id), off)
		}
	}
}

// setPostings sets the postings of a term to l, a prefix of its list.
func (x *Index) setPostings(tid uint32, l []uint32) {
	fl := x.post[tid] & postFlags
	v := x.post[tid] &^ postFlags
	if v&postList == 0 {
		x.post[tid] = fl | l[0] // a single body: moved, never a twin
		return
	}
	li := v & postVal
	if len(l) == 1 {
		x.post[tid] = fl | l[0]
		x.lists[li] = nil
		x.lfree = append(x.lfree, li)
		return
	}
	x.lists[li] = l
}

// layOutLists copies the posting lists, by term, and the subscriber lists,
// in the order of the bodies, each into one block of memory, numbering
// them anew; a list that grows later moves out of its block.
func (x *Index) layOutLists(order []uint32) {
	total := 0
	for _, l := range x.lists {
		total += len(l)
	}
	block := make([]uint32, 0, total)
	lists := make([][]uint32, 0, len(x.lists)-len(x.lfree))
	for tid, v := range x.post {
		if v&postList == 0 {
			continue
		}
		l := x.lists[v&postVal]
		k := len(block)
		block = append(block, l...)
		x.post[tid] = v&^postVal | uint32(len(lists))
		lists = append(lists, block[k:len(block):len(block)])
	}
	x.lists, x.lfree = lists, nil

	total = 0
	for _, l := range x.subLists {
		total += len(l)
	}
	ids := make([]uint64, 0, total)
	subLists := make([][]uint64, 0, len(x.subLists)-len(x.subFree))
	for _, off := range order {
		e := x.ar.at(off)
		if e[1]&slotList == 0 {
			continue
		}
		k := len(ids)
		ids = append(ids, x.subLists[e[2]]...)
		e[2] = uint32(len(subLists))
		subLists = append(subLists, ids[k:len(ids):len(ids)])
	}
	x.subLists, x.subFree = subLists, nil
	x.aslab = nil
}
