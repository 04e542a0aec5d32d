package bot

import (
	"github.com/herald-news/herald/alerts"
)

// What the bot offers a deployment of several processes on one shared
// store (cluster mode). Without it nothing here is called, and Options'
// Share and Owns default to a single process's answers: the whole budget,
// every target.

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
// 1, as the deployment divides it: the processes' parts add up to at most
// 1, so together they keep the platform's limit. Each platform's pacer
// reads it every 100 ms (it must be cheap: no store access); a send and a
// command reply alike wait while it is 0. Options.Share nil means 1.
type Share func(alerts.Platform) float64

// Owns says whether this process sends to a target. In cluster mode the
// outbox is divided among the processes by chat, so that one process paces
// a chat; the scheduler keeps only the targets it owns (whatever ingest or
// a replan here queued for others), and drops a target from its window
// when it stops owning it. Options.Owns nil means every target.
type Owns func(alerts.TargetID) bool

// QueueChanged tells the running scheduler that some targets' queued
// deliveries changed in a way it did not see: another process queued,
// replanned or moved them. It reads those targets' heads again (a target
// it does not own is left out). Cheaper than Wake, which reads every head.
func (b *Bot) QueueChanged(ids ...alerts.TargetID) {
	if len(ids) > 0 {
		b.requeued(ids...)
	}
}

// BudgetUse is a platform's budget as this process's pacer saw it: what it
// may send in one second now (its share), what it sent in the last second
// or has in flight, and whether a send or a reply had to wait for the
// budget since the last call. A deployment lends the idle processes'
// shares to the busy ones from this (cluster mode).
type BudgetUse struct {
	Limit, Used int
	Blocked     bool
	// Total is the platform's whole budget: PerSecond+Burst.
	Total int
}

// BudgetUse reports platform p's use of its budget (see BudgetUse); ok is
// false for a platform the bot does not send to.
func (b *Bot) BudgetUse(p alerts.Platform) (BudgetUse, bool) {
	pc := b.pacers[p]
	if pc == nil {
		return BudgetUse{}, false
	}
	return pc.use(), true
}
