package match

// intern returns the ID of word j of o, adding it to the dictionary.
func (x *Index) intern(o *cop, j int, positional bool) uint32 {
	tid := x.internFP(o.lf.fps[j], o.lf.costs[j])
	if positional {
		x.post[tid] |= postPositional
	}
	return tid
}

func (x *Index) internFP(fp uint64, cost uint8) uint32 {
	tid := x.dict.get(fp)
	if tid == noTerm {
		tid = uint32(len(x.post))
		x.dict.put(fp, tid)
		x.post = append(x.post, 0)
		x.tcost = append(x.tcost, cost)
	}
	return tid
}

// pairFP is the fingerprint of two terms in a row: a phrase is indexed
// under its rarest pair of adjacent words, which is far rarer than either.
func pairFP(a, b uint64) uint64 {
	h := (a^0x243f6a8885a308d3)*0x9e3779b97f4a7c15 + b
	h ^= h >> 31
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 29
	if h == 0 {
		h = 1
	}
	return h
}

// internBigram interns the pair of adjacent phrase words with the lowest
// combined cost and flags its first word for pair probes.
func (x *Index) internBigram(o *cop, tids []uint32) uint32 {
	best := 0
	for k := 1; k+1 < len(tids); k++ {
		if int(x.tcost[tids[k]])+int(x.tcost[tids[k+1]]) < int(x.tcost[tids[best]])+int(x.tcost[tids[best+1]]) {
			best = k
		}
	}
	a, b := tids[best], tids[best+1]
	fp := pairFP(o.lf.fps[best], o.lf.fps[best+1])
	tid := x.internFP(fp, min(x.tcost[a], x.tcost[b])/2)
	if !x.isPair(tid) {
		x.pairAdd(tid, fp)
	}
	x.post[a] |= postBigram
	return tid
}

// internProg writes the program of c with its terms interned into p.
func (x *Index) internProg(c *compiled, p []uint32) {
	i := 0
	for k := range c.ops {
		o := &c.ops[k]
		switch o.code {
		case pTerm, pTermTitle, pSource:
			p[i] = o.code | x.intern(o, 0, false)
			i++
		case pPhrase:
			n := len(o.lf.fps)
			p[i] = pPhrase | uint32(n)<<1 | o.arg
			i++
			for j := range n {
				p[i] = x.intern(o, j, true)
				i++
			}
			p[i] = x.internBigram(o, p[i-n:i])
			i++
		case pNot:
			p[i] = pNot
			i++
		default:
			p[i] = o.code | o.arg
			i++
		}
	}
}

func (x *Index) insertLocked(id uint64, c *compiled) { x.insertNew(id, c, false) }

// insertNew adds the subscription id with the compiled query c, replacing
// any subscription with that ID unless id is known to be absent. The
// subscription joins the body of its query, made if no other subscription
// has it.
func (x *Index) insertNew(id uint64, c *compiled, absent bool) {
	if !absent {
		x.removeSub(id)
	}
	x.gen++
	c.prepare(nil)
	var off uint32
	var ok bool
	switch {
	case c.hasBody && c.bodyDrops == x.bodyDrops:
		off, ok = c.body, true
	default:
		off, ok = x.bodies.find(c.hash, func(off uint32) bool {
			return x.sameProg(bodyProg(x.ar.at(off)), c)
		})
	}
	if ok {
		x.addSubscriber(off, id)
	} else {
		off = x.newBody(id, c, true)
	}
	if c.shared {
		c.body, c.bodyDrops, c.hasBody = off, x.bodyDrops, true
	}
	if x.ids.full() {
		x.rehashIDs(x.n + 1)
	}
	x.ids.place(idHash(id), off)
	x.n++
}

// newBody makes the body of a query with its first subscriber, and indexes
// it under its anchors and, if asked, in the body table.
func (x *Index) newBody(id uint64, c *compiled, table bool) uint32 {
	size := uint32(bodyFixed + c.pl)
	off := x.ar.alloc(size)
	e := x.ar.at(off)[:size]
	slot := x.slots.get()
	if slot > slotMask {
		panic("match: too many distinct queries")
	}
	e[1] = slot
	e[2], e[3] = uint32(id), uint32(id>>32)
	if !c.interned {
		x.internProg(c, c.prog)
		anchors, verified := x.anchors(c.prog)
		if c.shared {
			anchors = x.keepAnchors(anchors)
		} // else c.anchors is used only below, before anchors runs again
		c.anchors, c.verified = anchors, verified
		c.interned = true
		c.ops = nil // a later insert of the query copies c.prog
	}
	copy(e[bodyFixed:], c.prog)
	hdr := uint32(c.pl)
	if c.verified {
		hdr |= hdrVerified
	}
	e[0] = hdr
	for _, tid := range c.anchors {
		x.addPosting(tid, off)
	}
	if !table {
		return off
	}
	if x.bodies.full() {
		x.rehashBodies(x.bodies.n + 1)
	}
	x.bodies.place(c.hash, off)
	return off
}

// keepAnchors copies anchors into the load slab.
func (x *Index) keepAnchors(a []uint32) []uint32 {
	if cap(x.aslab)-len(x.aslab) < len(a) {
		x.aslab = make([]uint32, 0, max(4*slabSize, len(a)))
	}
	k := len(x.aslab)
	x.aslab = append(x.aslab, a...)
	return x.aslab[k:len(x.aslab):len(x.aslab)]
}

// removeSub removes the subscription id, and its body if no other
// subscription has the query; it reports whether id was there.
func (x *Index) removeSub(id uint64) bool {
	h := idHash(id)
	var body uint32
	if !x.ids.delete(h, func(off uint32) bool {
		if x.hasSubscriber(off, id) {
			body = off
			return true
		}
		return false
	}) {
		return false
	}
	x.gen++
	x.n--
	if !x.dropSubscriber(body, id) {
		x.removeBody(body)
	}
	if x.ids.dead > x.ids.n/2+64 {
		x.rehashIDs(x.n)
	}
	return true
}

// removeBody drops a body with no subscribers left: its postings, its
// place in the body table, its slot and its words.
func (x *Index) removeBody(off uint32) {
	e := x.ar.at(off)
	anchors, _ := x.anchors(bodyProg(e))
	for _, tid := range anchors {
		x.removePosting(tid, off)
	}
	x.bodies.delete(x.bodyKeyAt(off), func(o uint32) bool { return o == off })
	if x.bodies.dead > x.bodies.n/2+64 {
		x.rehashBodies(x.bodies.n)
	}
	x.dropSubscriberList(e)
	x.slots.put(e[1] & slotMask)
	x.bodyDrops++
	x.ar.release(off, bodySize(e))
}
