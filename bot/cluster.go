package bot

import (
	"math"
	"time"

	"golang.org/x/time/rate"

	"github.com/herald-news/herald/alerts"
)

// What the bot offers a deployment of several processes on one shared
// store (cluster mode). Without it nothing here is called, and Share and
// PendingFor default to a single process's answers.

// ApplySubscription makes a subscription added or changed by another
// process count here: the matcher indexes it (replacing any with its ID)
// and planning sees its target and mute. A subscription this process
// wrote itself comes back through the same watch, harmlessly.
func (b *Bot) ApplySubscription(s alerts.Subscription) {
	if err := b.matcher.Add(s); err != nil {
		b.log.Warn("Subscription from another process does not parse; skipped", "sub", s.ID, "err", err)
		return
	}
	b.setSub(s)
}

// ForgetSubscription drops a subscription another process removed.
func (b *Bot) ForgetSubscription(id uint64) {
	b.matcher.Remove(id)
	b.dropSub(id)
}

// Share is this process's part of each platform's send budget, from 0 to
// 1. In cluster mode the outbox is divided among the processes, and each
// sends within the budget's share of the partitions it holds, so that
// together they keep the platform's limit. Options.Share nil means 1.
type Share func(alerts.Platform) float64

// PendingLister lists the queued deliveries of one target, wherever they
// are sent from. A store whose Pending returns only this process's part of
// the outbox implements it, so that replanning after /digest or /quiet
// reaches a chat whose deliveries another process sends.
type PendingLister interface {
	PendingFor(alerts.TargetID) ([]alerts.Delivery, error)
}

// pendingFor returns a target's queued deliveries.
func (b *Bot) pendingFor(t alerts.TargetID) ([]alerts.Delivery, error) {
	if pl, ok := b.store.(PendingLister); ok {
		return pl.PendingFor(t)
	}
	all, err := b.store.Pending(1 << 30)
	if err != nil {
		return nil, err
	}
	var out []alerts.Delivery
	for _, d := range all {
		if d.Target == t {
			out = append(out, d)
		}
	}
	return out, nil
}

// applyShare sets a platform's budget to its share: the token bucket's
// rate and burst, and the admission window of sends per second.
func (ps *platformState) applyShare(share float64) {
	share = min(max(share, 0), 1)
	if share == ps.share {
		return
	}
	ps.share = share
	ps.limiter.SetLimitAt(time.Now(), rate.Limit(ps.rate.PerSecond*share))
	ps.limiter.SetBurstAt(time.Now(), max(1, int(float64(ps.rate.Burst)*share)))
	ps.windowMu.Lock()
	ps.windowLimit = max(1, int(math.Floor((ps.rate.PerSecond+float64(ps.rate.Burst))*share)))
	ps.windowMu.Unlock()
}
