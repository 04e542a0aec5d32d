package jetstream

import (
	"errors"
	"fmt"
	"strings"

	"github.com/herald-news/herald/alerts"
)

// MoveTarget moves a chat that changed its ID to the new ID: the target,
// its subscriptions, its delivery log entries and its queued deliveries,
// re-keyed as storage.DB.MoveTarget does. Without a transaction it writes
// the new keys before it removes the old ones, so a crash part-way leaves
// both IDs, and calling it again finishes the move.
func (s *Store) MoveTarget(from, to alerts.TargetID) error {
	if to == "" {
		return fmt.Errorf("move target %s: empty new ID", from)
	}
	t, err := s.GetTarget(from)
	if err != nil {
		return err
	}
	if from == to {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	t.ID = to
	if err := s.PutTarget(t); err != nil {
		return err
	}
	subs, err := s.ListSubscriptions(from)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		sub.Target = to
		if err := s.PutSubscription(sub); err != nil {
			return fmt.Errorf("move target %s: %w", from, err)
		}
	}
	// The log: re-keyed to the new target's alert keys, without message
	// IDs (the old chat's messages cannot be edited through the new one).
	prefix := "t." + enc(string(from)) + "."
	ks, err := keys(ctx, s.sentLog, prefix+"*")
	if err != nil {
		return err
	}
	var last alerts.Sent
	lastErr := error(nil)
	if _, err := getJSON(ctx, s.sentLog, "last."+enc(string(from)), &last); err != nil {
		lastErr = err
	}
	for _, k := range ks {
		oldKey := strings.TrimPrefix(k, prefix)
		var r alerts.Sent
		if _, err := getJSON(ctx, s.sentLog, "l."+oldKey, &r); err != nil {
			if errors.Is(err, alerts.ErrNotFound) {
				del(ctx, s.sentLog, k)
				continue
			}
			return err
		}
		r.Target, r.Alert.Target, r.MessageID = to, to, ""
		if r.Key == alerts.DeliveryKey(from, r.Story) {
			r.Key = alerts.DeliveryKey(to, r.Story)
		}
		if done, err := s.logged(ctx, r.Key); err != nil {
			return err
		} else if !done {
			r.ButtonToken = ""
			dropped := r.Dropped
			if oldKey == last.Key && lastErr == nil {
				r.Dropped = "" // written as the new target's newest below
			}
			if err := s.putSent(ctx, r); err != nil {
				return err
			}
			r.Dropped = dropped
			if dropped != "" {
				putJSON(ctx, s.sentLog, "l."+r.Key, r)
			}
		}
		if r.Key != oldKey {
			del(ctx, s.sentLog, "l."+oldKey)
			if r.Story != "" {
				del(ctx, s.sentLog, "s."+enc(r.Story)+"."+oldKey)
			}
		}
		del(ctx, s.sentLog, k)
	}
	del(ctx, s.sentLog, "last."+enc(string(from)))
	if err := s.moveOutbox(ctx, from, to); err != nil {
		return fmt.Errorf("move target %s: %w", from, err)
	}
	// The old target last: while it exists, a repeat finds what is left.
	if err := del(ctx, s.targets, enc(string(from))); err != nil {
		return err
	}
	return nil
}
