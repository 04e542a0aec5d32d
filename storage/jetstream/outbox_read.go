package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
)

// Heads returns the queue head of every target with deliveries queued in
// the partitions this process holds, reading one index per target.
func (s *Store) Heads() ([]alerts.QueueHead, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var filters []string
	all := true
	for p := range s.opts.Partitions {
		if s.owns(p) {
			filters = append(filters, "q."+strconv.Itoa(p)+".*")
		} else {
			all = false
		}
	}
	if all {
		filters = []string{"q.>"}
	}
	if len(filters) == 0 {
		return nil, nil
	}
	var out []alerts.QueueHead
	var short []alerts.TargetID
	err := each(ctx, s.outbox, filters, func(key string, _ uint64, v []byte) error {
		_, _, t, ok := outboxKey(key)
		if !ok {
			return nil
		}
		var q queueIndex
		if err := json.Unmarshal(v, &q); err != nil {
			return fmt.Errorf("outbox index %s: %w", key, err)
		}
		switch {
		case q.N <= 0:
		case len(q.W) == 0:
			short = append(short, t)
		default:
			out = append(out, q.head(t))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	for _, t := range short {
		q, err := s.refill(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		if q.N > 0 {
			out = append(out, q.head(t))
		}
	}
	return out, nil
}

// readIndex reads a target's index, refilled when its window ran empty
// while entries remain.
func (s *Store) readIndex(ctx context.Context, t alerts.TargetID) (queueIndex, error) {
	var q queueIndex
	_, err := getJSON(ctx, s.outbox, s.indexKey(t), &q)
	if errors.Is(err, alerts.ErrNotFound) {
		return queueIndex{}, nil
	}
	if err == nil && q.N > 0 && len(q.W) == 0 {
		return s.refill(ctx, t)
	}
	return q, err
}

// Head returns a target's queue head (Count 0 when nothing waits).
func (s *Store) Head(t alerts.TargetID) (alerts.QueueHead, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	q, err := s.readIndex(ctx, t)
	if err != nil {
		return alerts.QueueHead{}, fmt.Errorf("read outbox of %s: %w", t, err)
	}
	return q.head(t), nil
}

// pendingRetry is how long the scheduler waits for an entry counted in its
// target's index but not created yet (its writer is between the two).
const pendingRetry = 50 * time.Millisecond

// Due returns up to limit of a target's deliveries due at now, in the
// order of its index (NotBefore, then Seq), and its queue head: one index
// read and one read per delivery returned (and per article it refers to).
// The index is refilled first when it lists fewer than limit while more
// wait; items whose entries are gone or differ are mended in the index.
func (s *Store) Due(t alerts.TargetID, now time.Time, limit int) ([]alerts.Delivery, alerts.QueueHead, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	q, err := s.readIndex(ctx, t)
	if err == nil && !q.complete() && len(q.W) < limit {
		q, err = s.refill(ctx, t)
	}
	if err != nil {
		return nil, alerts.QueueHead{}, fmt.Errorf("read outbox of %s: %w", t, err)
	}
	var items []queueItem
	for _, it := range q.W {
		if len(items) >= limit || fromNanos(it.NB).After(now) {
			break
		}
		items = append(items, it)
	}
	recs, found, err := s.getEntries(ctx, t, items)
	if err != nil {
		return nil, alerts.QueueHead{}, fmt.Errorf("read outbox of %s: %w", t, err)
	}
	var keep []entryRecord
	var mend []func(*queueIndex)
	pending := false
	wall := time.Now()
	for i, it := range items {
		r := recs[i]
		switch {
		case !found[i] && it.young(wall):
			pending = true // its entry is on its way
		case !found[i] || r.Seq != it.Seq:
			mend = append(mend, func(q *queueIndex) { q.remove(it.ID, it.Seq, wall) })
		case nanos(r.NotBefore) != it.NB:
			moved := itemOf(r.Delivery)
			mend = append(mend, func(q *queueIndex) { q.move(moved) })
			if !r.NotBefore.After(now) {
				keep = append(keep, r)
			}
		default:
			keep = append(keep, r)
		}
	}
	if len(mend) > 0 {
		q, err = s.changeIndex(ctx, t, func(q *queueIndex) bool {
			for _, m := range mend {
				m(q)
			}
			return true
		})
		if err != nil {
			return nil, alerts.QueueHead{}, fmt.Errorf("read outbox of %s: %w", t, err)
		}
	}
	out, err := s.hydrate(ctx, keep)
	if err != nil {
		return nil, alerts.QueueHead{}, fmt.Errorf("read outbox of %s: %w", t, err)
	}
	h := q.head(t)
	if pending && len(out) == 0 && h.Count > 0 {
		h.Next = maxTime(h.Next, now.Add(pendingRetry))
	}
	return out, h, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// getEntries reads the entries of items side by side; found says which
// exist.
func (s *Store) getEntries(ctx context.Context, t alerts.TargetID, items []queueItem) ([]entryRecord, []bool, error) {
	recs := make([]entryRecord, len(items))
	found := make([]bool, len(items))
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Go(func() {
			r, _, err := s.getEntry(ctx, t, it.ID)
			switch {
			case err == nil:
				recs[i], found[i] = r, true
				s.remember(it.ID, t)
			case !errors.Is(err, alerts.ErrNotFound):
				errs[i] = err
			}
		})
	}
	wg.Wait()
	return recs, found, errors.Join(errs...)
}

// Queued returns every delivery queued for a target, in Seq order: a
// listing of the target's entries.
func (s *Store) Queued(t alerts.TargetID) ([]alerts.Delivery, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	recs, err := s.listEntries(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("read outbox of %s: %w", t, err)
	}
	slices.SortFunc(recs, func(a, b entryRecord) int { return cmpU64(a.Seq, b.Seq) })
	return s.hydrate(ctx, recs)
}

// CountPartition returns how many deliveries are queued in an outbox
// partition, from its targets' indexes.
func (s *Store) CountPartition(p int) (int, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	n := 0
	err := each(ctx, s.outbox, []string{"q." + strconv.Itoa(p) + ".*"}, func(_ string, _ uint64, v []byte) error {
		var q queueIndex
		if json.Unmarshal(v, &q) == nil {
			n += max(q.N, 0)
		}
		return nil
	})
	return n, err
}
