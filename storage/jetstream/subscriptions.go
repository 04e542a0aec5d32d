package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/herald-news/herald/alerts"
)

// GetTarget returns a stored target, or alerts.ErrNotFound.
func (s *Store) GetTarget(id alerts.TargetID) (alerts.Target, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var t alerts.Target
	if _, err := getJSON(ctx, s.targets, enc(string(id)), &t); err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return t, notFound("target", string(id))
		}
		return t, fmt.Errorf("get target %s: %w", id, err)
	}
	return t, nil
}

// PutTarget stores a target, replacing any with the same ID.
func (s *Store) PutTarget(t alerts.Target) error {
	if t.ID == "" {
		return errors.New("put target: empty ID")
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := putJSON(ctx, s.targets, enc(string(t.ID)), t); err != nil {
		return fmt.Errorf("put target %s: %w", t.ID, err)
	}
	return nil
}

// ListTargets returns every target.
func (s *Store) ListTargets() ([]alerts.Target, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var out []alerts.Target
	err := each(ctx, s.targets, []string{">"}, func(_ string, _ uint64, v []byte) error {
		var t alerts.Target
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	return out, nil
}

func subKey(id uint64) string { return "s." + strconv.FormatUint(id, 10) }

func subIndexKey(t alerts.TargetID, id uint64) string {
	return "t." + enc(string(t)) + "." + strconv.FormatUint(id, 10)
}

// SubscriptionID parses the ID of a subscription key ("s.42") as the
// subscription watch sees it.
func SubscriptionID(key string) (uint64, bool) {
	rest, ok := strings.CutPrefix(key, "s.")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(rest, 10, 64)
	return id, err == nil
}

// nextID takes the next value of a counter in the meta bucket, with
// compare-and-set so that two processes never get the same one.
func (s *Store) nextID(ctx context.Context, name string) (uint64, error) {
	key := "seq." + name
	for range 100 {
		var n uint64
		rev, err := getJSON(ctx, s.meta, key, &n)
		if err != nil && !errors.Is(err, alerts.ErrNotFound) {
			return 0, err
		}
		n++
		if _, err := updateJSON(ctx, s.meta, key, n, rev); err != nil {
			if conflict(err) {
				continue
			}
			return 0, err
		}
		return n, nil
	}
	return 0, fmt.Errorf("counter %s: too much contention", name)
}

// AddSubscription stores a new subscription with a new, never reused ID.
func (s *Store) AddSubscription(sub alerts.Subscription) (alerts.Subscription, error) {
	if sub.Target == "" {
		return sub, errors.New("add subscription: empty target")
	}
	ctx, cancel := s.ctx()
	defer cancel()
	id, err := s.nextID(ctx, "subs")
	if err != nil {
		return sub, fmt.Errorf("add subscription: %w", err)
	}
	sub.ID = id
	// The index first: an index entry without its subscription is
	// skipped, a subscription without its index would be invisible to
	// /list.
	if _, err := s.subs.Put(ctx, subIndexKey(sub.Target, id), nil); err != nil {
		return alerts.Subscription{}, fmt.Errorf("add subscription: %w", err)
	}
	if _, err := putJSON(ctx, s.subs, subKey(id), sub); err != nil {
		return alerts.Subscription{}, fmt.Errorf("add subscription: %w", err)
	}
	return sub, nil
}

// PutSubscription replaces a stored subscription.
func (s *Store) PutSubscription(sub alerts.Subscription) error {
	ctx, cancel := s.ctx()
	defer cancel()
	var old alerts.Subscription
	if _, err := getJSON(ctx, s.subs, subKey(sub.ID), &old); err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return notFound("subscription", strconv.FormatUint(sub.ID, 10))
		}
		return err
	}
	if old.Target != sub.Target {
		if _, err := s.subs.Put(ctx, subIndexKey(sub.Target, sub.ID), nil); err != nil {
			return fmt.Errorf("put subscription: %w", err)
		}
	}
	if _, err := putJSON(ctx, s.subs, subKey(sub.ID), sub); err != nil {
		return fmt.Errorf("put subscription: %w", err)
	}
	if old.Target != sub.Target {
		return del(ctx, s.subs, subIndexKey(old.Target, sub.ID))
	}
	return nil
}

// GetSubscription returns a stored subscription.
func (s *Store) GetSubscription(id uint64) (alerts.Subscription, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var sub alerts.Subscription
	if _, err := getJSON(ctx, s.subs, subKey(id), &sub); err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return sub, notFound("subscription", strconv.FormatUint(id, 10))
		}
		return sub, err
	}
	return sub, nil
}

// DeleteSubscription removes a subscription.
func (s *Store) DeleteSubscription(id uint64) error {
	ctx, cancel := s.ctx()
	defer cancel()
	var sub alerts.Subscription
	if _, err := getJSON(ctx, s.subs, subKey(id), &sub); err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return notFound("subscription", strconv.FormatUint(id, 10))
		}
		return err
	}
	if err := del(ctx, s.subs, subKey(id)); err != nil {
		return fmt.Errorf("delete subscription %d: %w", id, err)
	}
	return del(ctx, s.subs, subIndexKey(sub.Target, id))
}

// ListSubscriptions returns a target's subscriptions in ascending ID order.
func (s *Store) ListSubscriptions(t alerts.TargetID) ([]alerts.Subscription, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	ks, err := keys(ctx, s.subs, "t."+enc(string(t))+".*")
	if err != nil {
		return nil, fmt.Errorf("list subscriptions of %s: %w", t, err)
	}
	var out []alerts.Subscription
	for _, k := range ks {
		id, err := strconv.ParseUint(k[strings.LastIndexByte(k, '.')+1:], 10, 64)
		if err != nil {
			continue
		}
		var sub alerts.Subscription
		if _, err := getJSON(ctx, s.subs, subKey(id), &sub); err != nil {
			if errors.Is(err, alerts.ErrNotFound) {
				continue // an index entry whose write was not finished
			}
			return nil, err
		}
		if sub.Target == t {
			out = append(out, sub)
		}
	}
	slices.SortFunc(out, func(a, b alerts.Subscription) int { return cmpU64(a.ID, b.ID) })
	return out, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ForEachSubscription calls fn for every stored subscription, reading the
// bucket as one stream.
func (s *Store) ForEachSubscription(fn func(alerts.Subscription) error) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	return each(ctx, s.subs, []string{"s.*"}, func(_ string, _ uint64, v []byte) error {
		var sub alerts.Subscription
		if err := json.Unmarshal(v, &sub); err != nil {
			return err
		}
		return fn(sub)
	})
}
