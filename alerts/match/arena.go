package match

// arena holds the compiled subscriptions in pages of uint32 words, so that
// growing it never copies and the garbage collector never scans it. Freed
// entries are reused by entries of the same size.
type arena struct {
	pages [][]uint32
	top   uint32 // next unused word; 0 and 1 are never handed out
	free  map[uint32][]uint32
	used  int // words in live entries
}

const (
	pageBits = 16
	pageSize = 1 << pageBits
	pageMask = pageSize - 1
)

// maxEntry is the most words one entry may have.
const maxEntry = pageSize / 2

func (a *arena) alloc(n uint32) uint32 {
	a.used += int(n)
	if l := a.free[n]; len(l) > 0 {
		off := l[len(l)-1]
		a.free[n] = l[:len(l)-1]
		return off
	}
	if a.top == 0 {
		a.top = 2 // offsets 0 and 1 mean empty and deleted in an offTable
	}
	if a.top&pageMask+n > pageSize || int(a.top>>pageBits) >= len(a.pages) {
		if int(a.top>>pageBits) < len(a.pages) {
			a.top = (a.top>>pageBits + 1) << pageBits
		}
		for int(a.top>>pageBits) >= len(a.pages) {
			a.pages = append(a.pages, make([]uint32, pageSize))
		}
	}
	if a.top+n >= postList {
		panic("match: subscription arena full") // offsets must stay below postList
	}
	off := a.top
	a.top += n
	return off
}

func (a *arena) release(off, n uint32) {
	a.used -= int(n)
	if a.free == nil {
		a.free = make(map[uint32][]uint32)
	}
	clear(a.at(off)[:n])
	a.free[n] = append(a.free[n], off)
}

// at returns the words from off to the end of its page.
func (a *arena) at(off uint32) []uint32 {
	return a.pages[off>>pageBits][off&pageMask:]
}

func (a *arena) bytes() int { return len(a.pages) * pageSize * 4 }
