package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// A bbolt file read without bbolt.
//
// bbolt maps the file into memory and trusts what it finds there: a page
// number or a length out of range on a damaged page panics, or faults the
// process. The check at Open, herald check and the repair read the file
// with ReadAt instead and check every number before they use it, so damage
// is an error that names the page. The layout is bbolt's file format,
// version 2 (go.etcd.io/bbolt/internal/common: page.go, meta.go, bucket.go).

const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16 // id u64, flags u16, count u16, overflow u32
	elemSize       = 16 // a leaf element (flags, pos, ksize, vsize u32) or a branch one (pos, ksize u32, pgid u64)
	metaSize       = 64 // magic, version, page size, flags u32; root bucket (pgid, sequence u64); freelist, pgid, txid, checksum u64
	inBucketSize   = 16 // a bucket's value: its root page and sequence, then its page when the root is 0 (inline)

	flagBranch     = 0x01
	flagLeaf       = 0x02
	flagFreelist   = 0x10
	leafBucketFlag = 0x01
	noFreelist     = ^uint64(0)
)

// bbolt writes its structures in the machine's byte order.
var ne = binary.NativeEndian

// boltMeta is what a meta page says.
type boltMeta struct {
	pageSize  uint32
	root, seq uint64 // the root bucket
	freelist  uint64
	hwm       uint64 // pages in use: the file must hold this many
	txid      uint64
}

var (
	errNoMagic  = errors.New("no bbolt header")
	errChecksum = errors.New("checksum does not match")
)

// parseMeta reads a meta page (its header, then the meta).
func parseMeta(b []byte) (boltMeta, error) {
	var m boltMeta
	if len(b) < pageHeaderSize+metaSize {
		return m, errors.New("cut short")
	}
	raw := b[pageHeaderSize : pageHeaderSize+metaSize]
	if ne.Uint32(raw[0:]) != boltMagic {
		return m, errNoMagic
	}
	if v := ne.Uint32(raw[4:]); v != boltVersion {
		return m, fmt.Errorf("bbolt file format %d, not %d", v, boltVersion)
	}
	m = boltMeta{pageSize: ne.Uint32(raw[8:]), root: ne.Uint64(raw[16:]), seq: ne.Uint64(raw[24:]),
		freelist: ne.Uint64(raw[32:]), hwm: ne.Uint64(raw[40:]), txid: ne.Uint64(raw[48:])}
	h := fnv.New64a()
	h.Write(raw[:56])
	if h.Sum64() != ne.Uint64(raw[56:]) {
		return m, errChecksum // m as it reads, for a repair's last resort
	}
	if m.pageSize < 1024 || m.pageSize&(m.pageSize-1) != 0 {
		return m, fmt.Errorf("page size %d", m.pageSize)
	}
	return m, nil
}

// boltFile is an open bbolt file and what its meta pages say.
type boltFile struct {
	f        *os.File
	size     int64
	pageSize int
	metaErr  [2]error // why meta page 0 or 1 is unusable, nil if it is fine
	metas    [2]boltMeta
	meta     boltMeta // the meta bbolt uses: the valid one with the higher txid
	valid    bool     // a meta page is valid
}

// openBoltFile opens the file at path for reading and reads its meta
// pages. Damage is in the result (see damage); the error is for failing to
// read at all. The caller closes it.
func openBoltFile(path string) (*boltFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	bf, err := readBoltFile(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return bf, nil
}

// Close closes the file.
func (bf *boltFile) Close() error { return bf.f.Close() }

func readBoltFile(f *os.File) (*boltFile, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	bf := &boltFile{f: f, size: st.Size()}
	buf := make([]byte, pageHeaderSize+metaSize)
	readMeta := func(off int64) (boltMeta, error) {
		if _, err := f.ReadAt(buf, off); err != nil {
			if errors.Is(err, io.EOF) {
				return boltMeta{}, errors.New("cut off by the end of the file")
			}
			return boltMeta{}, err
		}
		return parseMeta(buf)
	}
	m0, err0 := readMeta(0)
	// Meta page 1 is one page in; without meta page 0's word on the page
	// size, try the sizes bbolt would have chosen, as bbolt does.
	sizes := []int64{int64(m0.pageSize)}
	if err0 != nil {
		sizes = sizes[:0]
		for s := int64(1024); s <= 64<<10; s *= 2 {
			sizes = append(sizes, s)
		}
	}
	var m1 boltMeta
	err1 := errors.New("cut off by the end of the file")
	for i, s := range sizes {
		if s+int64(len(buf)) > bf.size {
			break
		}
		m, err := readMeta(s)
		if i == 0 || !errors.Is(err, errNoMagic) {
			m1, err1 = m, err
		}
		if err == nil || !errors.Is(err, errNoMagic) {
			break // found it, or a meta page that is broken
		}
	}
	bf.metaErr, bf.metas = [2]error{err0, err1}, [2]boltMeta{m0, m1}
	switch {
	case err0 == nil && (err1 != nil || m0.txid >= m1.txid):
		bf.meta, bf.valid = m0, true
	case err1 == nil:
		bf.meta, bf.valid = m1, true
	}
	bf.pageSize = int(bf.meta.pageSize)
	return bf, nil
}

// damage says what is wrong with the file as a whole, or "" when its meta
// pages are sound and it is long enough for them. notBolt is set when
// neither page even starts like a bbolt file.
func (bf *boltFile) damage() (problem string, notBolt bool) {
	if !bf.valid {
		if errors.Is(bf.metaErr[0], errNoMagic) && !errors.Is(bf.metaErr[1], errChecksum) {
			return "it does not start with a bbolt header", true
		}
		return fmt.Sprintf("both meta pages are unusable (page 0: %v; page 1: %v)", bf.metaErr[0], bf.metaErr[1]), false
	}
	m := bf.meta
	if need := int64(m.hwm) * int64(m.pageSize); bf.size < need {
		return fmt.Sprintf("it is truncated: %d bytes, but its pages need %d", bf.size, need), false
	}
	if m.root < 2 || m.root >= m.hwm || (m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.hwm)) {
		return fmt.Sprintf("its meta page points outside the file (root page %d, free list page %d, %d pages)", m.root, m.freelist, m.hwm), false
	}
	return "", false
}

// trustBrokenMeta is a repair's last resort when neither meta page is
// valid: a meta page whose only fault is its checksum is taken at its word
// if what it says fits the file. It reports whether one did.
func (bf *boltFile) trustBrokenMeta() bool {
	best := -1
	for i, m := range bf.metas {
		fits := errors.Is(bf.metaErr[i], errChecksum) && m.pageSize >= 1024 && m.pageSize&(m.pageSize-1) == 0 &&
			m.hwm <= uint64(bf.size)/uint64(m.pageSize) && m.root >= 2 && m.root < m.hwm
		if fits && (best < 0 || m.txid > bf.metas[best].txid) {
			best = i
		}
	}
	if best < 0 {
		return false
	}
	bf.meta, bf.pageSize = bf.metas[best], int(bf.metas[best].pageSize)
	return true
}

// brokenMeta names the meta page that is unusable while the other one is
// fine, or returns -1.
func (bf *boltFile) brokenMeta() int {
	if !bf.valid {
		return -1
	}
	for i, err := range bf.metaErr {
		if err != nil {
			return i
		}
	}
	return -1
}

// page reads page id and its overflow pages, checking that it names
// itself id, lies within the pages in use and has a type in want.
func (bf *boltFile) page(id uint64, want ...uint16) ([]byte, error) {
	if id < 2 || id >= bf.meta.hwm {
		return nil, fmt.Errorf("page %d is outside the %d pages in use", id, bf.meta.hwm)
	}
	ps := int64(bf.pageSize)
	var hdr [pageHeaderSize]byte
	if _, err := bf.f.ReadAt(hdr[:], int64(id)*ps); err != nil {
		return nil, readErr(id, err)
	}
	if got := ne.Uint64(hdr[0:]); got != id {
		return nil, fmt.Errorf("page %d names itself %d", id, got)
	}
	flags, overflow := ne.Uint16(hdr[8:]), uint64(ne.Uint32(hdr[12:]))
	ok := false
	for _, w := range want {
		ok = ok || flags == w
	}
	if !ok {
		return nil, fmt.Errorf("page %d has type %#x, not %#x", id, flags, want)
	}
	if id+overflow >= bf.meta.hwm {
		return nil, fmt.Errorf("page %d runs %d pages past the end", id, id+overflow+1-bf.meta.hwm)
	}
	buf := make([]byte, int64(overflow+1)*ps)
	if _, err := bf.f.ReadAt(buf, int64(id)*ps); err != nil {
		return nil, readErr(id, err)
	}
	return buf, nil
}

func readErr(id uint64, err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("page %d lies past the end of the file", id)
	}
	return fmt.Errorf("page %d: %w", id, err)
}

// element is one entry of a leaf page (a key and a value, or a nested
// bucket) or of a branch page (a key and a child page).
type element struct {
	key, value []byte
	child      uint64
	bucket     bool
}

// elements reads the entries of a leaf or branch page (p begins with its
// header), checking that each lies within the page.
func elements(p []byte) ([]element, error) {
	if len(p) < pageHeaderSize {
		return nil, errors.New("page cut short")
	}
	flags, count := ne.Uint16(p[8:]), int(ne.Uint16(p[10:]))
	if pageHeaderSize+count*elemSize > len(p) {
		return nil, fmt.Errorf("%d entries do not fit in the page", count)
	}
	out := make([]element, 0, count)
	for i := range count {
		off := uint64(pageHeaderSize + i*elemSize)
		e := p[off : off+elemSize]
		var pos, ksize, vsize uint64
		var el element
		if flags == flagBranch {
			pos, ksize, el.child = uint64(ne.Uint32(e[0:])), uint64(ne.Uint32(e[4:])), ne.Uint64(e[8:])
		} else {
			el.bucket = ne.Uint32(e[0:])&leafBucketFlag != 0
			pos, ksize, vsize = uint64(ne.Uint32(e[4:])), uint64(ne.Uint32(e[8:])), uint64(ne.Uint32(e[12:]))
		}
		start := off + pos
		if start+ksize+vsize > uint64(len(p)) {
			return nil, fmt.Errorf("entry %d runs past the end of the page", i)
		}
		el.key = p[start : start+ksize]
		el.value = p[start+ksize : start+ksize+vsize]
		out = append(out, el)
	}
	return out, nil
}

// walker visits the records of a bbolt file, skipping what cannot be read.
type walker struct {
	bf   *boltFile
	seen map[uint64]bool // pages reached, so that a damaged page cannot make a loop
	// bad is told about each page that cannot be read, with the path of
	// the bucket it belongs to.
	bad func(bucket string, err error)
}

func newWalker(bf *boltFile, bad func(bucket string, err error)) *walker {
	return &walker{bf: bf, seen: map[uint64]bool{}, bad: bad}
}

// bucket visits the entries of a bucket, given its value in its parent
// (nil for the root bucket), in key order. Entries of pages that cannot be
// read are left out and reported.
func (w *walker) bucket(path string, value []byte, visit func(element)) {
	root := w.bf.meta.root
	if value != nil {
		if len(value) < inBucketSize {
			w.bad(path, fmt.Errorf("bucket header cut short (%d bytes)", len(value)))
			return
		}
		if root = ne.Uint64(value); root == 0 {
			els, err := elements(value[inBucketSize:])
			if err != nil {
				w.bad(path, fmt.Errorf("inline page: %w", err))
				return
			}
			for _, e := range els {
				visit(e)
			}
			return
		}
	}
	w.tree(path, root, visit)
}

func (w *walker) tree(path string, id uint64, visit func(element)) {
	if w.seen[id] {
		w.bad(path, fmt.Errorf("page %d is reached twice", id))
		return
	}
	w.seen[id] = true
	p, err := w.bf.page(id, flagLeaf, flagBranch)
	if err == nil {
		var els []element
		if els, err = elements(p); err == nil {
			branch := ne.Uint16(p[8:]) == flagBranch
			for _, e := range els {
				if branch {
					w.tree(path, e.child, visit)
				} else {
					visit(e)
				}
			}
			return
		}
		err = fmt.Errorf("page %d: %w", id, err)
	}
	w.bad(path, err)
}

// freelist reads the free list page: the pages free for reuse.
func (w *walker) freelist() ([]uint64, error) {
	id := w.bf.meta.freelist
	if id == noFreelist {
		return nil, nil
	}
	p, err := w.bf.page(id, flagFreelist)
	if err != nil {
		return nil, err
	}
	start, count := pageHeaderSize, uint64(ne.Uint16(p[10:]))
	if count == 0xFFFF { // the count did not fit: it is the first entry
		count, start = ne.Uint64(p[pageHeaderSize:]), pageHeaderSize+8
	}
	if count > uint64(len(p)-start)/8 {
		return nil, fmt.Errorf("free list page %d: %d entries do not fit", id, count)
	}
	ids := make([]uint64, count)
	for i := range ids {
		ids[i] = ne.Uint64(p[start+8*i:])
		if ids[i] < 2 || ids[i] >= w.bf.meta.hwm {
			return nil, fmt.Errorf("free list page %d: names page %d, outside the %d pages in use", id, ids[i], w.bf.meta.hwm)
		}
	}
	return ids, nil
}
