package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// Migration upgrades the database from version N-1 to N, where N is its
// index in migrations plus one. It may work in steps: it is called with
// the cursor it returned last (nil the first time), each time in a
// transaction of its own, until it returns a nil cursor; the new version
// is written in the transaction of that last call. A crash in between
// resumes from the last cursor. Migrations read records in the encoding of
// the version they start from.
type Migration func(tx *bolt.Tx, cursor []byte) (next []byte, err error)

// migrations[i] takes the schema from version i to i+1. Open creates every
// bucket before the migrations run, so a migration fills new buckets, it
// does not create them.
var migrations = []Migration{
	// 1: the first layout; Open creates its buckets.
	func(*bolt.Tx, []byte) ([]byte, error) { return nil, nil },
	// 2: the delivery log indexed by target and time (log_target).
	inOneStep(indexLogByTarget),
	// 3: outbox entries refer to their articles instead of copying them,
	// and are indexed by target (outbox_record.go).
	inOneStep(migrateOutboxRefs),
	// 4: subscriptions in a compact binary record instead of JSON (the
	// copy into a new file before Open, upgrade.go, rewrote them), and a
	// list of each target's subscriptions instead of a key for each.
	inOneStep(listSubsByTarget),
	// 5: pruning by index instead of by sweeping whole buckets: each
	// article's identity keys listed under its ID (art_keys_of), and the
	// expiry index of stories, log entries and buttons.
	migrateExpiryIndex,
	// 6: outbox entries in a compact binary record instead of JSON; each
	// target's queue in a tail and chunks of entries (outbox_tail,
	// outbox_due) instead of a key for each entry and a count
	// (outbox_count); a count of the entries that refer to each article
	// (outbox_arts) instead of a key for each (outbox_refs); outbox_ids
	// keyed by story and then ID, not by ID alone.
	migrateOutboxBinary,
	// 7: article records compressed with zstd (artcodec.go). Records
	// written before stay plain JSON, which every reader still takes, so
	// nothing is rewritten; the version keeps an older herald, which would
	// read the new records as damage, from opening the file.
	inOneStep(func(*bolt.Tx) error { return nil }),
	// 8: an article no longer stores the identity key its ID was derived
	// from, and a numbered GUID's key names its source (keyOwner,
	// alerts.GUIDKey); Seen finds such an article by its ID. Nothing is
	// rewritten: the keys stored before still read. The version keeps an
	// older herald, whose Seen would miss the keys not stored and alert a
	// copy again, from opening the file.
	inOneStep(func(*bolt.Tx) error { return nil }),
	// 9: the delivery log keyed by target, then alert key (logKey),
	// instead of by the alert key alone, so a chat's entries sit side by
	// side; log_story, log_last and the log's expiry entries name the new
	// keys.
	migrateLogByChat,
}

// inOneStep is a migration done in one transaction.
func inOneStep(m func(tx *bolt.Tx) error) Migration {
	return func(tx *bolt.Tx, _ []byte) ([]byte, error) { return nil, m(tx) }
}

// migrateChunk is how many records one step of a migration reads.
var migrateChunk = 5000

// setup creates the buckets and brings the schema up to date.
func (d *DB) setup() error {
	var v int
	var cursor []byte
	err := d.write(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bMeta)
		if raw := meta.Get(keySchema); raw != nil {
			if len(raw) != 8 {
				return fmt.Errorf("schema version is malformed (%d bytes): not a herald database?", len(raw))
			}
			v = int(binary.BigEndian.Uint64(raw))
		}
		if v > len(migrations) || v < 0 {
			return fmt.Errorf("schema version %d is newer than this herald understands (%d): upgrade herald", v, len(migrations))
		}
		cursor = bytes.Clone(meta.Get(keyMigration))
		return nil
	})
	if err != nil {
		return err
	}
	existing := v > 0 // a new file needs no word about its upgrade
	for ; v < len(migrations); v++ {
		start, steps := time.Now(), 0
		if existing {
			d.log.Info("Upgrading the database; this runs once", "db", d.path, "from", v, "to", v+1)
		}
		for {
			var next []byte
			err := d.write(func(tx *bolt.Tx) error {
				var err error
				if next, err = migrations[v](tx, cursor); err != nil {
					return err
				}
				meta := tx.Bucket(bMeta)
				if next != nil {
					return meta.Put(keyMigration, next)
				}
				if err := meta.Delete(keyMigration); err != nil {
					return err
				}
				return meta.Put(keySchema, u64(uint64(v+1)))
			})
			if err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
			}
			steps++
			if cursor = next; cursor == nil {
				break
			}
		}
		if existing {
			d.log.Info("Database upgraded", "db", d.path, "version", v+1, "steps", steps, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}

// migrateExpiryIndex builds version 5's indexes from version 4's records.
// Its cursor is the step's number, then the last key it did.
func migrateExpiryIndex(tx *bolt.Tx, cursor []byte) ([]byte, error) {
	steps := []struct {
		bucket []byte
		do     func(tx *bolt.Tx, k, v []byte) error
	}{
		{bArtKeys, func(tx *bolt.Tx, k, id []byte) error {
			if tx.Bucket(bArticles).Get(id) == nil {
				return tx.Bucket(bArtKeys).Delete(k) // its article was pruned
			}
			return tx.Bucket(bArtKeysOf).Put(append(append(bytes.Clone(id), 0), k...), nil)
		}},
		{bStories, func(tx *bolt.Tx, k, v []byte) error {
			var s struct {
				Created time.Time `json:"created"`
				Updated time.Time `json:"updated"`
			}
			if json.Unmarshal(v, &s) != nil {
				return nil // unreadable: kept, as version 1 kept it
			}
			// A story without times went with an article; its articles
			// are not known here: it lives one more retention period.
			last := storyTouchedAt(s.Created, s.Updated, time.Now())
			return setExpiry(tx, expStory, string(k), last, nil)
		}},
		{bLog, func(tx *bolt.Tx, k, v []byte) error {
			var s struct {
				Target alerts.TargetID `json:"target"`
				Story  string          `json:"story"`
				At     time.Time       `json:"at"`
			}
			if json.Unmarshal(v, &s) != nil {
				return nil
			}
			return setExpiry(tx, expLog, string(k), s.At, logExpiryValue(alerts.Sent{Target: s.Target, Story: s.Story, At: s.At}))
		}},
		{bButtons, func(tx *bolt.Tx, k, v []byte) error {
			var b struct {
				Created time.Time `json:"c"`
			}
			if json.Unmarshal(v, &b) != nil {
				return nil
			}
			return setExpiry(tx, expButton, string(k), b.Created, nil)
		}},
	}
	step, after := 0, []byte(nil)
	if len(cursor) > 0 {
		step, after = int(cursor[0]), cursor[1:]
	}
	for ; step < len(steps); step, after = step+1, nil {
		s := steps[step]
		last, more, err := eachAfter(tx.Bucket(s.bucket), after, migrateChunk, func(k, v []byte) error { return s.do(tx, k, v) })
		if err != nil {
			return nil, err
		}
		if more {
			return append([]byte{byte(step)}, last...), nil
		}
	}
	return nil, nil
}

// eachAfter calls fn for up to limit entries of b after the key after (from
// the first with nil), read before fn runs so that fn may change b. It
// returns the last key done, and whether entries are left.
func eachAfter(b *bolt.Bucket, after []byte, limit int, fn func(k, v []byte) error) ([]byte, bool, error) {
	type entry struct{ k, v []byte }
	var batch []entry
	more := false
	c := b.Cursor()
	k, v := c.First()
	if after != nil {
		if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	for ; k != nil; k, v = c.Next() {
		if len(batch) == limit {
			more = true
			break
		}
		batch = append(batch, entry{bytes.Clone(k), bytes.Clone(v)})
	}
	for _, e := range batch {
		if err := fn(e.k, e.v); err != nil {
			return nil, false, err
		}
	}
	if len(batch) == 0 {
		return after, more, nil
	}
	return batch[len(batch)-1].k, more, nil
}

// migrateOutboxBinary rewrites version 5's outbox entries as binary
// records, and builds the queues and the counts of references from them.
// Its cursor is the Seq of the last entry done. The first step drops the
// old indexes and empties the new ones (version 3's migration, run in the
// same Open, wrote the entries it migrated into them).
func migrateOutboxBinary(tx *bolt.Tx, cursor []byte) ([]byte, error) {
	if cursor == nil {
		for _, name := range [][]byte{bOutboxIDs, bOutboxRefs, bOutboxCount, bOutboxDue, bOutboxTail, bOutboxArts} {
			if tx.Bucket(name) == nil {
				continue
			}
			if err := tx.DeleteBucket(name); err != nil {
				return nil, err
			}
		}
		for _, name := range [][]byte{bOutboxIDs, bOutboxDue, bOutboxTail, bOutboxArts} {
			if _, err := tx.CreateBucket(name); err != nil {
				return nil, err
			}
		}
		// Every entry goes into its queue here.
		if err := tx.Bucket(bMeta).Delete(keyOutboxIndexed); err != nil {
			return nil, err
		}
	}
	ob := tx.Bucket(bOutbox)
	ob.FillPercent = outboxFill
	refs := refCounts{}
	last, more, err := eachAfter(ob, cursor, migrateChunk, func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("outbox entry under a key of %d bytes", len(k))
		}
		rec, err := decodeRecord(binary.BigEndian.Uint64(k), v)
		if err != nil {
			return fmt.Errorf("outbox entry %x: %w", k, err)
		}
		raw, err := encodeRecord(rec)
		if err != nil {
			return fmt.Errorf("outbox entry %x: %w", k, err)
		}
		if err := ob.Put(k, raw); err != nil {
			return err
		}
		if err := tx.Bucket(bOutboxIDs).Put(idKey(rec.Story(), rec.ID), k); err != nil {
			return err
		}
		if err := queueAdd(tx, rec.Target, entryOf(rec, rec.Seq)); err != nil {
			return err
		}
		return addRefs(tx, rec, 1, refs)
	})
	if err == nil {
		err = refs.write(tx)
	}
	if err != nil || !more {
		return nil, err
	}
	return last, nil
}

// migrateLogByChat re-keys version 8's delivery log entries (alert key,
// a hex hash) as version 9's (logKey: target, 0, alert key), with the
// entries of log_story, log_last, expiry and expiry_at that name them.
// Entries of the new form, which hold a 0, are passed over. An entry that
// does not decode or names no target stays where it is, and keyBareLog
// says so: it still keeps its alert from being queued again, and as
// before nothing prunes it.
//
// Its cursor is a pass ('1' or '2') and the next entry to do. Between two
// steps the file is still version 8, which an older herald would open and
// add entries to, also before the cursor; so a migration of more than one
// step ends with a second pass over the whole log, which finds them.
func migrateLogByChat(tx *bolt.Tx, cursor []byte) ([]byte, error) {
	log := tx.Bucket(bLog)
	pass := byte('1')
	type entry struct{ k, v []byte }
	var todo []entry
	var next []byte
	c := log.Cursor()
	k, v := c.First()
	if len(cursor) > 0 {
		pass = cursor[0]
		if len(cursor) > 1 {
			k, v = c.Seek(cursor[1:])
		}
	}
	for ; k != nil; k, v = c.Next() {
		if bytes.IndexByte(k, 0) >= 0 {
			continue
		}
		if len(todo) == migrateChunk {
			next = append([]byte{pass}, k...)
			break
		}
		todo = append(todo, entry{bytes.Clone(k), bytes.Clone(v)})
	}
	if next == nil && pass == '1' && cursor != nil {
		next = []byte{'2'}
	}
	meta, byStory, last := tx.Bucket(bMeta), tx.Bucket(bLogStory), tx.Bucket(bLogLast)
	for _, e := range todo {
		var s struct {
			Target alerts.TargetID `json:"target"`
			Story  string          `json:"story"`
			At     time.Time       `json:"at"`
		}
		if json.Unmarshal(e.v, &s) != nil || s.Target == "" {
			if err := meta.Put(keyBareLog, []byte{1}); err != nil {
				return nil, err
			}
			continue
		}
		key := logKey(s.Target, string(e.k))
		if err := log.Delete(e.k); err != nil {
			return nil, err
		}
		if err := log.Put(key, e.v); err != nil {
			return nil, err
		}
		if err := moveExpiry(tx, expLog, string(e.k), string(key), s.At, logExpiryValue(alerts.Sent{Target: s.Target, Story: s.Story, At: s.At})); err != nil {
			return nil, err
		}
		if s.Story != "" {
			if err := byStory.Delete(storyIndexKey(s.Story, e.k)); err != nil {
				return nil, err
			}
			if err := byStory.Put(storyIndexKey(s.Story, key), nil); err != nil {
				return nil, err
			}
		}
		if bytes.Equal(last.Get([]byte(s.Target)), e.k) {
			if err := last.Put([]byte(s.Target), key); err != nil {
				return nil, err
			}
		}
	}
	return next, nil
}
