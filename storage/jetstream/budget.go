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
// one second stay within the budget while a share moves between them. A
// process that could not renew its claim or its membership for the lease
// TTL less a second sends nothing: by then the others may have dropped its
// claim as dead.

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
	// valid is when the shares here stop counting unless renewed.
	valid time.Time
}

// claim is one process's claim on a platform's budget.
type claim struct {
	Share  float64 `json:"s"`
	Demand float64 `json:"d"`
}

// Budget returns this process's share of the given platforms' budgets;
// call Run.
func (c *Coordinator) Budget(platforms ...alerts.Platform) *Budget {
	return &Budget{c: c, platforms: platforms, local: map[alerts.Platform]float64{}, demand: map[alerts.Platform]float64{}}
}

// Platforms are the platforms whose budgets this process shares.
func (b *Budget) Platforms() []alerts.Platform { return b.platforms }

// Share is this process's part of a platform's budget now, 0 to 1 (what
// bot.Options.Share asks).
func (b *Budget) Share(p alerts.Platform) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Now().After(b.valid) {
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
	me, live, beat := b.c.liveMembers()
	if !live[me] {
		return // not a member yet (or not any more): nothing to claim with
	}
	ttl := b.c.s.opts.LeaseTTL
	ok := true
	for _, p := range b.platforms {
		u, has := use(p)
		if !has || u.Total <= 0 {
			continue
		}
		if err := b.claim(rctx, p, u, me, live); err != nil {
			ok = false
			b.c.s.log.Debug("Budget claim not renewed", "platform", p, "err", err)
		}
	}
	if ok {
		b.mu.Lock()
		b.valid = minTime(time.Now(), beat).Add(ttl - time.Second)
		b.mu.Unlock()
	}
}

// claim renews this process's claim on one platform's budget.
func (b *Budget) claim(ctx context.Context, p alerts.Platform, u BudgetUse, me string, live map[string]bool) error {
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
		for name := range claims {
			if name != me && !live[name] {
				delete(claims, name) // its process is gone
			}
		}
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
		claims[me] = claim{Share: min(max(want, local, used), max(0, 1-others)), Demand: demand}
		if want < local {
			b.setLocal(p, want) // less first, the claim next round
		}
		if _, err := updateJSON(ctx, b.c.s.leases, budgetKey(p), claims, rev); conflict(err) {
			continue
		} else if err != nil {
			return err
		}
		if want > local {
			b.setLocal(p, want) // the claim first, then more
		}
		return nil
	}
	return errors.New("budget: too much contention")
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

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
