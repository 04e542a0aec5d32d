package storage

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// CheckReport is what Check found in a database file.
type CheckReport struct {
	Path     string
	Size     int64 // bytes
	PageSize int
	Pages    uint64 // pages in use
	// Records counts the readable entries of each bucket.
	Records map[string]int
	// Problems are damage: the file is not safe to run on.
	Problems []string
	// Notes are findings bbolt recovers from by itself (a meta page
	// broken by a crash in the middle of writing it).
	Notes []string
}

// OK reports whether the check found no damage.
func (r CheckReport) OK() bool { return len(r.Problems) == 0 }

// maxBoltErrors bounds how many of bbolt's own findings a report lists.
const maxBoltErrors = 20

// Check examines the database at path without changing it: its meta pages
// and length, every page of every bucket and the free list, read with
// bounds checks; then, if all of that is sound, bbolt's own consistency
// check (every page reachable or free, keys in order). It returns an error
// wrapping ErrInUse while a running herald holds the file, and for a file
// that cannot be read at all.
func Check(path string) (CheckReport, error) {
	bdb, err := openReadOnly(path)
	if err != nil {
		return CheckReport{Path: path}, err
	}
	if bdb != nil {
		defer bdb.Close()
	}
	return inspect(path, bdb)
}

// openReadOnly opens the file for reading with bbolt, which takes a shared
// lock: no herald can start writing while it is held. It returns nil, nil
// for a file bbolt cannot open (the raw check says why).
func openReadOnly(path string) (*bolt.DB, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", path, err)
	}
	if st.Size() == 0 {
		return nil, nil // bbolt would write a header into it
	}
	if _, err := checkHeader(path); err != nil && !errors.Is(err, ErrDamaged) {
		return nil, err // not a bbolt file
	} else if err != nil {
		return nil, nil // damaged: bbolt would fail or worse; the raw check reads it
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 300 * time.Millisecond})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("check %s: %w: stop it first, or check a backup", path, ErrInUse)
	}
	if err != nil {
		return nil, nil
	}
	return bdb, nil
}

// inspect is Check on a file whose lock the caller holds (bdb, which may
// be nil when bbolt cannot open the file).
func inspect(path string, bdb *bolt.DB) (CheckReport, error) {
	r := CheckReport{Path: path, Records: map[string]int{}}
	bf, err := openBoltFile(path)
	if err != nil {
		return r, fmt.Errorf("check %s: %w", path, err)
	}
	defer bf.Close()
	r.Size, r.PageSize, r.Pages = bf.size, bf.pageSize, bf.meta.hwm
	if bf.size == 0 {
		r.Problems = append(r.Problems, "the file is empty")
		return r, nil
	}
	if problem, notBolt := bf.damage(); notBolt {
		return r, fmt.Errorf("check %s: %s: not a Herald database", path, problem)
	} else if problem != "" {
		r.Problems = append(r.Problems, problem)
		if !bf.valid {
			return r, nil // no meta page to start from
		}
	}
	if i := bf.brokenMeta(); i >= 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("meta page %d is unusable (%v); bbolt reads the other one, one transaction older, and rewrites it at the next write", i, bf.metaErr[i]))
	}
	w := newWalker(bf, func(bucket string, err error) {
		r.Problems = append(r.Problems, fmt.Sprintf("bucket %s: %v", bucket, err))
	})
	w.walkAll(func(bucket string, _ element) { r.Records[bucket]++ })
	if _, err := w.freelist(); err != nil {
		r.Problems = append(r.Problems, "free list: "+err.Error())
	}
	if !r.OK() || bdb == nil {
		return r, nil // bbolt's check would stop on the same damage, inside bbolt
	}
	var found []string
	err = bdb.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			found = append(found, "bbolt: "+err.Error())
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("check %s: %w", path, err)
	}
	if len(found) > maxBoltErrors {
		found = append(found[:maxBoltErrors], fmt.Sprintf("bbolt: and %d more", len(found)-maxBoltErrors))
	}
	r.Problems = append(r.Problems, found...)
	return r, nil
}

// walkAll visits every entry of every top-level bucket, in the order of
// the buckets' names, with the bucket's name.
func (w *walker) walkAll(visit func(bucket string, e element)) {
	var tops []element
	w.bucket("(root)", nil, func(e element) {
		if e.bucket {
			tops = append(tops, element{key: slices.Clone(e.key), value: slices.Clone(e.value), bucket: true})
		}
	})
	for _, b := range tops {
		name := string(b.key)
		w.bucket(name, b.value, func(e element) { visit(name, e) })
	}
}
