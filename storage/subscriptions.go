package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// GetTarget returns a stored target.
func (d *DB) GetTarget(id alerts.TargetID) (alerts.Target, error) {
	if t, ok := d.targets.get(id); ok {
		return t, nil
	}
	gen := d.targets.gen.Load()
	var t alerts.Target
	err := d.view(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bTargets), []byte(id), &t)
	})
	if err == alerts.ErrNotFound {
		return t, notFound("target", string(id))
	}
	if err == nil && t.ID == id {
		d.targets.put(t, gen)
	}
	return t, err
}

// PutTarget stores a target, replacing any with the same ID.
func (d *DB) PutTarget(t alerts.Target) error {
	if t.ID == "" {
		return fmt.Errorf("put target: empty ID")
	}
	return d.update(func(tx *bolt.Tx) error {
		d.targetsWritten(tx)
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
		b.FillPercent = subFill
		if err := putSub(b, s); err != nil {
			return err
		}
		return addSubTo(tx, s.Target, id)
	})
	if err != nil {
		s.ID = 0 // rolled back: the ID was never stored
		return s, fmt.Errorf("add subscription: %w", err)
	}
	return s, nil
}

// AddSubscriptions stores new subscriptions in one transaction, as
// AddSubscription does each, and returns them with their IDs in the order
// given. It is for bulk imports: one commit instead of one per
// subscription.
func (d *DB) AddSubscriptions(subs []alerts.Subscription) ([]alerts.Subscription, error) {
	out := slices.Clone(subs)
	for _, s := range out {
		if s.Target == "" {
			return nil, fmt.Errorf("add subscriptions: empty target (query %q)", s.Query)
		}
	}
	err := d.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSubs)
		b.FillPercent = subFill
		for i := range out {
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			out[i].ID = id
			if err := putSub(b, out[i]); err != nil {
				return err
			}
			if err := addSubTo(tx, out[i].Target, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add subscriptions: %w", err)
	}
	return out, nil
}

// PutTargets stores targets in one transaction, as PutTarget does each.
func (d *DB) PutTargets(ts []alerts.Target) error {
	for _, t := range ts {
		if t.ID == "" {
			return fmt.Errorf("put targets: empty ID")
		}
	}
	return d.update(func(tx *bolt.Tx) error {
		d.targetsWritten(tx)
		b := tx.Bucket(bTargets)
		for _, t := range ts {
			if err := putJSON(b, []byte(t.ID), t); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutSubscription updates a stored subscription (its mute, say).
func (d *DB) PutSubscription(s alerts.Subscription) error {
	return d.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSubs)
		old, err := getSub(b, s.ID)
		if errors.Is(err, alerts.ErrNotFound) {
			return notFound("subscription", strconv.FormatUint(s.ID, 10))
		}
		if err != nil {
			return err
		}
		if old.Target != s.Target {
			if err := removeSubFrom(tx, old.Target, s.ID); err != nil {
				return err
			}
			if err := addSubTo(tx, s.Target, s.ID); err != nil {
				return err
			}
		}
		return putSub(b, s)
	})
}

// GetSubscription returns a stored subscription.
func (d *DB) GetSubscription(id uint64) (alerts.Subscription, error) {
	var s alerts.Subscription
	err := d.view(func(tx *bolt.Tx) error {
		var err error
		s, err = getSub(tx.Bucket(bSubs), id)
		return err
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
		s, err := getSub(b, id)
		if errors.Is(err, alerts.ErrNotFound) {
			return notFound("subscription", strconv.FormatUint(id, 10))
		}
		if err != nil {
			return err
		}
		if err := removeSubFrom(tx, s.Target, id); err != nil {
			return err
		}
		return b.Delete(u64(id))
	})
}

// ListSubscriptions returns a target's subscriptions, oldest first.
func (d *DB) ListSubscriptions(t alerts.TargetID) ([]alerts.Subscription, error) {
	var out []alerts.Subscription
	err := d.view(func(tx *bolt.Tx) error {
		ids, err := subsOf(tx, t)
		if err != nil {
			return err
		}
		subs := tx.Bucket(bSubs)
		for _, id := range ids {
			s, err := getSub(subs, id)
			if err != nil {
				return fmt.Errorf("%s's list names subscription %d: %w", t, id, err)
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// ForEachSubscription calls fn for every subscription in ID order, in one
// read transaction, decoding the compact records in place: a start that
// reads a million of them allocates little more than their queries and
// chat IDs. Consecutive subscriptions of one chat share its ID string. fn
// must not call back into the store.
func (d *DB) ForEachSubscription(fn func(alerts.Subscription) error) error {
	return d.view(func(tx *bolt.Tx) error {
		var t alerts.TargetID
		c := tx.Bucket(bSubs).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			sv, err := viewSub(k, v)
			if err != nil {
				return err
			}
			if string(sv.Target) != string(t) {
				// A map from each target's bytes to one shared string
				// cost three times the scan: a lookup per subscription
				// in a table of every chat misses the caches.
				t = alerts.TargetID(sv.Target)
			}
			err = callOut(fn, alerts.Subscription{ID: sv.ID, Target: t, Query: string(sv.Query),
				Created: fromUnixNano(sv.Created), MutedUntil: fromUnixNano(sv.MutedNano),
				Role: string(sv.Role), RoleName: string(sv.RoleName)})
			if err != nil {
				return err
			}
		}
		return nil
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
		d.targetsWritten(tx)
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
		subs := tx.Bucket(bSubs)
		ids, err := subsOf(tx, from)
		if err != nil {
			return err
		}
		for _, id := range ids {
			s, err := getSub(subs, id)
			if err != nil {
				continue
			}
			s.Target = to
			if err := putSub(subs, s); err != nil {
				return err
			}
		}
		have, err := subsOf(tx, to)
		if err != nil {
			return err
		}
		merged := append(have, ids...)
		slices.Sort(merged)
		if err := setSubsOf(tx, to, slices.Compact(merged)); err != nil {
			return err
		}
		if err := setSubsOf(tx, from, nil); err != nil {
			return err
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
	type entry struct {
		key []byte
		alerts.Sent
	}
	var moving []entry
	prefix := logKey(from, "")
	c := log.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var s alerts.Sent
		if jsonUnmarshal(v, &s) == nil && s.Target == from {
			moving = append(moving, entry{bytes.Clone(k), s})
		}
	}
	lastKey := bytes.Clone(last.Get([]byte(from)))
	var newLast []byte
	for _, e := range moving {
		s, oldKey := e.Sent, e.key
		if err := log.Delete(oldKey); err != nil {
			return err
		}
		if err := delExpiry(tx, expLog, string(oldKey)); err != nil {
			return err
		}
		if err := byStory.Delete(storyIndexKey(s.Story, oldKey)); err != nil {
			return err
		}
		if err := tx.Bucket(bLogTarget).Delete(logTargetKey(from, s.At, s.Key)); err != nil {
			return err
		}
		s.Target, s.Alert.Target, s.MessageID = to, to, ""
		if s.Key == alerts.DeliveryKey(from, s.Story) {
			s.Key = alerts.DeliveryKey(to, s.Story)
		}
		newKey := logKey(to, s.Key)
		if bytes.Equal(oldKey, lastKey) {
			newLast = newKey
		}
		if log.Get(newKey) != nil {
			continue // the new ID has its own entry for the story
		}
		if err := putJSON(log, newKey, s); err != nil {
			return err
		}
		if err := indexLog(tx, s); err != nil {
			return err
		}
		if err := setExpiry(tx, expLog, string(newKey), s.At, logExpiryValue(s)); err != nil {
			return err
		}
		if s.Story != "" {
			if err := byStory.Put(storyIndexKey(s.Story, newKey), nil); err != nil {
				return err
			}
		}
	}
	if lastKey == nil {
		return nil
	}
	if err := last.Delete([]byte(from)); err != nil {
		return err
	}
	if newLast != nil && last.Get([]byte(to)) == nil {
		return last.Put([]byte(to), newLast)
	}
	return nil
}

// moveDeliveries points the outbox entries of from at to. bbolt forbids
// changing a bucket inside its cursor walk, so the entries are collected
// first.
func moveDeliveries(tx *bolt.Tx, from, to alerts.TargetID) error {
	obIDs := tx.Bucket(bOutboxIDs)
	var seqs [][]byte
	err := eachQueued(tx, from, func(e queueEntry) bool {
		seqs = append(seqs, u64(e.seq))
		return true
	})
	if err != nil {
		return err
	}
	refs := refCounts{}
	for _, seq := range seqs {
		rec, err := deleteRecord(tx, seq, refs)
		if err != nil {
			return err
		}
		rec.Target = to
		for i := range rec.Alerts {
			rec.Alerts[i].Target = to
		}
		newID := rec.ID
		if len(rec.Alerts) == 1 {
			oldKey, newKey := alerts.DeliveryKey(from, rec.Alerts[0].Story), rec.Alerts[0].Key()
			switch rec.ID {
			case oldKey:
				newID = newKey
			case oldKey + ":edit":
				newID = newKey + ":edit"
			}
		}
		if newID != rec.ID {
			if err := obIDs.Delete(idKey(rec.Story(), rec.ID)); err != nil {
				return err
			}
			dup := obIDs.Get(idKey(rec.Story(), newID)) != nil ||
				(rec.Kind == alerts.DeliverAlert && logged(tx, to, newID) != nil)
			if dup {
				continue // deleteRecord took it out
			}
			if err := obIDs.Put(idKey(rec.Story(), newID), seq); err != nil {
				return err
			}
			rec.ID = newID
		}
		if err := putRecord(tx, binary.BigEndian.Uint64(seq), rec, refs); err != nil {
			return err
		}
	}
	return refs.write(tx)
}
