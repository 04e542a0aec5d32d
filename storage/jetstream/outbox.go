package jetstream

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
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
	_, err := s.sentLog.Get(ctx, "l."+key)
	if err == nil {
		return true, nil
	}
	if isMissing(err) {
		return false, nil
	}
	return false, err
}

// enqueueWorkers bounds the deliveries one Enqueue writes at once.
const enqueueWorkers = 16

// Enqueue adds deliveries to the outbox, idempotent by ID across every
// process: an alert already logged is skipped, a queued one is replaced in
// place (keeping its Seq, Attempts and Created) with compare-and-set, and a
// new one is counted in its target's index, then created. Deliveries to
// different targets are written side by side.
func (s *Store) Enqueue(ds ...alerts.Delivery) error {
	return s.enqueue(s.refs(), ds)
}

func (s *Store) enqueue(refs *articleRefs, ds []alerts.Delivery) error {
	for _, d := range ds {
		if d.ID == "" {
			return errors.New("enqueue: delivery without ID")
		}
	}
	ctx, cancel := s.ctx()
	defer cancel()
	work := make(chan alerts.Delivery)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range min(enqueueWorkers, len(ds)) {
		wg.Go(func() {
			for d := range work {
				if err := s.enqueueOne(ctx, refs, d); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("enqueue %s: %w", d.ID, err))
					mu.Unlock()
				}
			}
		})
	}
	for _, d := range ds {
		work <- d
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Store) enqueueOne(ctx context.Context, refs *articleRefs, d alerts.Delivery) error {
	rec := toRecord(d, func(id string) bool { return refs.stored(ctx, id) })
	for range 50 {
		if d.Kind == alerts.DeliverAlert {
			if done, err := s.logged(ctx, d.ID); err != nil || done {
				return err
			}
		}
		old, rev, err := s.getEntry(ctx, d.Target, d.ID)
		switch {
		case err == nil:
			err = s.replace(ctx, old, rev, rec)
		case errors.Is(err, alerts.ErrNotFound):
			err = s.create(ctx, d, rec)
		}
		if conflict(err) {
			continue // another writer was quicker: look again
		}
		return err
	}
	return errors.New("too much contention")
}

// create counts a new entry in its target's index, then writes it.
func (s *Store) create(ctx context.Context, d alerts.Delivery, rec entryRecord) error {
	now := time.Now()
	var it queueItem
	if _, err := s.changeIndex(ctx, d.Target, func(q *queueIndex) bool {
		rec.Seq = q.nextSeq(now)
		it = queueItem{NB: nanos(d.NotBefore), Seq: rec.Seq, ID: d.ID}
		q.add(it, now)
		return true
	}); err != nil {
		return err
	}
	key := s.entryKey(d.Target, d.ID)
	rev, err := updateJSON(ctx, s.outbox, key, rec, 0)
	if err != nil {
		// Not created (another process created it first, or the write
		// failed): the item counted for it goes.
		s.uncount(ctx, d.Target, it)
		return err
	}
	s.wrote(key, rev)
	s.remember(d.ID, d.Target)
	if d.Kind == alerts.DeliverAlert {
		// The alert may have been sent and logged between the check and
		// the create (another process completing the same delivery): then
		// this copy goes again.
		if done, err := s.logged(ctx, d.ID); err == nil && done {
			if s.outbox.Delete(ctx, s.entryKey(d.Target, d.ID), jetstream.LastRevision(rev)) == nil {
				s.uncount(ctx, d.Target, it)
			}
		}
	}
	return nil
}

// uncount removes an item whose entry is gone (or never came) from its
// target's index. A failure leaves a phantom item, which Due removes.
func (s *Store) uncount(ctx context.Context, t alerts.TargetID, it queueItem) {
	now := time.Now()
	if _, err := s.changeIndex(ctx, t, func(q *queueIndex) bool { return q.remove(it.ID, it.Seq, now) }); err != nil {
		s.log.Warn("Outbox index not updated; Due will mend it", "target", t, "id", it.ID, "err", err)
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
	nrev, err := updateJSON(ctx, s.outbox, key, rec, rev)
	if err != nil {
		return err
	}
	s.wrote(key, nrev)
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
	for range 100 {
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
