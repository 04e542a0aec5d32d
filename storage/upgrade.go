package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/herald-news/herald/alerts"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Schema version 4 rewrites every subscription and drops an index as large
// as them. Done in place, bbolt would keep the old pages as free space (it
// never shrinks a file) and hold the whole rewrite in memory until one
// commit: a database of a million subscriptions grew from 460 MB to 740 MB
// and its migration peaked at 1 GB of RSS. So an older database is first
// copied, bucket by bucket in key order, into a new file with its
// subscriptions already compact and without subs_by_tgt, which then takes
// the old file's place; the migrations in Open finish the job on the copy.
// A crash during the copy leaves the old file as it was (the copy is
// started again next time).

// compactSince is the schema version from which a database is not copied.
const compactSince = 4

// copyChunk bounds the bytes one transaction of the copy writes.
const copyChunk = 32 << 20

// upgradeFile copies a database written before compactSince into a new,
// compact file and puts it in place of the old one. A missing file, a
// new one, and a current one are left alone.
func upgradeFile(path string, lockTimeout time.Duration) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return fmt.Errorf("%w (waited %s for its lock; stop the other process or use another file)", ErrInUse, lockTimeout)
		}
		return err
	}
	defer src.Close()
	version := -1
	src.View(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bMeta); m != nil {
			if raw := m.Get(keySchema); len(raw) == 8 {
				version = int(binary.BigEndian.Uint64(raw))
			}
		}
		return nil
	})
	if version < 0 || version >= compactSince {
		return nil // new, current, or not ours: Open says which
	}
	tmp := path + ".upgrade"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return fmt.Errorf("upgrade to schema version %d: %w", compactSince, err)
	}
	err = copyCompact(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		src.Close()
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("upgrade to schema version %d: %w", compactSince, err)
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		dir.Sync() // the rename is durable before the new file is used
		dir.Close()
	}
	return nil
}

// copyCompact copies every top-level bucket of src into dst in key order,
// with pages filled, committing every copyChunk bytes. Subscriptions are
// written in the compact record; subs_by_tgt is left behind (the
// migration to version 4 lists each target's subscriptions instead).
func copyCompact(dst, src *bolt.DB) error {
	return src.View(func(stx *bolt.Tx) error {
		return stx.ForEach(func(name []byte, sb *bolt.Bucket) error {
			if string(name) == string(bSubsByTgt) {
				return nil
			}
			tx, err := dst.Begin(true)
			if err != nil {
				return err
			}
			defer func() { tx.Rollback() }()
			b, err := tx.CreateBucketIfNotExists(name)
			if err != nil {
				return err
			}
			if err := b.SetSequence(sb.Sequence()); err != nil {
				return err
			}
			size := 0
			c := sb.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if v == nil {
					return fmt.Errorf("bucket %s holds a nested bucket %q, which this version does not write", name, k)
				}
				if string(name) == string(bSubs) {
					if v, err = compactSub(k, v); err != nil {
						return err
					}
				}
				b.FillPercent = 1.0 // keys arrive in order
				// bbolt keeps what Put is given until the commit; src's
				// memory is valid until its transaction ends, which is
				// after dst's.
				if err := b.Put(k, v); err != nil {
					return err
				}
				if size += len(k) + len(v); size >= copyChunk {
					if err := tx.Commit(); err != nil {
						return err
					}
					if tx, err = dst.Begin(true); err != nil {
						return err
					}
					b, size = tx.Bucket(name), 0
				}
			}
			return tx.Commit()
		})
	})
}

// compactSub returns a subscription's record in the compact format: a JSON
// one rewritten, a compact one as it is.
func compactSub(k, v []byte) ([]byte, error) {
	if len(v) > 0 && v[0] == subFormat {
		_, err := viewSub(k, v)
		return v, err
	}
	var s alerts.Subscription
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, fmt.Errorf("subscription %x: %w", k, err)
	}
	return appendSub(nil, s), nil
}
