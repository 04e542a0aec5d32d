package match

// Entry layout in the arena, in words:
//
//	0     subscription ID, low half
//	1     header: program length (bits 0-13), text length (14-29), flags (30-31)
//	2     slot: a dense number for the per-match dedup stamps (bits 0-30);
//	      bit 31: the ID has a high half, in the word after the program
//	3...  program, [the ID's high half], then the query text (see pack)
const (
	hdrProgBits = 14
	hdrTextBits = 16
	hdrVerified = 1 << 30 // any anchor firing means a match
	hdrPacked   = 1 << 31 // the text is six-bit coded (textpack.go)
	slotHigh    = 1 << 31
	slotMask    = slotHigh - 1
	entryFixed  = 3
	maxProg     = 1<<hdrProgBits - 1
	maxText     = 1<<hdrTextBits - 1
)

// entryID returns the subscription ID of an entry.
func entryID(e []uint32) uint64 {
	id := uint64(e[0])
	if e[2]&slotHigh != 0 {
		id |= uint64(e[entryFixed+e[1]&maxProg]) << 32
	}
	return id
}

// entryText returns the words from an entry's text on.
func entryText(e []uint32) []uint32 {
	return e[entryFixed+e[1]&maxProg+e[2]>>31:]
}

// intern returns the ID of word j of o, adding it to the dictionary.
func (x *Index) intern(o *cop, j int, positional bool) uint32 {
	tid := x.internFP(o.lf.fps[j], o.lf.costs[j])
	if positional {
		x.tflag[tid] |= tfPositional
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
		x.tflag = append(x.tflag, 0)
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
	if x.tflag[tid]&tfPair == 0 {
		x.tflag[tid] |= tfPair
		x.pairAdd(fp)
	}
	x.tflag[a] |= tfBigram
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

// insertNew is insertLocked, told whether id is known to be absent.
func (x *Index) insertNew(id uint64, c *compiled, absent bool) {
	if !absent {
		if off, ok := x.ids.find(id); ok {
			x.removeLocked(off)
		}
	}
	x.gen++
	c.pack()
	pl := c.pl
	hi := uint32(0)
	if id>>32 != 0 {
		hi = 1
	}
	size := uint32(entryFixed+len(c.prog)) + hi
	off := x.ar.alloc(size)
	e := x.ar.at(off)[:size]
	e[0] = uint32(id)
	slot := x.slots.get()
	if slot >= slotHigh {
		panic("match: too many subscriptions")
	}
	e[2] = slot | hi<<31
	if !c.interned {
		p := c.prog[:pl]
		x.internProg(c, p)
		anchors, verified := x.anchors(p)
		if c.shared {
			anchors = x.keepAnchors(anchors)
		} // else c.anchors is used only below, before anchors runs again
		c.anchors, c.verified = anchors, verified
		c.interned = true
		c.ops = nil // a later insert of the query copies c.prog
	}
	copy(e[entryFixed:], c.prog[:pl])
	if hi != 0 {
		e[entryFixed+pl] = uint32(id >> 32)
	}
	copy(e[entryFixed+pl+int(hi):], c.prog[pl:])
	anchors, verified := c.anchors, c.verified
	hdr := uint32(pl) | uint32(len(c.text))<<hdrProgBits
	if verified {
		hdr |= hdrVerified
	}
	if c.packed {
		hdr |= hdrPacked
	}
	e[1] = hdr
	for _, tid := range anchors {
		x.addPosting(tid, off)
	}
	x.ids.insert(off, id)
	x.n++
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

func (x *Index) removeLocked(off uint32) {
	x.gen++
	e := x.ar.at(off)
	hdr := e[1]
	pl := hdr & maxProg
	tl := (hdr >> hdrProgBits) & maxText
	anchors, _ := x.anchors(e[entryFixed : entryFixed+pl])
	for _, tid := range anchors {
		x.removePosting(tid, off)
	}
	x.ids.remove(entryID(e))
	x.slots.put(e[2] & slotMask)
	tw := (tl + 3) / 4
	if hdr&hdrPacked != 0 {
		tw = uint32(unpackText(entryText(e), int(tl), nil))
	}
	x.ar.release(off, entryFixed+pl+e[2]>>31+tw)
	x.n--
}
