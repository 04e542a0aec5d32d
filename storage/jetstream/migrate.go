package jetstream

import (
	"errors"
	"fmt"

	"github.com/herald-news/herald/alerts"
)

// ImportSubscription stores a subscription under its own ID (herald
// migrate: IDs are what users and the delivery log know a subscription
// by), and raises the ID counter past it so new IDs never reuse it.
// Importing the same subscription again changes nothing.
func (s *Store) ImportSubscription(sub alerts.Subscription) error {
	if sub.ID == 0 || sub.Target == "" {
		return errors.New("import subscription: no ID or target")
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := s.subs.Put(ctx, subIndexKey(sub.Target, sub.ID), nil); err != nil {
		return fmt.Errorf("import subscription %d: %w", sub.ID, err)
	}
	if _, err := putJSON(ctx, s.subs, subKey(sub.ID), sub); err != nil {
		return fmt.Errorf("import subscription %d: %w", sub.ID, err)
	}
	for range 100 {
		var n uint64
		rev, err := getJSON(ctx, s.meta, "seq.subs", &n)
		if err != nil && !errors.Is(err, alerts.ErrNotFound) {
			return err
		}
		if n >= sub.ID {
			return nil
		}
		if _, err := updateJSON(ctx, s.meta, "seq.subs", sub.ID, rev); err == nil {
			return nil
		} else if !conflict(err) {
			return err
		}
	}
	return errors.New("import subscription: too much contention on the ID counter")
}

// ImportSent stores a delivery log entry as it was (herald migrate), with
// its indexes and its button.
func (s *Store) ImportSent(rec alerts.Sent) error {
	ctx, cancel := s.ctx()
	defer cancel()
	if err := s.putSent(ctx, rec); err != nil {
		return fmt.Errorf("import log entry %s: %w", rec.Key, err)
	}
	return nil
}
