package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// The log_target bucket indexes the delivery log by target and time, so
// that /why N finds a chat's Nth latest alert without reading the log:
// its keys are target, 0, At as big-endian Unix nanoseconds, and the
// alert key; values are empty. Every write of a log entry keeps it in
// step: putSent (CompleteAll, Drop), moveLog and pruneLog.

var bLogTarget = []byte("log_target")

// logTargetKey is the log_target key of a log entry.
func logTargetKey(t alerts.TargetID, at time.Time, key string) []byte {
	k := make([]byte, 0, len(t)+1+8+len(key))
	k = append(k, t...)
	k = append(k, 0)
	k = binary.BigEndian.AppendUint64(k, uint64(at.UnixNano()))
	return append(k, key...)
}

// logPlace is what of a log entry its log_target key is made of.
type logPlace struct {
	Key    string          `json:"key"`
	Target alerts.TargetID `json:"target"`
	At     time.Time       `json:"at"`
}

func (p logPlace) indexKey() []byte { return logTargetKey(p.Target, p.At, p.Key) }

// unindexLog removes the log_target key of the entry stored under k (its
// logKey), if there is one.
func unindexLog(tx *bolt.Tx, k []byte) error {
	raw := tx.Bucket(bLog).Get(k)
	if raw == nil {
		return nil
	}
	var p logPlace
	if err := jsonUnmarshal(raw, &p); err != nil {
		return fmt.Errorf("delivery log entry %q: %w", alertKeyOf(k), err)
	}
	return tx.Bucket(bLogTarget).Delete(p.indexKey())
}

// indexLog adds the log_target key of rec.
func indexLog(tx *bolt.Tx, rec alerts.Sent) error {
	if rec.Target == "" {
		return nil
	}
	return tx.Bucket(bLogTarget).Put(logTargetKey(rec.Target, rec.At, rec.Key), nil)
}

// RecentSent returns up to n of the target's delivery log entries that
// were sent (not dropped), newest first by the time they were written.
func (d *DB) RecentSent(t alerts.TargetID, n int) ([]alerts.Sent, error) {
	var out []alerts.Sent
	if n <= 0 {
		return out, nil
	}
	err := d.view(func(tx *bolt.Tx) error {
		log := tx.Bucket(bLog)
		prefix := append([]byte(t), 0)
		c := tx.Bucket(bLogTarget).Cursor()
		// The last key with the prefix: seek past it, then step back.
		k, _ := c.Seek(append(bytes.Clone(prefix), 0xff))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < n; k, _ = c.Prev() {
			if len(k) < len(prefix)+8 {
				continue
			}
			var s alerts.Sent
			if getJSON(log, logKey(t, string(k[len(prefix)+8:])), &s) != nil || s.Dropped != "" {
				continue
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// indexLogByTarget builds log_target from the delivery log: the migration
// to schema version 2, for databases written before the index existed.
func indexLogByTarget(tx *bolt.Tx) error {
	idx := tx.Bucket(bLogTarget)
	return tx.Bucket(bLog).ForEach(func(k, v []byte) error {
		var p logPlace
		if jsonUnmarshal(v, &p) != nil || p.Target == "" {
			return nil // unreadable entries stay out of the index, as out of /why
		}
		if p.Key == "" {
			p.Key = alertKeyOf(k)
		}
		return idx.Put(p.indexKey(), nil)
	})
}
