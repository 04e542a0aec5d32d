package storage

import (
	"bytes"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// The expiry index: when stories, delivery log entries and buttons become
// old enough to forget. Pruning walks it from its start up to the cutoff,
// so an hour's pruning costs what expired in that hour, not a pass over
// every bucket; and it reads no record, so it is the same whatever their
// encoding.
//
//	expiry     time (big-endian ns), kind, key → what pruning needs besides
//	           the key (for a log entry: its log_target time, target, story)
//	expiry_at  kind, key → time: the entry to replace when a record changes
//
// Articles have their own time index (art_time), whose values list the
// identity keys each article registered in art_keys.

// The kinds of record in the expiry index.
const (
	expStory  byte = 's'
	expLog    byte = 'l' // value: target, 0, story
	expButton byte = 'b'
)

func expiryKey(at uint64, kind byte, key string) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 9+len(key)), at)
	return append(append(k, kind), key...)
}

// setExpiry records when a record expires, with what pruning will need.
// A record written again keeps the later of its two times: a story an old
// article touches again lives as long as its newest.
func setExpiry(tx *bolt.Tx, kind byte, key string, at time.Time, value []byte) error {
	exp, rev := tx.Bucket(bExpiry), tx.Bucket(bExpiryAt)
	revKey := append([]byte{kind}, key...)
	t := timeNanos(at)
	if old := rev.Get(revKey); len(old) == 8 {
		prev := binary.BigEndian.Uint64(old)
		if prev > t {
			t = prev
		}
		if prev != t || !bytes.Equal(exp.Get(expiryKey(prev, kind, key)), value) {
			if err := exp.Delete(expiryKey(prev, kind, key)); err != nil {
				return err
			}
		}
	}
	if err := exp.Put(expiryKey(t, kind, key), value); err != nil {
		return err
	}
	return rev.Put(revKey, binary.BigEndian.AppendUint64(nil, t))
}

// delExpiry forgets a record's entry (it was deleted, or moved).
func delExpiry(tx *bolt.Tx, kind byte, key string) error {
	rev := tx.Bucket(bExpiryAt)
	revKey := append([]byte{kind}, key...)
	old := rev.Get(revKey)
	if len(old) != 8 {
		return nil
	}
	if err := tx.Bucket(bExpiry).Delete(expiryKey(binary.BigEndian.Uint64(old), kind, key)); err != nil {
		return err
	}
	return rev.Delete(revKey)
}

// moveExpiry gives a record's expiry entry its new key, keeping its time
// and value; a record without one gets one at at, with value.
func moveExpiry(tx *bolt.Tx, kind byte, from, to string, at time.Time, value []byte) error {
	exp, rev := tx.Bucket(bExpiry), tx.Bucket(bExpiryAt)
	old := rev.Get(append([]byte{kind}, from...))
	if len(old) != 8 {
		return setExpiry(tx, kind, to, at, value)
	}
	t := binary.BigEndian.Uint64(old)
	if v := exp.Get(expiryKey(t, kind, from)); v != nil {
		value = bytes.Clone(v)
	}
	if err := delExpiry(tx, kind, from); err != nil {
		return err
	}
	if err := exp.Put(expiryKey(t, kind, to), value); err != nil {
		return err
	}
	return rev.Put(append([]byte{kind}, to...), binary.BigEndian.AppendUint64(nil, t))
}

// logExpiryValue is what pruning needs of a log entry besides its key: the
// time of its log_target entry, its target and its story.
func logExpiryValue(s alerts.Sent) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 9+len(s.Target)+len(s.Story)), uint64(s.At.UnixNano()))
	return append(append(append(v, s.Target...), 0), s.Story...)
}

// pruneExpired forgets the stories, log entries and buttons that expired
// before cut (big-endian ns), pruneChunk index entries per transaction.
func (d *DB) pruneExpired(cut []byte) (int, error) {
	total := 0
	for {
		n, more := 0, false
		err := d.update(func(tx *bolt.Tx) error {
			n, more = 0, false // the write may run twice (group commit retries it alone)
			exp, rev := tx.Bucket(bExpiry), tx.Bucket(bExpiryAt)
			type entry struct{ k, v []byte }
			var due []entry
			c := exp.Cursor()
			for k, v := c.First(); k != nil && bytes.Compare(k[:min(8, len(k))], cut) < 0; k, v = c.Next() {
				if len(due) == pruneChunk {
					more = true
					break
				}
				due = append(due, entry{bytes.Clone(k), bytes.Clone(v)})
			}
			for _, e := range due {
				if len(e.k) > 9 {
					n += forgetExpired(tx, e.k[8], e.k[9:], e.v)
					if err := rev.Delete(e.k[8:]); err != nil {
						return err
					}
				}
				if err := exp.Delete(e.k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if !more {
			return total, nil
		}
	}
}

// forgetExpired deletes an expired record and what indexes it, and returns
// how many records went.
func forgetExpired(tx *bolt.Tx, kind byte, key, value []byte) int {
	var b []byte
	switch kind {
	case expStory:
		b = bStories
	case expButton:
		b = bButtons
	case expLog:
		b = bLog
		if len(value) < 8 {
			break
		}
		at := time.Unix(0, int64(binary.BigEndian.Uint64(value)))
		target, story, _ := bytes.Cut(value[8:], []byte{0})
		tx.Bucket(bLogStory).Delete(storyIndexKey(string(story), key))
		tx.Bucket(bLogTarget).Delete(logTargetKey(alerts.TargetID(target), at, alertKeyOf(key)))
		last := tx.Bucket(bLogLast)
		if bytes.Equal(last.Get(target), key) {
			last.Delete(target)
		}
	default:
		return 0
	}
	bucket := tx.Bucket(b)
	if bucket.Get(key) == nil {
		return 0
	}
	bucket.Delete(key)
	return 1
}
