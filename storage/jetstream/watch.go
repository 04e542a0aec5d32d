package jetstream

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-news/herald/alerts"
)

// WatchSubscriptions calls apply for every subscription added or changed,
// and forget for every one removed, by any process, from the moment it is
// called until ctx ends: what keeps each process's matcher index current
// (its incremental Add and Remove, no rebuilds). Start it before loading
// the index, so that nothing written during the load is missed: a change
// seen twice is applied twice, which Add and Remove absorb.
func (s *Store) WatchSubscriptions(ctx context.Context, apply func(alerts.Subscription), forget func(id uint64)) (func(), error) {
	w, err := s.subs.Watch(ctx, "s.*", jetstream.UpdatesOnly())
	if err != nil {
		return nil, fmt.Errorf("watch subscriptions: %w", err)
	}
	run := func() {
		watchAll(ctx, w, func(e jetstream.KeyValueEntry) {
			s.subsLag.Store(e.Delta())
			id, ok := SubscriptionID(e.Key())
			switch {
			case !ok:
			case e.Operation() != jetstream.KeyValuePut:
				forget(id)
			default:
				var sub alerts.Subscription
				if err := json.Unmarshal(e.Value(), &sub); err != nil {
					s.log.Warn("Subscription unreadable in the watch; skipped", "key", e.Key(), "err", err)
					return
				}
				apply(sub)
			}
		})
	}
	return run, nil
}

// WatchOutbox calls changed with the targets whose outbox entries another
// process wrote (queued, replanned, moved) in the partitions this process
// holds, from now on until ctx ends, a few milliseconds' worth at a time:
// so the process that sends to a chat learns of a delivery planned
// elsewhere at once, not at its next full read of the heads. Entries this
// process wrote are left out (it knows of them).
func (s *Store) WatchOutbox(ctx context.Context, changed func([]alerts.TargetID)) error {
	w, err := s.outbox.Watch(ctx, "e.>", jetstream.UpdatesOnly(), jetstream.MetaOnly())
	if err != nil {
		return fmt.Errorf("watch outbox: %w", err)
	}
	s.watchingOutbox.Store(true)
	defer s.watchingOutbox.Store(false)
	var mu sync.Mutex
	batch := map[alerts.TargetID]bool{}
	flush := time.NewTicker(5 * time.Millisecond)
	defer flush.Stop()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-flush.C:
			}
			mu.Lock()
			ts := make([]alerts.TargetID, 0, len(batch))
			for t := range batch {
				ts = append(ts, t)
			}
			clear(batch)
			mu.Unlock()
			if len(ts) > 0 {
				changed(ts)
			}
		}
	}()
	watchAll(ctx, w, func(e jetstream.KeyValueEntry) {
		if e.Operation() != jetstream.KeyValuePut {
			s.own.Delete(e.Key())
			return
		}
		if s.ownWrite(e.Key(), e.Revision()) {
			return
		}
		if _, p, t, ok := outboxKey(e.Key()); ok && s.owns(p) {
			mu.Lock()
			batch[t] = true
			mu.Unlock()
		}
	})
	return nil
}

// putEntry writes an outbox entry (rev 0: creates it), noting it as this
// process's own for WatchOutbox, before the write: the watch may deliver it
// before the write returns.
func (s *Store) putEntry(ctx context.Context, key string, rec entryRecord, rev uint64) (uint64, error) {
	watching := s.watchingOutbox.Load()
	if watching {
		s.own.Store(key, uint64(0)) // under way
	}
	nrev, err := updateJSON(ctx, s.outbox, key, rec, rev)
	if watching {
		if err != nil {
			s.own.CompareAndDelete(key, uint64(0))
		} else {
			s.own.CompareAndSwap(key, uint64(0), nrev) // unless the watch saw it already
		}
	}
	return nrev, err
}

// ownWrite reports whether a put the watch delivered is this process's
// own, and forgets it.
func (s *Store) ownWrite(key string, rev uint64) bool {
	v, ok := s.own.Load(key)
	if !ok {
		return false
	}
	own := v.(uint64) == 0 || v.(uint64) == rev
	if own || v.(uint64) < rev {
		s.own.CompareAndDelete(key, v)
	}
	return own
}

// watchPuts calls fn with every value a watcher delivers (not deletes),
// until ctx ends or the watcher closes.
func watchPuts(ctx context.Context, w jetstream.KeyWatcher, fn func(jetstream.KeyValueEntry)) {
	watchAll(ctx, w, func(e jetstream.KeyValueEntry) {
		if e.Operation() == jetstream.KeyValuePut {
			fn(e)
		}
	})
}

// watchAll calls fn with every change a watcher delivers, until ctx ends
// or the watcher closes.
func watchAll(ctx context.Context, w jetstream.KeyWatcher, fn func(jetstream.KeyValueEntry)) {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e != nil {
				fn(e)
			}
		}
	}
}

// WatchMeta calls changed with each named value written by another
// process or this one from now on (feeds added from chat), until ctx ends.
func (s *Store) WatchMeta(ctx context.Context, key string, changed func([]byte)) error {
	w, err := s.meta.Watch(ctx, metaKey(key), jetstream.UpdatesOnly())
	if err != nil {
		return fmt.Errorf("watch %s: %w", key, err)
	}
	watchPuts(ctx, w, func(e jetstream.KeyValueEntry) { changed(e.Value()) })
	return nil
}
