package jetstream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-news/herald/alerts"
)

// Removing an entry takes the entry out first, then its item in the index
// (a crash in between leaves a phantom item, which Due mends), so the
// index never misses an entry.

// CompleteAll logs deliveries sent as one message and removes them from
// the outbox: the log first, so a crash in between leaves at most the
// entry to send again (a duplicate of a send in flight), never an alert
// unlogged and gone. An entry leaves only at the revision read (see
// complete), so a story's update that replaced it meanwhile is not lost.
func (s *Store) CompleteAll(done []alerts.Delivery, recs []alerts.Sent) error {
	ctx, cancel := s.ctx()
	defer cancel()
	entries := make([]entryRecord, len(done))
	revs := make([]uint64, len(done))
	err := parallel(len(done), func(i int) error {
		r, rev, err := s.locate(ctx, done[i].ID)
		if err != nil {
			return fmt.Errorf("complete %s: %w", done[i].ID, err)
		}
		entries[i], revs[i] = r, rev
		return nil
	})
	if err != nil {
		return err
	}
	if err := parallel(len(recs), func(i int) error { return s.putSent(ctx, recs[i]) }); err != nil {
		return fmt.Errorf("complete: %w", err)
	}
	gone := make([]bool, len(entries))
	err = parallel(len(entries), func(i int) error {
		err := s.complete(ctx, entries[i], revs[i], recs)
		gone[i] = err == nil
		return err
	})
	var left []entryRecord
	for i, r := range entries {
		if gone[i] {
			left = append(left, r)
		}
	}
	s.uncountEntries(ctx, left)
	return err
}

// complete takes a sent entry out of the outbox if it is still at rev, as
// CompleteAll read it. An entry replaced since (a story's update met its
// send) is read again, and an alert whose queued sources now differ from
// the ones sent leaves its edit (alerts.EditOfSent) queued before it goes:
// with no transaction across the two keys, a crash in between leaves the
// entry to send again besides the edit (a duplicate), never the update
// lost, and a replay queues the same edit (its ID is the alert key and
// ":edit").
func (s *Store) complete(ctx context.Context, r entryRecord, rev uint64, recs []alerts.Sent) error {
	t, id := r.Target, r.ID
	for range 50 {
		if e, ok := editOfCompleted(r, recs); ok {
			if err := s.enqueue(s.refs(), []alerts.Delivery{e}); err != nil {
				return fmt.Errorf("complete %s: %w", id, err)
			}
		}
		key := s.entryKey(t, id)
		err := s.outbox.Purge(ctx, key, jetstream.LastRevision(rev), jetstream.PurgeTTL(markerTTL))
		if err == nil {
			s.forget(id)
			return nil
		}
		if !conflict(err) {
			return fmt.Errorf("remove %s: %w", id, err)
		}
		r, rev, err = s.getEntry(ctx, t, id)
		if errors.Is(err, alerts.ErrNotFound) {
			return nil // removed meanwhile (dropped, moved)
		}
		if err != nil {
			return fmt.Errorf("complete %s: %w", id, err)
		}
	}
	return fmt.Errorf("complete %s: too much contention", id)
}

// editOfCompleted is the edit a completed alert entry leaves: the entry as
// queued now, against the log entry of what was sent.
func editOfCompleted(r entryRecord, recs []alerts.Sent) (alerts.Delivery, bool) {
	if len(r.Alerts) != 1 {
		return alerts.Delivery{}, false
	}
	key := r.Alerts[0].Key()
	for _, rec := range recs {
		if rec.Key == key {
			return alerts.EditOfSent(rec, r.Bare())
		}
	}
	return alerts.Delivery{}, false
}

// removeEntries takes entries out of the outbox, the entries first and
// then their items, one index write per target.
func (s *Store) removeEntries(ctx context.Context, entries []entryRecord) error {
	err := parallel(len(entries), func(i int) error {
		r := entries[i]
		if err := s.outbox.Purge(ctx, s.entryKey(r.Target, r.ID), jetstream.PurgeTTL(markerTTL)); err != nil {
			return fmt.Errorf("remove %s: %w", r.ID, err)
		}
		s.forget(r.ID)
		return nil
	})
	if err != nil {
		return err
	}
	s.uncountEntries(ctx, entries)
	return nil
}

// uncountEntries removes the items of removed entries from their targets'
// indexes, one index write per target.
func (s *Store) uncountEntries(ctx context.Context, entries []entryRecord) {
	by := map[alerts.TargetID][]queueItem{}
	for _, r := range entries {
		by[r.Target] = append(by[r.Target], itemOf(r.Delivery))
	}
	for t, items := range by {
		s.uncount(ctx, t, items...)
	}
}

// Reschedule stores a failed attempt's Attempts, LastError and NotBefore:
// the entry first, then its place in the index (a retry moves it later).
func (s *Store) Reschedule(d alerts.Delivery) error {
	ctx, cancel := s.ctx()
	defer cancel()
	for range 50 {
		cur, rev, err := s.getEntry(ctx, d.Target, d.ID)
		if errors.Is(err, alerts.ErrNotFound) {
			cur, rev, err = s.locate(ctx, d.ID) // moved to another target meanwhile
		}
		if err != nil {
			return err
		}
		later := d.NotBefore.After(cur.NotBefore)
		it := queueItem{NB: nanos(d.NotBefore), Seq: cur.Seq, ID: cur.ID}
		move := func() error {
			_, err := s.changeIndex(ctx, cur.Target, func(q *queueIndex) bool { q.move(it); return true })
			return err
		}
		if !later {
			if err := move(); err != nil {
				return fmt.Errorf("reschedule %s: %w", d.ID, err)
			}
		}
		cur.Attempts, cur.LastError, cur.NotBefore = d.Attempts, d.LastError, d.NotBefore
		key := s.entryKey(cur.Target, cur.ID)
		if _, err := s.putEntry(ctx, key, cur, rev); conflict(err) {
			continue
		} else if err != nil {
			return fmt.Errorf("reschedule %s: %w", d.ID, err)
		}
		if later {
			if err := move(); err != nil {
				return fmt.Errorf("reschedule %s: %w", d.ID, err)
			}
		}
		return nil
	}
	return fmt.Errorf("reschedule %s: too much contention", d.ID)
}

// Drop gives a delivery up and logs why for each alert it carried (whole,
// with its article), the log first.
func (s *Store) Drop(dl alerts.Delivery, reason string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	r, _, err := s.locate(ctx, dl.ID)
	if err != nil {
		return err
	}
	if r.Kind != alerts.DeliverEdit {
		ds, err := s.hydrate(ctx, []entryRecord{r})
		if err != nil {
			return fmt.Errorf("drop %s: %w", dl.ID, err)
		}
		for _, a := range ds[0].Alerts {
			k := a.Key()
			if done, err := s.logged(ctx, k); err != nil {
				return err
			} else if done {
				continue
			}
			rec := alerts.Sent{Key: k, Target: r.Target, Story: a.Story, At: time.Now(), Dropped: reason, Alert: a}
			if err := s.putSent(ctx, rec); err != nil {
				return fmt.Errorf("drop %s: %w", dl.ID, err)
			}
		}
	}
	if err := s.removeEntries(ctx, []entryRecord{r}); err != nil {
		return fmt.Errorf("drop %s: %w", dl.ID, err)
	}
	return nil
}

// moveOutbox re-keys the queued deliveries of from to to, as
// storage.DB.MoveTarget does in one transaction: each is enqueued under
// the new target (keeping its article references) before the old entry
// goes, so a crash part-way leaves both, and a repeat finishes.
func (s *Store) moveOutbox(ctx context.Context, from, to alerts.TargetID) error {
	recs, err := s.listEntries(ctx, from)
	if err != nil {
		return err
	}
	slices.SortFunc(recs, func(a, b entryRecord) int { return cmpU64(a.Seq, b.Seq) })
	for _, r := range recs {
		nr := r
		nr.Target = to
		nr.Alerts = slices.Clone(r.Alerts)
		for i := range nr.Alerts {
			nr.Alerts[i].Target = to
		}
		if len(nr.Alerts) == 1 {
			ok, nk := alerts.DeliveryKey(from, nr.Alerts[0].Story), alerts.DeliveryKey(to, nr.Alerts[0].Story)
			switch r.ID {
			case ok:
				nr.ID = nk
			case ok + ":edit":
				nr.ID = nk + ":edit"
			}
		}
		dup := false
		if _, _, err := s.getEntry(ctx, to, nr.ID); err == nil {
			dup = true
		} else if !errors.Is(err, alerts.ErrNotFound) {
			return err
		} else if nr.Kind == alerts.DeliverAlert {
			if dup, err = s.logged(ctx, nr.ID); err != nil {
				return err
			}
		}
		if !dup {
			// (Another writer creating the same ID meanwhile makes it a
			// duplicate after all.)
			if _, err := s.create(ctx, to, []alerts.Delivery{nr.Delivery}, []entryRecord{nr}, []int{0}); err != nil {
				return err
			}
		}
		if err := s.removeEntries(ctx, []entryRecord{r}); err != nil {
			return err
		}
	}
	return nil
}
