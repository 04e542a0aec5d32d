package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// GetTarget returns a stored target.
func (d *DB) GetTarget(id alerts.TargetID) (alerts.Target, error) {
	var t alerts.Target
	err := d.db.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bTargets), []byte(id), &t)
	})
	if err == alerts.ErrNotFound {
		return t, notFound("target", string(id))
	}
	return t, err
}

// PutTarget stores a target, replacing any with the same ID.
func (d *DB) PutTarget(t alerts.Target) error {
	if t.ID == "" {
		return fmt.Errorf("put target: empty ID")
	}
	return d.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bTargets), []byte(t.ID), t)
	})
}

// ListTargets returns every target, in ID order.
func (d *DB) ListTargets() ([]alerts.Target, error) {
	var out []alerts.Target
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bTargets).ForEach(func(_, v []byte) error {
			var t alerts.Target
			if err := jsonUnmarshal(v, &t); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	})
	return out, err
}

func subIndexKey(t alerts.TargetID, id uint64) []byte {
	k := make([]byte, 0, len(t)+9)
	k = append(k, t...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, id)
}

// AddSubscription stores a new subscription and assigns its ID.
func (d *DB) AddSubscription(s alerts.Subscription) (alerts.Subscription, error) {
	err := d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSubs)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		s.ID = id
		if err := putJSON(b, u64(id), s); err != nil {
			return err
		}
		return tx.Bucket(bSubsByTgt).Put(subIndexKey(s.Target, id), nil)
	})
	if err != nil {
		return s, fmt.Errorf("add subscription: %w", err)
	}
	return s, nil
}

// PutSubscription updates a stored subscription (its mute, say).
func (d *DB) PutSubscription(s alerts.Subscription) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSubs)
		var old alerts.Subscription
		if err := getJSON(b, u64(s.ID), &old); err != nil {
			return notFound("subscription", strconv.FormatUint(s.ID, 10))
		}
		if old.Target != s.Target {
			idx := tx.Bucket(bSubsByTgt)
			if err := idx.Delete(subIndexKey(old.Target, s.ID)); err != nil {
				return err
			}
			if err := idx.Put(subIndexKey(s.Target, s.ID), nil); err != nil {
				return err
			}
		}
		return putJSON(b, u64(s.ID), s)
	})
}

// GetSubscription returns a stored subscription.
func (d *DB) GetSubscription(id uint64) (alerts.Subscription, error) {
	var s alerts.Subscription
	err := d.db.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bSubs), u64(id), &s)
	})
	if err == alerts.ErrNotFound {
		return s, notFound("subscription", strconv.FormatUint(id, 10))
	}
	return s, err
}

// DeleteSubscription removes a subscription.
func (d *DB) DeleteSubscription(id uint64) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSubs)
		var s alerts.Subscription
		if err := getJSON(b, u64(id), &s); err != nil {
			return notFound("subscription", strconv.FormatUint(id, 10))
		}
		if err := tx.Bucket(bSubsByTgt).Delete(subIndexKey(s.Target, id)); err != nil {
			return err
		}
		return b.Delete(u64(id))
	})
}

// ListSubscriptions returns a target's subscriptions, oldest first.
func (d *DB) ListSubscriptions(t alerts.TargetID) ([]alerts.Subscription, error) {
	var out []alerts.Subscription
	err := d.db.View(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bSubs)
		prefix := append([]byte(t), 0)
		c := tx.Bucket(bSubsByTgt).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var s alerts.Subscription
			if err := getJSON(subs, k[len(prefix):], &s); err != nil {
				return fmt.Errorf("subscription index points at a missing subscription: %w", err)
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// ForEachSubscription calls fn for every subscription in ID order. fn must
// not call back into the store.
func (d *DB) ForEachSubscription(fn func(alerts.Subscription) error) error {
	return d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSubs).ForEach(func(_, v []byte) error {
			var s alerts.Subscription
			if err := jsonUnmarshal(v, &s); err != nil {
				return err
			}
			return fn(s)
		})
	})
}

// MoveTarget moves a target, its subscriptions and its queued deliveries to
// a new ID.
func (d *DB) MoveTarget(from, to alerts.TargetID) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		tb := tx.Bucket(bTargets)
		var t alerts.Target
		if err := getJSON(tb, []byte(from), &t); err != nil {
			return notFound("target", string(from))
		}
		t.ID = to
		if err := tb.Delete([]byte(from)); err != nil {
			return err
		}
		if err := putJSON(tb, []byte(to), t); err != nil {
			return err
		}
		subs, idx := tx.Bucket(bSubs), tx.Bucket(bSubsByTgt)
		prefix := append([]byte(from), 0)
		var ids [][]byte
		c := idx.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, bytes.Clone(k[len(prefix):]))
		}
		for _, id := range ids {
			var s alerts.Subscription
			if err := getJSON(subs, id, &s); err != nil {
				continue
			}
			s.Target = to
			if err := putJSON(subs, id, s); err != nil {
				return err
			}
			if err := idx.Delete(append(bytes.Clone(prefix), id...)); err != nil {
				return err
			}
			if err := idx.Put(subIndexKey(to, binary.BigEndian.Uint64(id)), nil); err != nil {
				return err
			}
		}
		ob := tx.Bucket(bOutbox)
		return ob.ForEach(func(k, v []byte) error {
			var dl bot.Delivery
			if err := jsonUnmarshal(v, &dl); err != nil || dl.Target != from {
				return nil
			}
			dl.Target = to
			for i := range dl.Alerts {
				dl.Alerts[i].Target = to
			}
			return putJSON(ob, k, dl)
		})
	})
}
