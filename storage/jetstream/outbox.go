package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
)

// The outbox bucket is split into partitions by chat (a forum's topics
// share their forum's), so that one process sends to a chat at a time:
// Pending returns only the partitions this process holds (SetOwned), and
// the platforms' per-chat pacing holds deployment-wide because a chat's
// deliveries are all in one partition. Anyone may enqueue.

// Partition returns the outbox partition of a target.
func (s *Store) Partition(t alerts.TargetID) int {
	h := fnv.New32a()
	h.Write([]byte(t.Chat()))
	return int(h.Sum32() % uint32(s.opts.Partitions))
}

// SetOwned sets which outbox partitions Pending reads; nil reads all.
func (s *Store) SetOwned(owns func(partition int) bool) {
	if owns == nil {
		s.owned.Store(nil)
		return
	}
	s.owned.Store(&owns)
}

func (s *Store) owns(part int) bool {
	f := s.owned.Load()
	return f == nil || (*f)(part)
}

func (s *Store) outboxKey(d alerts.Delivery) string {
	return strconv.Itoa(s.Partition(d.Target)) + "." + enc(d.ID)
}

// outboxKeys remembers the key of each delivery ID this process saw, so
// that CompleteAll, Reschedule and Drop, which get only the ID, need not
// search the partitions.

func (s *Store) rememberKey(id, key string) {
	s.keyMu.Lock()
	if s.keyOf == nil {
		s.keyOf = map[string]string{}
	}
	s.keyOf[id] = key
	s.keyMu.Unlock()
}

func (s *Store) forgetKey(id string) {
	s.keyMu.Lock()
	delete(s.keyOf, id)
	s.keyMu.Unlock()
}

// findKey returns the outbox key of a queued delivery, or
// alerts.ErrNotFound.
func (s *Store) findKey(ctx context.Context, id string) (string, error) {
	s.keyMu.Lock()
	k, ok := s.keyOf[id]
	s.keyMu.Unlock()
	if ok {
		if _, err := s.outbox.Get(ctx, k); err == nil {
			return k, nil
		}
	}
	ks, err := keys(ctx, s.outbox, "*."+enc(id))
	if err != nil {
		return "", err
	}
	if len(ks) == 0 {
		return "", notFound("outbox entry", id)
	}
	s.rememberKey(id, ks[0])
	return ks[0], nil
}

// getDelivery reads a queued delivery with its revision; a delivery
// written before its Seq was known takes its first revision as Seq.
func (s *Store) getDelivery(ctx context.Context, key string) (alerts.Delivery, uint64, error) {
	var d alerts.Delivery
	rev, err := getJSON(ctx, s.outbox, key, &d)
	if err == nil && d.Seq == 0 {
		d.Seq = rev
	}
	return d, rev, err
}

func (s *Store) logged(ctx context.Context, key string) (bool, error) {
	_, err := s.sentLog.Get(ctx, "l."+key)
	if err == nil {
		return true, nil
	}
	if isMissing(err) {
		return false, nil
	}
	return false, err
}

// Enqueue adds deliveries to the outbox, idempotent by ID across every
// process: an alert already logged is skipped, a queued one is replaced in
// place (keeping its Seq, Attempts and Created) with compare-and-set, and a
// new one's Seq is its first revision in the bucket, which orders it after
// every delivery enqueued before it.
func (s *Store) Enqueue(ds ...alerts.Delivery) error {
	for _, d := range ds {
		if d.ID == "" {
			return errors.New("enqueue: delivery without ID")
		}
	}
	ctx, cancel := s.ctx()
	defer cancel()
	for _, d := range ds {
		if err := s.enqueueOne(ctx, d); err != nil {
			return fmt.Errorf("enqueue %s: %w", d.ID, err)
		}
	}
	return nil
}

func (s *Store) enqueueOne(ctx context.Context, d alerts.Delivery) error {
	key := s.outboxKey(d)
	for range 50 {
		if d.Kind == alerts.DeliverAlert {
			if done, err := s.logged(ctx, d.ID); err != nil || done {
				return err
			}
		}
		old, rev, err := s.getDelivery(ctx, key)
		if err != nil && !errors.Is(err, alerts.ErrNotFound) {
			return err
		}
		w := d
		if rev != 0 {
			w.Seq, w.Attempts, w.Created = old.Seq, old.Attempts, old.Created
		} else {
			w.Seq = 0 // the store's to set
		}
		nrev, err := updateJSON(ctx, s.outbox, key, w, rev)
		if conflict(err) {
			continue
		}
		if err != nil {
			return err
		}
		s.rememberKey(d.ID, key)
		if rev == 0 && d.Kind == alerts.DeliverAlert {
			// The alert may have been sent and logged between the check
			// above and the create (another process completing the same
			// delivery): then this copy goes again.
			if done, err := s.logged(ctx, d.ID); err == nil && done {
				s.outbox.Delete(ctx, key, lastRevision(nrev))
			}
		}
		return nil
	}
	return errors.New("too much contention")
}

// Pending returns up to limit queued deliveries of the partitions this
// process holds, in ascending Seq order.
func (s *Store) Pending(limit int) ([]alerts.Delivery, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var filters []string
	all := true
	for p := range s.opts.Partitions {
		if s.owns(p) {
			filters = append(filters, strconv.Itoa(p)+".*")
		} else {
			all = false
		}
	}
	if all {
		filters = []string{">"}
	}
	if len(filters) == 0 {
		return nil, nil
	}
	var out []alerts.Delivery
	err := each(ctx, s.outbox, filters, func(key string, rev uint64, v []byte) error {
		var d alerts.Delivery
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("outbox entry %s: %w", key, err)
		}
		if d.Seq == 0 {
			d.Seq = rev
		}
		s.rememberKey(d.ID, key)
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	slices.SortFunc(out, func(a, b alerts.Delivery) int { return cmpU64(a.Seq, b.Seq) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Heads returns the queue heads of the targets in the partitions this
// process holds. (Interim: it reads those partitions whole.)
func (s *Store) Heads() ([]alerts.QueueHead, error) {
	all, err := s.Pending(1 << 30)
	if err != nil {
		return nil, err
	}
	by := map[alerts.TargetID][]alerts.Delivery{}
	for _, d := range all {
		by[d.Target] = append(by[d.Target], d)
	}
	var out []alerts.QueueHead
	for t, ds := range by {
		out = append(out, headOf(t, ds))
	}
	return out, nil
}

func dueOrder(a, b alerts.Delivery) int {
	if c := a.NotBefore.Compare(b.NotBefore); c != 0 {
		return c
	}
	return cmpU64(a.Seq, b.Seq)
}

func headOf(t alerts.TargetID, ds []alerts.Delivery) alerts.QueueHead {
	h := alerts.QueueHead{Target: t, Count: len(ds)}
	if len(ds) > 0 {
		first := slices.MinFunc(ds, dueOrder)
		h.Next, h.Seq = first.NotBefore, first.Seq
	}
	return h
}

// Head returns a target's queue head.
func (s *Store) Head(t alerts.TargetID) (alerts.QueueHead, error) {
	ds, err := s.PendingFor(t)
	return headOf(t, ds), err
}

// Due returns the target's deliveries due at now.
func (s *Store) Due(t alerts.TargetID, now time.Time, limit int) ([]alerts.Delivery, alerts.QueueHead, error) {
	ds, err := s.PendingFor(t)
	if err != nil {
		return nil, alerts.QueueHead{}, err
	}
	h := headOf(t, ds)
	slices.SortFunc(ds, dueOrder)
	var out []alerts.Delivery
	for _, d := range ds {
		if d.NotBefore.After(now) || len(out) >= limit {
			break
		}
		out = append(out, d)
	}
	return out, h, nil
}

// Queued returns every delivery queued for the target, in Seq order.
func (s *Store) Queued(t alerts.TargetID) ([]alerts.Delivery, error) { return s.PendingFor(t) }

// PendingFor returns the queued deliveries of one target, whichever
// process holds its partition (replanning after /digest or /quiet).
func (s *Store) PendingFor(t alerts.TargetID) ([]alerts.Delivery, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var out []alerts.Delivery
	err := each(ctx, s.outbox, []string{strconv.Itoa(s.Partition(t)) + ".*"}, func(key string, rev uint64, v []byte) error {
		var d alerts.Delivery
		if json.Unmarshal(v, &d) != nil || d.Target != t {
			return nil
		}
		if d.Seq == 0 {
			d.Seq = rev
		}
		out = append(out, d)
		return nil
	})
	slices.SortFunc(out, func(a, b alerts.Delivery) int { return cmpU64(a.Seq, b.Seq) })
	return out, err
}

// CompleteAll logs deliveries sent as one message and removes them from
// the outbox: the log first, so a crash in between leaves at most the
// entry to send again (a duplicate of a send in flight), never an alert
// unlogged and gone.
func (s *Store) CompleteAll(ids []string, recs []alerts.Sent) error {
	ctx, cancel := s.ctx()
	defer cancel()
	ks := make([]string, len(ids))
	for i, id := range ids {
		k, err := s.findKey(ctx, id)
		if err != nil {
			return fmt.Errorf("complete %s: %w", id, err)
		}
		ks[i] = k
	}
	for _, r := range recs {
		if err := s.putSent(ctx, r); err != nil {
			return fmt.Errorf("complete: %w", err)
		}
	}
	for i, k := range ks {
		if err := del(ctx, s.outbox, k); err != nil {
			return fmt.Errorf("complete %s: %w", ids[i], err)
		}
		s.forgetKey(ids[i])
	}
	return nil
}

// Reschedule stores a failed attempt's Attempts, LastError and NotBefore.
func (s *Store) Reschedule(d alerts.Delivery) error {
	ctx, cancel := s.ctx()
	defer cancel()
	for range 50 {
		key, err := s.findKey(ctx, d.ID)
		if err != nil {
			return err
		}
		cur, rev, err := s.getDelivery(ctx, key)
		if err != nil {
			return err
		}
		cur.Attempts, cur.LastError, cur.NotBefore = d.Attempts, d.LastError, d.NotBefore
		if _, err := updateJSON(ctx, s.outbox, key, cur, rev); conflict(err) {
			continue
		} else if err != nil {
			return fmt.Errorf("reschedule %s: %w", d.ID, err)
		}
		return nil
	}
	return fmt.Errorf("reschedule %s: too much contention", d.ID)
}

// Drop gives a delivery up and logs why for each alert it carried.
func (s *Store) Drop(id, reason string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	key, err := s.findKey(ctx, id)
	if err != nil {
		return err
	}
	d, _, err := s.getDelivery(ctx, key)
	if err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return notFound("outbox entry", id)
		}
		return err
	}
	if d.Kind != alerts.DeliverEdit {
		for _, a := range d.Alerts {
			k := a.Key()
			if done, err := s.logged(ctx, k); err != nil {
				return err
			} else if done {
				continue
			}
			rec := alerts.Sent{Key: k, Target: d.Target, Story: a.Story, At: s.now(), Dropped: reason, Alert: a}
			if err := s.putSent(ctx, rec); err != nil {
				return fmt.Errorf("drop %s: %w", id, err)
			}
		}
	}
	if err := del(ctx, s.outbox, key); err != nil {
		return fmt.Errorf("drop %s: %w", id, err)
	}
	s.forgetKey(id)
	return nil
}

// moveOutbox re-keys the queued deliveries of from to to, as
// storage.DB.MoveTarget does in one transaction.
func (s *Store) moveOutbox(ctx context.Context, from, to alerts.TargetID) error {
	queued, err := s.PendingFor(from)
	if err != nil {
		return err
	}
	for _, d := range queued {
		oldKey := s.outboxKey(d)
		nd := d
		nd.Target = to
		nd.Alerts = slices.Clone(d.Alerts)
		for i := range nd.Alerts {
			nd.Alerts[i].Target = to
		}
		if len(nd.Alerts) == 1 {
			ok, nk := alerts.DeliveryKey(from, nd.Alerts[0].Story), nd.Alerts[0].Key()
			switch d.ID {
			case ok:
				nd.ID = nk
			case ok + ":edit":
				nd.ID = nk + ":edit"
			}
		}
		if nd.Kind == alerts.DeliverEdit {
			nd.MessageID = d.MessageID
		}
		newKey := s.outboxKey(nd)
		dup := false
		if _, err := s.outbox.Get(ctx, newKey); err == nil {
			dup = true
		} else if nd.Kind == alerts.DeliverAlert {
			if dup, err = s.logged(ctx, nd.ID); err != nil {
				return err
			}
		}
		if !dup {
			if _, err := putJSON(ctx, s.outbox, newKey, nd); err != nil {
				return err
			}
		}
		if err := del(ctx, s.outbox, oldKey); err != nil {
			return err
		}
		s.forgetKey(d.ID)
	}
	return nil
}

func partitionOf(key string) (int, bool) {
	p, _, ok := strings.Cut(key, ".")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(p)
	return n, err == nil
}
