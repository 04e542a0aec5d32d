package match

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

// idTable maps subscription IDs to arena offsets: open addressing over the
// offsets alone, the ID read back from the entry.
type idTable struct {
	x     *Index
	slots []uint32
	n     int
}

func idHash(id uint64) uint64 {
	id ^= id >> 33
	id *= 0xff51afd7ed558ccd
	id ^= id >> 33
	return id
}

func (t *idTable) idAt(off uint32) uint64 {
	return entryID(t.x.ar.at(off))
}

func (t *idTable) find(id uint64) (uint32, bool) {
	if t.n == 0 {
		return 0, false
	}
	mask := uint64(len(t.slots) - 1)
	for i := idHash(id) & mask; ; i = (i + 1) & mask {
		off := t.slots[i]
		if off == 0 {
			return 0, false
		}
		if t.idAt(off) == id {
			return off, true
		}
	}
}

func (t *idTable) insert(off uint32, id uint64) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(1024, len(t.slots)*2))
	}
	t.place(off, id)
}

// reserve makes room for n IDs without growing.
func (t *idTable) reserve(n int) {
	size := max(1024, len(t.slots))
	for n*4 > size*3 {
		size *= 2
	}
	if size > len(t.slots) {
		t.resize(size)
	}
}

func (t *idTable) resize(size int) {
	old := t.slots
	t.slots = make([]uint32, size)
	t.n = 0
	for _, o := range old {
		if o != 0 {
			t.place(o, t.idAt(o))
		}
	}
}

func (t *idTable) place(off uint32, id uint64) {
	mask := uint64(len(t.slots) - 1)
	i := idHash(id) & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = off
	t.n++
}

// remove deletes id with backward-shift deletion.
func (t *idTable) remove(id uint64) {
	if t.n == 0 {
		return
	}
	mask := uint64(len(t.slots) - 1)
	i := idHash(id) & mask
	for {
		off := t.slots[i]
		if off == 0 {
			return
		}
		if t.idAt(off) == id {
			break
		}
		i = (i + 1) & mask
	}
	t.n--
	for {
		t.slots[i] = 0
		j := i
		for {
			j = (j + 1) & mask
			off := t.slots[j]
			if off == 0 {
				return
			}
			home := idHash(t.idAt(off)) & mask
			// Move the entry at j into the hole at i unless its home lies
			// cyclically in (i, j].
			if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
				t.slots[i] = off
				i = j
				break
			}
		}
	}
}
