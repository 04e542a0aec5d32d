package jetstream

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
)

// A platform's send budget (Telegram's 30 messages a second per token,
// Discord's 50 requests) holds for the deployment, not per process. Each
// process sends within its share, and the shares follow the load: a
// process whose queue waits for the budget asks for more, an idle one
// lends what it does not use, and every live process keeps a floor (two
// messages a second) so that a command reply never waits for a round.
//
// The shares live in one key per platform in the leases bucket, a claim
// per process, written with compare-and-set, so that the claims never add
// up to more than the whole. A process never sends beyond its claim: it
// raises its claim before it sends more, and lowers it only after it has
// sent less for a second (its claim stays at least what it sent in the
// last second and has in flight), so that two processes' sends within any
// one second stay within the budget while a share moves between them.
//
// A claim is dropped by the others only when its holder has certainly
// stopped sending under it. Each write of a claim carries a new renewal
// stamp, and a process's share counts only until the lease TTL less a
// second after the round that last renewed it began, by its own clock. The
// others drop a claim once they have seen the same stamp for the lease TTL
// and the pacer's lag, by their own clocks: by then its holder's share has
// been 0 for more than a second, and its last sends no longer count. The
// membership plays no part in this: a listing of the members can be stale
// or miss a newcomer, and a member key can expire under a stall while its
// process still has a share.

// BudgetUse is a process's use of one platform's budget, as its pacer sees
// it (bot.BudgetUse).
type BudgetUse struct {
	// Used counts the sends in the last second and in flight; Total is the
	// platform's whole budget for one second.
	Used, Total int
	// Blocked says that a send waited for the budget since the last look.
	Blocked bool
}

// budgetFloor is the messages a second every live process keeps.
const budgetFloor = 2

// shareLag is how long a pacer may go on with a share it read (it reads
// it every 100 ms).
const shareLag = 100 * time.Millisecond

// budgetRound is how often each process looks at its use and the claims.
const budgetRound = 250 * time.Millisecond

// Budget is this process's part in dividing the send budgets.
type Budget struct {
	c         *Coordinator
	platforms []alerts.Platform

	mu     sync.Mutex
	local  map[alerts.Platform]float64 // in effect here: what Share returns
	demand map[alerts.Platform]float64
	// valid is when each share here stops counting unless its claim is
	// renewed.
	valid map[alerts.Platform]time.Time
	// stamps are the other processes' claims as this process last saw them
	// change: their renewal stamp and when it was first seen (this
	// process's clock), by platform and process. Only Run's goroutine
	// uses them.
	stamps map[alerts.Platform]map[string]seenStamp
}

// claim is one process's claim on a platform's budget.
type claim struct {
	Share  float64 `json:"s"`
	Demand float64 `json:"d"`
	// Stamp changes with every write of the claim (its holder's clock in
	// nanoseconds, and always more than the last; others only compare it
	// with the stamp they saw before).
	Stamp int64 `json:"r"`
}

// seenStamp is a claim's renewal stamp and when this process first saw it.
type seenStamp struct {
	stamp int64
	at    time.Time
}

// Budget returns this process's share of the given platforms' budgets;
// call Run.
func (c *Coordinator) Budget(platforms ...alerts.Platform) *Budget {
	return &Budget{c: c, platforms: platforms, local: map[alerts.Platform]float64{}, demand: map[alerts.Platform]float64{},
		valid: map[alerts.Platform]time.Time{}, stamps: map[alerts.Platform]map[string]seenStamp{}}
}

// Platforms are the platforms whose budgets this process shares.
func (b *Budget) Platforms() []alerts.Platform { return b.platforms }

// Share is this process's part of a platform's budget now, 0 to 1 (what
// bot.Options.Share asks).
func (b *Budget) Share(p alerts.Platform) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.shareLocked(p, time.Now())
}

func (b *Budget) shareLocked(p alerts.Platform, now time.Time) float64 {
	if !now.Before(b.valid[p]) {
		return 0
	}
	return b.local[p]
}

// Run divides the budgets until ctx ends, from the uses use reports, and
// gives this process's claims back when it ends.
func (b *Budget) Run(ctx context.Context, use func(alerts.Platform) (BudgetUse, bool)) {
	t := time.NewTicker(budgetRound)
	defer t.Stop()
	for {
		b.round(ctx, use)
		select {
		case <-ctx.Done():
			b.release()
			return
		case <-t.C:
		}
	}
}

func budgetKey(p alerts.Platform) string { return "budget." + enc(string(p)) }

func (b *Budget) round(ctx context.Context, use func(alerts.Platform) (BudgetUse, bool)) {
	rctx, cancel := context.WithTimeout(ctx, budgetRound*2)
	defer cancel()
	me := enc(b.c.s.opts.Name)
	for _, p := range b.platforms {
		u, has := use(p)
		if !has || u.Total <= 0 {
			continue
		}
		if err := b.claim(rctx, p, u, me); err != nil {
			b.c.s.log.Debug("Budget claim not renewed", "platform", p, "err", err)
		}
	}
}

// claim renews this process's claim on one platform's budget, and with it
// the time its share counts here.
func (b *Budget) claim(ctx context.Context, p alerts.Platform, u BudgetUse, me string) error {
	// The share counts until the lease TTL less a second after this
	// moment, which comes before the claim's write: the others drop the
	// claim only after seeing its stamp for longer than that.
	start := time.Now()
	ttl := b.c.s.opts.LeaseTTL
	used := float64(u.Used) / float64(u.Total)
	b.mu.Lock()
	d := max(used*1.25, b.demand[p]/2)
	if u.Blocked {
		d = 1
	}
	b.demand[p] = min(d, 1)
	demand, local := b.demand[p], b.local[p]
	b.mu.Unlock()
	floor := float64(budgetFloor) / float64(u.Total)
	for range 5 {
		claims := map[string]claim{}
		rev, err := getJSON(ctx, b.c.s.leases, budgetKey(p), &claims)
		if err != nil && !errors.Is(err, alerts.ErrNotFound) {
			return err
		}
		b.dropStopped(p, claims, me, time.Now())
		stamp := max(time.Now().UnixNano(), claims[me].Stamp+1)
		claims[me] = claim{Share: claims[me].Share, Demand: demand}
		others := 0.0
		for name, c := range claims {
			if name != me {
				others += c.Share
			}
		}
		want := max(0, min(targetShare(claims, me, floor), 1-others))
		// The claim covers what this process may still be sending under
		// its old share, and never less than it uses now.
		claims[me] = claim{Share: min(max(want, local, used), max(0, 1-others)), Demand: demand, Stamp: stamp}
		if want < local {
			b.setLocal(p, want) // less first, the claim next round
		}
		if _, err := updateJSON(ctx, b.c.s.leases, budgetKey(p), claims, rev); conflict(err) {
			continue
		} else if err != nil {
			return err
		}
		b.mu.Lock()
		if want > local {
			b.local[p] = want // the claim first, then more
		}
		b.valid[p] = start.Add(ttl - time.Second)
		b.mu.Unlock()
		return nil
	}
	return errors.New("budget: too much contention")
}

// dropStopped removes from claims (read just before now) those whose
// holders have stopped sending under them: this process has seen the same
// stamp for the lease TTL and the pacer's lag. A holder's share ends the
// lease TTL less a second after the round that wrote its stamp began, so
// by the time its claim goes its share has been 0 for more than a second,
// and its pacer has seen that.
func (b *Budget) dropStopped(p alerts.Platform, claims map[string]claim, me string, now time.Time) {
	seen := b.stamps[p]
	if seen == nil {
		seen = map[string]seenStamp{}
		b.stamps[p] = seen
	}
	for name := range seen {
		if _, ok := claims[name]; !ok {
			delete(seen, name) // given back, or dropped
		}
	}
	wait := b.c.s.opts.LeaseTTL + shareLag
	for name, c := range claims {
		if name == me {
			continue
		}
		s, ok := seen[name]
		if !ok || s.stamp != c.Stamp {
			seen[name] = seenStamp{stamp: c.Stamp, at: now}
			continue
		}
		if now.Sub(s.at) >= wait {
			delete(claims, name) // its process stopped, or cannot reach NATS
		}
	}
}

// targetShare divides the budget among the live processes: each keeps the
// floor, and the rest goes by demand (evenly when nobody asks).
func targetShare(claims map[string]claim, me string, floor float64) float64 {
	n := float64(len(claims))
	floor = min(floor, 1/n)
	total := 0.0
	for _, c := range claims {
		total += c.Demand
	}
	if total == 0 {
		return 1 / n
	}
	return floor + (1-n*floor)*claims[me].Demand/total
}

func (b *Budget) setLocal(p alerts.Platform, s float64) {
	b.mu.Lock()
	b.local[p] = s
	b.mu.Unlock()
}

// release gives the claims back on a clean stop, once what this process
// sent in the last second no longer counts.
func (b *Budget) release() {
	b.mu.Lock()
	clear(b.local)
	b.mu.Unlock()
	time.Sleep(time.Second + shareLag)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	me := enc(b.c.s.opts.Name)
	for _, p := range b.platforms {
		for range 5 {
			claims := map[string]claim{}
			rev, err := getJSON(ctx, b.c.s.leases, budgetKey(p), &claims)
			if err != nil {
				break
			}
			delete(claims, me)
			if _, err := updateJSON(ctx, b.c.s.leases, budgetKey(p), claims, rev); !conflict(err) {
				break
			}
		}
	}
}
