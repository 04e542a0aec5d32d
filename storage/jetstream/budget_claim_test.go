package jetstream

import (
	"context"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// A process's claim on the budget is dropped by the others only once its
// share has ended: not while it renews the claim (whatever the membership
// says: a newcomer, a listing that missed it, a member key expired under a
// stall), and, when it stops renewing, only after its share has been 0 for
// longer than its last sends count. The rounds are run by hand, so each
// step is one claim's write.
func TestBudgetClaimOutlivesItsShare(t *testing.T) {
	c := natstest.Start(t, 3)
	const ttl = 2 * time.Second
	open := func(name string) *Budget {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := Open(ctx, Options{URL: c.URL(), Name: name, LeaseTTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s.NewCoordinator().Budget(alerts.PlatformTelegram)
	}
	a, b := open("a"), open("b")
	tg := alerts.PlatformTelegram
	ctx := context.Background()
	round := func(bu *Budget, blocked bool) {
		t.Helper()
		u := BudgetUse{Total: 30, Blocked: blocked}
		if blocked {
			u.Used = int(30 * bu.Share(tg))
		}
		if err := bu.claim(ctx, tg, u, enc(bu.c.s.opts.Name)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		if s := SharesAtOnce(tg, a, b); s[0]+s[1] > 1+1e-9 {
			t.Fatalf("%s: shares %.3f and %.3f add up to more than the whole", when, s[0], s[1])
		}
	}

	// The first process alone takes the whole budget; the second, joining
	// while the first renews, gets only what the first gives back.
	round(a, false)
	if a.Share(tg) != 1 {
		t.Fatalf("a process alone has %.3f of the budget, want all", a.Share(tg))
	}
	for range 8 {
		round(b, true)
		check("b joins")
		round(a, false)
		check("b joins")
	}
	if b.Share(tg) < 0.5 {
		t.Fatalf("the busy newcomer has %.3f of the budget, want most of it", b.Share(tg))
	}

	// b stops renewing (a stall, a lost connection): a takes b's part
	// only after b's share has been 0 for a second and the pacer's lag.
	was := b.Share(tg)
	start := time.Now()
	for a.Share(tg) <= 1-was+1e-9 {
		if time.Since(start) > 3*ttl {
			t.Fatalf("a has %.3f after %s without a renewal from b; want b's part too", a.Share(tg), 3*ttl)
		}
		time.Sleep(budgetRound)
		round(a, true)
		check("b stalls")
	}
	b.mu.Lock()
	ended := b.valid[tg]
	b.mu.Unlock()
	if gap := time.Since(ended); gap < time.Second+shareLag {
		t.Fatalf("a took b's part %s after b's share ended; b's last second still counts", gap)
	}
	t.Logf("b's part moved %s after its last renewal, %s after its share ended", time.Since(start).Round(10*time.Millisecond), time.Since(ended).Round(10*time.Millisecond))

	// b comes back: it claims only what is free, and a lends it its part
	// again as before.
	round(b, true)
	check("b comes back")
	if b.Share(tg) != 0 {
		t.Fatalf("b came back with %.3f while a holds the whole budget", b.Share(tg))
	}
}
