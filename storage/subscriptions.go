package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// GetTarget returns a stored target.
func (d *DB) GetTarget(id alerts.TargetID) (alerts.Target, error) {
	var t alerts.Target
	err := d.view(func(tx *bolt.Tx) error {
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
	return d.update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bTargets), []byte(t.ID), t)
	})
}

// ListTargets returns every target, in ID order.
func (d *DB) ListTargets() ([]alerts.Target, error) {
	var out []alerts.Target
	err := d.view(func(tx *bolt.Tx) error {
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
	if s.Target == "" {
		return s, fmt.Errorf("add subscription: empty target")
	}
	err := d.update(func(tx *bolt.Tx) error {
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
		s.ID = 0 // rolled back: the ID was never stored
		return s, fmt.Errorf("add subscription: %w", err)
	}
	return s, nil
}

// PutSubscription updates a stored subscription (its mute, say).
func (d *DB) PutSubscription(s alerts.Subscription) error {
	return d.update(func(tx *bolt.Tx) error {
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
	err := d.view(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bSubs), u64(id), &s)
	})
	if err == alerts.ErrNotFound {
		return s, notFound("subscription", strconv.FormatUint(id, 10))
	}
	return s, err
}

// DeleteSubscription removes a subscription.
func (d *DB) DeleteSubscription(id uint64) error {
	return d.update(func(tx *bolt.Tx) error {
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
	err := d.view(func(tx *bolt.Tx) error {
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
	return d.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bSubs).ForEach(func(_, v []byte) error {
			var s alerts.Subscription
			if err := jsonUnmarshal(v, &s); err != nil {
				return err
			}
			return callOut(fn, s)
		})
	})
}

// MoveTarget moves a target, its subscriptions, its queued deliveries and
// its delivery log to a new ID (a chat that migrated), in one transaction.
//
// Queued alerts (and edits) and log entries are re-keyed to the new
// target's alert keys, so a story already sent or queued before the move is
// still not alerted twice; a queued one the new ID already has queued or
// was sent is dropped. Moved log entries lose their MessageID: the old
// chat's messages cannot be edited through the new ID, so no edit is
// planned for them. Callers holding a Delivery read before the move must
// read Pending again.
func (d *DB) MoveTarget(from, to alerts.TargetID) error {
	if to == "" {
		return fmt.Errorf("move target %s: empty new ID", from)
	}
	return d.update(func(tx *bolt.Tx) error {
		tb := tx.Bucket(bTargets)
		var t alerts.Target
		if err := getJSON(tb, []byte(from), &t); err != nil {
			return notFound("target", string(from))
		}
		if from == to {
			return nil
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
		if err := moveLog(tx, from, to); err != nil {
			return err
		}
		return moveDeliveries(tx, from, to)
	})
}

// moveLog re-keys the delivery log entries of from to to.
func moveLog(tx *bolt.Tx, from, to alerts.TargetID) error {
	log, byStory, last := tx.Bucket(bLog), tx.Bucket(bLogStory), tx.Bucket(bLogLast)
	var moving []alerts.Sent
	err := log.ForEach(func(_, v []byte) error {
		var s alerts.Sent
		if jsonUnmarshal(v, &s) == nil && s.Target == from {
			moving = append(moving, s)
		}
		return nil
	})
	if err != nil {
		return err
	}
	lastKey := string(last.Get([]byte(from)))
	newLast := ""
	for _, s := range moving {
		oldKey := s.Key
		if err := log.Delete([]byte(oldKey)); err != nil {
			return err
		}
		if err := delExpiry(tx, expLog, oldKey); err != nil {
			return err
		}
		if err := byStory.Delete(storyIndexKey(s.Story, oldKey)); err != nil {
			return err
		}
		if err := tx.Bucket(bLogTarget).Delete(logTargetKey(from, s.At, oldKey)); err != nil {
			return err
		}
		s.Target, s.Alert.Target, s.MessageID = to, to, ""
		if s.Key == alerts.DeliveryKey(from, s.Story) {
			s.Key = alerts.DeliveryKey(to, s.Story)
		}
		if oldKey == lastKey {
			newLast = s.Key
		}
		if log.Get([]byte(s.Key)) != nil {
			continue // the new ID has its own entry for the story
		}
		if err := putJSON(log, []byte(s.Key), s); err != nil {
			return err
		}
		if err := indexLog(tx, s); err != nil {
			return err
		}
		if err := setExpiry(tx, expLog, s.Key, s.At, logExpiryValue(s)); err != nil {
			return err
		}
		if s.Story != "" {
			if err := byStory.Put(storyIndexKey(s.Story, s.Key), nil); err != nil {
				return err
			}
		}
	}
	if lastKey == "" {
		return nil
	}
	if err := last.Delete([]byte(from)); err != nil {
		return err
	}
	if newLast != "" && last.Get([]byte(to)) == nil {
		return last.Put([]byte(to), []byte(newLast))
	}
	return nil
}

// moveDeliveries points the outbox entries of from at to. bbolt forbids
// changing a bucket inside its ForEach, so the entries are collected first.
func moveDeliveries(tx *bolt.Tx, from, to alerts.TargetID) error {
	ob, obIDs, log := tx.Bucket(bOutbox), tx.Bucket(bOutboxIDs), tx.Bucket(bLog)
	type entry struct {
		seq []byte
		dl  alerts.Delivery
	}
	var moving []entry
	err := ob.ForEach(func(k, v []byte) error {
		var dl alerts.Delivery
		if err := jsonUnmarshal(v, &dl); err != nil || dl.Target != from {
			return nil
		}
		moving = append(moving, entry{bytes.Clone(k), dl})
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range moving {
		dl := e.dl
		dl.Target = to
		for i := range dl.Alerts {
			dl.Alerts[i].Target = to
		}
		newID := dl.ID
		if len(dl.Alerts) == 1 {
			oldKey, newKey := alerts.DeliveryKey(from, dl.Alerts[0].Story), dl.Alerts[0].Key()
			switch dl.ID {
			case oldKey:
				newID = newKey
			case oldKey + ":edit":
				newID = newKey + ":edit"
			}
		}
		if newID != dl.ID {
			if err := obIDs.Delete([]byte(dl.ID)); err != nil {
				return err
			}
			dup := obIDs.Get([]byte(newID)) != nil ||
				(dl.Kind == alerts.DeliverAlert && log.Get([]byte(newID)) != nil)
			if dup {
				if err := ob.Delete(e.seq); err != nil {
					return err
				}
				continue
			}
			if err := obIDs.Put([]byte(newID), e.seq); err != nil {
				return err
			}
			dl.ID = newID
		}
		if err := putJSON(ob, e.seq, dl); err != nil {
			return err
		}
	}
	return nil
}
