package storage

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

const canReleaseMap = true

// releaseMap drops the database's pages from the process's page tables
// with madvise(MADV_DONTNEED). For a shared map of a file, Linux then
// serves the next access of a page from the page cache (or the file),
// up to date: madvise(2), "repopulating the memory contents from the
// up-to-date contents of the underlying mapped file". bbolt maps the file
// read-only and writes it with pwrite, never through the map, so no page
// of the map is dirty and nothing is lost; a reader that touches a page
// meanwhile takes a minor fault and reads the same bytes.
//
// The danger is the address range alone: MADV_DONTNEED on memory that is
// no longer bbolt's map (unmapped by a remap, and perhaps reused by the Go
// heap) would zero that memory. So the range is taken, and used, inside a
// read transaction, which is what keeps bbolt's map in place (bbolt
// v1.4.3, db.go):
//   - beginTx takes mmaplock for reading, and the transaction holds it
//     until its rollback (removeTx);
//   - every change of the map takes mmaplock for writing: DB.mmap (at Open,
//     and from allocate when a commit needs more room than is mapped) and
//     DB.Close, the only callers of munmap. A remap therefore waits until
//     this transaction ends (for as long as the madvise call takes);
//   - Info().Data is the address of db.data[0], the map's start, which
//     beginTx has checked is non-nil;
//   - tx.Size() is the transaction's meta high-water mark times the page
//     size. The map is never smaller than the file when it is made (mmap
//     maps max(file size, minsz) rounded up), and allocate remaps to more
//     than the pages a commit takes before the meta that counts them is
//     written, so [Data, Data+Size) lies inside the map. (Open also refuses
//     a file shorter than its meta's high-water mark: boltfile.go.)
//
// The length is rounded down to the system's page size (bbolt's pages are
// that size unless a file was made elsewhere) and the start, from mmap, is
// page-aligned; a start that is not would be refused here, not rounded.
// bbolt's Options.Mlock is never set by this package; locked pages would
// make madvise fail (EINVAL), and the watch would stop after saying so.
func (d *DB) releaseMap() error {
	return d.view(func(tx *bolt.Tx) error {
		ps := uintptr(os.Getpagesize())
		start := tx.DB().Info().Data
		n := uintptr(tx.Size()) &^ (ps - 1)
		if start%ps != 0 {
			return fmt.Errorf("release the database's pages: the map starts at %#x, not on a page", start)
		}
		if n == 0 {
			return nil
		}
		// A raw call: the range is bbolt's map, not Go memory, and making
		// a []byte of it would only be converted back. (syscall, not
		// golang.org/x/sys/unix: storage imports few libraries besides
		// the standard library, cmd/herald/layout_test.go.)
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, start, n, syscall.MADV_DONTNEED); errno != 0 {
			return fmt.Errorf("release the database's pages: madvise: %w", errno)
		}
		return nil
	})
}

// residentFile returns the bytes of file pages mapped into the process
// (RssFile and RssShmem: statm's third field, in pages; Herald maps no
// shared memory), or false when /proc cannot be read.
func residentFile() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[2], 10, 64)
	return pages * int64(os.Getpagesize()), err == nil
}
