package storage

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// The walks below read what herald migrate copies into a cluster store
// besides what the bot's roles list: every named value and every delivery
// log entry.

// ForEachMeta calls fn for every small named value (feed state, the
// Telegram offset, the list of feeds added from chat), but the store's
// own bookkeeping (reservedMeta: the schema version, a migration's place,
// the outbox's watermark). fn must not call back into the store.
func (d *DB) ForEachMeta(fn func(key string, v []byte) error) error {
	return d.view(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bFeeds} {
			err := tx.Bucket(b).ForEach(func(k, v []byte) error {
				if reservedMeta(string(k)) {
					return nil
				}
				return fn(string(k), bytes.Clone(v))
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ForEachSent calls fn for every delivery log entry, sent or dropped, with
// its button token. fn must not call back into the store. An entry that
// does not decode stops the walk with a *DamageError naming it: a copy
// without it could send its alert again.
func (d *DB) ForEachSent(fn func(alerts.Sent) error) error {
	return d.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bLog).ForEach(func(k, v []byte) error {
			var s alerts.Sent
			if err := jsonUnmarshal(v, &s); err != nil {
				return &DamageError{Path: d.path, Problem: fmt.Sprintf("delivery log entry %q does not decode (%v)", alertKeyOf(k), err)}
			}
			return fn(s)
		})
	})
}
