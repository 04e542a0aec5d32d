package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
)

// deactivate stops delivery to a target, keeping its subscriptions.
func (b *Bot) deactivate(id alerts.TargetID, reason string) error {
	t, err := b.store.GetTarget(id)
	if err != nil {
		return err
	}
	if !t.Active && t.InactiveReason == reason {
		return nil
	}
	t.Active, t.InactiveReason = false, reason
	return b.store.PutTarget(t)
}

// TargetGone is called by an adapter when the platform says a chat is gone
// or blocked the bot: delivery stops, subscriptions stay. For a chat, the
// targets within it (a forum's topics) stop too.
func (b *Bot) TargetGone(_ context.Context, id alerts.TargetID, reason string) error {
	return b.forChatTargets(id, func(id alerts.TargetID) error {
		err := b.deactivate(id, reason)
		if errors.Is(err, alerts.ErrNotFound) {
			return nil
		}
		if err == nil {
			b.log.Info("Target deactivated", "target", id, "reason", reason)
		}
		return err
	})
}

// TargetBack is called when a person unblocks the bot or a chat re-adds
// it: delivery resumes, to the targets within the chat too.
func (b *Bot) TargetBack(_ context.Context, id alerts.TargetID) error {
	return b.forChatTargets(id, func(id alerts.TargetID) error {
		t, err := b.store.GetTarget(id)
		if errors.Is(err, alerts.ErrNotFound) {
			return nil
		}
		if err != nil || t.Active {
			return err
		}
		t.Active, t.InactiveReason = true, ""
		b.log.Info("Target reactivated", "target", id)
		return b.store.PutTarget(t)
	})
}

// forChatTargets calls fn for id and, when id is a chat, for every other
// stored target within it.
func (b *Bot) forChatTargets(id alerts.TargetID, fn func(alerts.TargetID) error) error {
	if err := fn(id); err != nil {
		return err
	}
	if id.Chat() != id {
		return nil
	}
	all, err := b.store.ListTargets()
	if err != nil {
		return err
	}
	for _, t := range all {
		if t.ID != id && t.ID.Chat() == id {
			if err := fn(t.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// TargetMigrated moves a chat that changed its ID, with its subscriptions.
func (b *Bot) TargetMigrated(_ context.Context, from, to alerts.TargetID) error {
	err := b.store.MoveTarget(from, to)
	if errors.Is(err, alerts.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	subs, err := b.store.ListSubscriptions(to)
	if err != nil {
		return err
	}
	for _, s := range subs {
		b.setSub(s)
	}
	b.requeued(from, to)
	return nil
}

// runMaintenance prunes old records once an hour.
func (b *Bot) runMaintenance(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := b.store.Prune(b.now().Add(-b.limits.Retention))
			if err != nil {
				b.log.Error("Prune failed", "err", err)
			} else if n > 0 {
				b.log.Info("Pruned old records", "count", n)
			}
		}
	}
}

// userRate limits commands per user per minute.
type userRate struct {
	mu    sync.Mutex
	limit int
	now   func() time.Time
	seen  map[string][]time.Time
}

func newUserRate(limit int, now func() time.Time) *userRate {
	return &userRate{limit: limit, now: now, seen: map[string][]time.Time{}}
}

// allow records a command by user and reports whether it is within the
// limit.
func (r *userRate) allow(user string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	ts := r.seen[user]
	keep := ts[:0]
	for _, t := range ts {
		if now.Sub(t) < time.Minute {
			keep = append(keep, t)
		}
	}
	if len(keep) >= r.limit {
		r.seen[user] = keep
		return false
	}
	r.seen[user] = append(keep, now)
	if len(r.seen) > 10000 {
		for u, ts := range r.seen {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= time.Minute {
				delete(r.seen, u)
			}
		}
	}
	return true
}
