package jetstream

import (
	"context"
	"encoding/json"
	"fmt"

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
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					continue
				}
				s.subsLag.Store(e.Delta())
				id, ok := SubscriptionID(e.Key())
				if !ok {
					continue
				}
				if e.Operation() != jetstream.KeyValuePut {
					forget(id)
					continue
				}
				var sub alerts.Subscription
				if err := json.Unmarshal(e.Value(), &sub); err != nil {
					s.log.Warn("Subscription unreadable in the watch; skipped", "key", e.Key(), "err", err)
					continue
				}
				apply(sub)
			}
		}
	}
	return run, nil
}

// WatchOutbox calls changed with the partition of every outbox entry
// written by any process from now on, until ctx ends, so the process that
// holds the partition looks at it at once (a delivery planned elsewhere,
// a replanned hold).
func (s *Store) WatchOutbox(ctx context.Context, changed func(partition int)) error {
	w, err := s.outbox.WatchAll(ctx, jetstream.UpdatesOnly(), jetstream.MetaOnly())
	if err != nil {
		return fmt.Errorf("watch outbox: %w", err)
	}
	watchPuts(ctx, w, func(e jetstream.KeyValueEntry) {
		if p, ok := partitionOf(e.Key()); ok {
			changed(p)
		}
	})
	return nil
}

// watchPuts calls fn with every value a watcher delivers (not deletes),
// until ctx ends or the watcher closes.
func watchPuts(ctx context.Context, w jetstream.KeyWatcher, fn func(jetstream.KeyValueEntry)) {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e != nil && e.Operation() == jetstream.KeyValuePut {
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
