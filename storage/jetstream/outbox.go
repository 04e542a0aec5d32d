package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-news/herald/alerts"
)

// The outbox bucket is split into partitions by chat (a forum's topics
// share their forum's), so that one process sends to a chat at a time:
// Heads reads only the partitions this process holds (SetOwned), and the
// platforms' per-chat pacing holds deployment-wide because a chat's
// deliveries are all in one partition. Anyone may enqueue. Each target's
// queue is its entries and an index (queue.go).

// markerTTL is how long the marker of a removed outbox key stays, so that
// watchers see the removal; then the bucket forgets the key altogether.
const markerTTL = time.Minute

// Partition returns the outbox partition of a target.
func (s *Store) Partition(t alerts.TargetID) int {
	h := fnv.New32a()
	h.Write([]byte(t.Chat()))
	return int(h.Sum32() % uint32(s.opts.Partitions))
}

// SetOwned sets which outbox partitions Heads reads; nil reads all.
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

func (s *Store) entryKey(t alerts.TargetID, id string) string {
	return "e." + strconv.Itoa(s.Partition(t)) + "." + enc(string(t)) + "." + enc(id)
}

func (s *Store) indexKey(t alerts.TargetID) string {
	return "q." + strconv.Itoa(s.Partition(t)) + "." + enc(string(t))
}

// outboxKey parses an entry key ("e.<part>.<target>.<id>") or an index key
// ("q.<part>.<target>").
func outboxKey(key string) (kind string, part int, t alerts.TargetID, ok bool) {
	fs := strings.Split(key, ".")
	if len(fs) < 3 || (fs[0] != "e" && fs[0] != "q") {
		return "", 0, "", false
	}
	p, err := strconv.Atoi(fs[1])
	if err != nil {
		return "", 0, "", false
	}
	raw, err := dec(fs[2])
	if err != nil {
		return "", 0, "", false
	}
	return fs[0], p, alerts.TargetID(raw), true
}

// Delivery IDs do not name their target, so the store remembers the
// target of each entry this process read or wrote: CompleteAll and Drop
// get only IDs.

func (s *Store) remember(id string, t alerts.TargetID) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.targetOf == nil || len(s.targetOf) > 1<<17 {
		s.targetOf = map[string]alerts.TargetID{} // forget entries sent elsewhere
	}
	s.targetOf[id] = t
}

func (s *Store) forget(id string) {
	s.keyMu.Lock()
	delete(s.targetOf, id)
	s.keyMu.Unlock()
}

// getEntry reads a queued entry with its revision, or alerts.ErrNotFound.
func (s *Store) getEntry(ctx context.Context, t alerts.TargetID, id string) (entryRecord, uint64, error) {
	key := s.entryKey(t, id)
	e, err := s.outbox.Get(ctx, key)
	if isMissing(err) {
		return entryRecord{}, 0, notFound("outbox entry", id)
	}
	if err != nil {
		return entryRecord{}, 0, err
	}
	r, err := decodeEntry(key, e.Value())
	return r, e.Revision(), err
}

// locate returns a queued entry by ID alone: through the remembered
// target, or by looking for the ID in every partition.
func (s *Store) locate(ctx context.Context, id string) (entryRecord, uint64, error) {
	s.keyMu.Lock()
	t, ok := s.targetOf[id]
	s.keyMu.Unlock()
	if ok {
		r, rev, err := s.getEntry(ctx, t, id)
		if !errors.Is(err, alerts.ErrNotFound) {
			return r, rev, err
		}
	}
	ks, err := keys(ctx, s.outbox, "e.*.*."+enc(id))
	if err != nil {
		return entryRecord{}, 0, err
	}
	for _, k := range ks {
		if _, _, t, ok := outboxKey(k); ok {
			s.remember(id, t)
			return s.getEntry(ctx, t, id)
		}
	}
	return entryRecord{}, 0, notFound("outbox entry", id)
}

func (s *Store) logged(ctx context.Context, key string) (bool, error) {
	_, done, err := s.sentEntry(ctx, key)
	return done, err
}

// sentEntry reads an alert's log entry; done says whether there is one.
// An entry that cannot be decoded counts as logged, with nothing to edit.
func (s *Store) sentEntry(ctx context.Context, key string) (rec alerts.Sent, done bool, err error) {
	e, err := s.sentLog.Get(ctx, "l."+key)
	if isMissing(err) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	if json.Unmarshal(e.Value(), &rec) != nil {
		return alerts.Sent{}, true, nil
	}
	return rec, true, nil
}

// enqueueWorkers bounds the writes one Enqueue makes at once.
const enqueueWorkers = 16

// parallel runs fn(0)…fn(n-1), at most enqueueWorkers at once, and joins
// their errors.
func parallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, enqueueWorkers)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = fn(i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Enqueue adds deliveries to the outbox, idempotent by ID across every
// process: an alert already logged is skipped (or becomes the edit of its
// message, alerts.EditOfSent, when it names other sources), a queued one
// is replaced in place (keeping its Seq, Attempts and Created) with
// compare-and-set, and new ones are counted in their target's index (one
// write per target), then created. Targets are written side by side.
func (s *Store) Enqueue(ds ...alerts.Delivery) error {
	return s.enqueue(s.refs(), ds)
}

func (s *Store) enqueue(refs *articleRefs, ds []alerts.Delivery) error {
	var targets []alerts.TargetID
	by := map[alerts.TargetID][]alerts.Delivery{}
	at := map[string]int{} // a delivery ID's place in its target's list
	for _, d := range ds {
		if d.ID == "" {
			return errors.New("enqueue: delivery without ID")
		}
		if _, ok := by[d.Target]; !ok {
			targets = append(targets, d.Target)
		}
		if i, ok := at[d.ID]; ok && by[d.Target][i].Target == d.Target {
			by[d.Target][i] = d // the later one replaces it, as in bbolt
			continue
		}
		at[d.ID] = len(by[d.Target])
		by[d.Target] = append(by[d.Target], d)
	}
	ctx, cancel := s.ctx()
	defer cancel()
	return parallel(len(targets), func(i int) error { return s.enqueueTarget(ctx, refs, targets[i], by[targets[i]]) })
}

// enqueueTarget enqueues one target's deliveries.
func (s *Store) enqueueTarget(ctx context.Context, refs *articleRefs, t alerts.TargetID, ds []alerts.Delivery) error {
	recs := make([]entryRecord, len(ds))
	for i, d := range ds {
		recs[i] = alerts.StoreDelivery(d, func(id string) bool { return refs.stored(ctx, id) })
	}
	left := make([]int, len(ds))
	for i := range left {
		left[i] = i
	}
	type look struct {
		old         entryRecord
		rev         uint64
		found, done bool
		edit        *alerts.Delivery // what a logged alert becomes
	}
	for range 50 {
		looks := make([]look, len(left))
		err := parallel(len(left), func(k int) error {
			d := ds[left[k]]
			if d.Kind == alerts.DeliverAlert {
				sent, done, err := s.sentEntry(ctx, d.ID)
				if err != nil || done {
					looks[k].done = done
					if e, ok := alerts.EditOfSent(sent, d); ok {
						looks[k].edit = &e
					}
					return err
				}
			}
			old, rev, err := s.getEntry(ctx, t, d.ID)
			if errors.Is(err, alerts.ErrNotFound) {
				return nil
			}
			looks[k] = look{old: old, rev: rev, found: err == nil}
			return err
		})
		if err != nil {
			return fmt.Errorf("enqueue for %s: %w", t, err)
		}
		var fresh, again []int
		for k, i := range left {
			switch {
			case looks[k].edit != nil:
				// Sent already, as the story's update was on its way: the
				// update goes in as the edit of the message instead.
				ds[i] = *looks[k].edit
				recs[i] = alerts.StoreDelivery(ds[i], func(id string) bool { return refs.stored(ctx, id) })
				again = append(again, i)
			case looks[k].done:
			case looks[k].found:
				if err := s.replace(ctx, looks[k].old, looks[k].rev, recs[i]); conflict(err) {
					again = append(again, i)
				} else if err != nil {
					return fmt.Errorf("enqueue %s: %w", ds[i].ID, err)
				}
			default:
				fresh = append(fresh, i)
			}
		}
		lost, err := s.create(ctx, t, ds, recs, fresh)
		if err != nil {
			return fmt.Errorf("enqueue for %s: %w", t, err)
		}
		left = append(again, lost...)
		if len(left) == 0 {
			return nil
		}
	}
	return fmt.Errorf("enqueue for %s: too much contention", t)
}

// create counts new entries in their target's index, then writes them. It
// returns those another writer created first (to be looked at again).
func (s *Store) create(ctx context.Context, t alerts.TargetID, ds []alerts.Delivery, recs []entryRecord, fresh []int) (lost []int, err error) {
	if len(fresh) == 0 {
		return nil, nil
	}
	now := time.Now()
	items := make([]queueItem, len(fresh))
	if _, err := s.changeIndex(ctx, t, func(q *queueIndex) bool {
		for k, i := range fresh {
			recs[i].Seq = q.nextSeq(now)
			items[k] = queueItem{NB: nanos(ds[i].NotBefore), Seq: recs[i].Seq, ID: ds[i].ID}
			q.add(items[k], now)
		}
		return true
	}); err != nil {
		return nil, err
	}
	// What was counted but is not there after all goes from the index
	// again: an entry another writer created first, a write that failed,
	// an alert logged meanwhile.
	gone := make([]bool, len(fresh))
	conflicted := make([]bool, len(fresh))
	err = parallel(len(fresh), func(k int) error {
		i := fresh[k]
		key := s.entryKey(t, ds[i].ID)
		rev, err := s.putEntry(ctx, key, recs[i], 0)
		if err != nil {
			gone[k], conflicted[k] = true, conflict(err)
			if conflicted[k] {
				return nil
			}
			return err
		}
		s.remember(ds[i].ID, t)
		if ds[i].Kind == alerts.DeliverAlert {
			// The alert may have been sent and logged between the check
			// and the create (another process completing the same
			// delivery): then this copy goes again, after the edit it
			// becomes is queued (so a crash in between leaves the copy to
			// send again, never the story's update lost).
			if sent, done, err := s.sentEntry(ctx, ds[i].ID); err == nil && done {
				if e, ok := alerts.EditOfSent(sent, ds[i]); ok {
					if err := s.enqueue(s.refs(), []alerts.Delivery{e}); err != nil {
						return err
					}
				}
				if s.outbox.Purge(ctx, key, jetstream.LastRevision(rev), jetstream.PurgeTTL(markerTTL)) == nil {
					gone[k] = true
				}
			}
		}
		return nil
	})
	var drop []queueItem
	for k, i := range fresh {
		if gone[k] {
			drop = append(drop, items[k])
		}
		if conflicted[k] {
			lost = append(lost, i)
		}
	}
	s.uncount(ctx, t, drop...)
	return lost, err
}

// uncount removes items whose entries are gone (or never came) from
// their target's index. A failure leaves phantom items, which Due removes.
func (s *Store) uncount(ctx context.Context, t alerts.TargetID, items ...queueItem) {
	if len(items) == 0 {
		return
	}
	now := time.Now()
	_, err := s.changeIndex(ctx, t, func(q *queueIndex) bool {
		changed := false
		for _, it := range items {
			changed = q.remove(it.ID, it.Seq, now) || changed
		}
		return changed
	})
	if err != nil {
		s.log.Warn("Outbox index not updated; Due will mend it", "target", t, "items", len(items), "err", err)
	}
}

// replace writes a queued entry again with what an Enqueue brought,
// keeping its Seq, Attempts and Created; a NotBefore that moves earlier is
// moved in the index first, one that moves later after.
func (s *Store) replace(ctx context.Context, old entryRecord, rev uint64, rec entryRecord) error {
	rec.Seq, rec.Attempts, rec.Created = old.Seq, old.Attempts, old.Created
	it := queueItem{NB: nanos(rec.NotBefore), Seq: rec.Seq, ID: rec.ID}
	moveIndex := func() error {
		_, err := s.changeIndex(ctx, rec.Target, func(q *queueIndex) bool { q.move(it); return true })
		return err
	}
	earlier := rec.NotBefore.Before(old.NotBefore)
	if earlier {
		if err := moveIndex(); err != nil {
			return err
		}
	}
	key := s.entryKey(rec.Target, rec.ID)
	if _, err := s.putEntry(ctx, key, rec, rev); err != nil {
		return err
	}
	s.remember(rec.ID, rec.Target)
	if rec.NotBefore.After(old.NotBefore) {
		return moveIndex()
	}
	return nil
}

// changeIndex applies fn to a target's index with compare-and-set until
// the write holds; fn returns false to write nothing. An index with
// nothing left is removed.
func (s *Store) changeIndex(ctx context.Context, t alerts.TargetID, fn func(q *queueIndex) bool) (queueIndex, error) {
	key := s.indexKey(t)
	for attempt := range 100 {
		if attempt > 0 {
			// Lost to another writer: step aside a moment, so that many
			// writers of one target take turns instead of colliding.
			time.Sleep(rand.N(time.Duration(min(attempt, 20)) * time.Millisecond))
		}
		var q queueIndex
		rev, err := getJSON(ctx, s.outbox, key, &q)
		if err != nil && !errors.Is(err, alerts.ErrNotFound) {
			return q, err
		}
		if !fn(&q) {
			return q, nil
		}
		switch {
		case q.N > 0 || len(q.Recent) > 0:
			_, err = updateJSON(ctx, s.outbox, key, q, rev)
		case rev != 0:
			err = s.outbox.Purge(ctx, key, jetstream.LastRevision(rev), jetstream.PurgeTTL(markerTTL))
		}
		if conflict(err) {
			continue
		}
		return q, err
	}
	return queueIndex{}, fmt.Errorf("outbox index of %s: too much contention", t)
}

// listEntries reads every entry of one target.
func (s *Store) listEntries(ctx context.Context, t alerts.TargetID) ([]entryRecord, error) {
	prefix := "e." + strconv.Itoa(s.Partition(t)) + "." + enc(string(t)) + "."
	var out []entryRecord
	err := each(ctx, s.outbox, []string{prefix + "*"}, func(key string, _ uint64, v []byte) error {
		r, err := decodeEntry(key, v)
		if err != nil {
			return err
		}
		s.remember(r.ID, t)
		out = append(out, r)
		return nil
	})
	return out, err
}

// refill rebuilds a target's index from its entries. Should the index
// change between the listing and the write, the listing is applied to the
// index as it is then: an entry created meanwhile is among the index's
// recent items (every create follows its count within the store's timeout,
// which is shorter than phantomAge), and one removed meanwhile comes back
// as an over-count that Due mends.
func (s *Store) refill(ctx context.Context, t alerts.TargetID) (queueIndex, error) {
	recs, err := s.listEntries(ctx, t)
	if err != nil {
		return queueIndex{}, err
	}
	items := make([]queueItem, 0, len(recs))
	for _, r := range recs {
		items = append(items, itemOf(r.Delivery))
	}
	return s.changeIndex(ctx, t, func(q *queueIndex) bool { q.refill(items, time.Now()); return true })
}
