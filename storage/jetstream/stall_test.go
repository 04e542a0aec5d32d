package jetstream

import (
	"context"
	"testing"
	"time"

	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// openStalled opens a store with a short lease TTL, for a test that runs
// its coordinator's rounds by hand (a stall is a round not run).
func openStalled(t *testing.T, c *natstest.Cluster, name string, ttl time.Duration) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, Options{URL: c.URL(), Name: name, LeaseTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A process whose coordinator stalls (a long pause, a starved goroutine)
// stops using its items on its own clock, before the leases can expire on
// the server and another process take them: at no moment do two processes
// both hold an item.
func TestStalledHolderStopsBeforeItsLeaseExpires(t *testing.T) {
	c := natstest.Start(t, 3)
	const ttl = 2 * time.Second
	ctx := context.Background()
	ca := openStalled(t, c, "a", ttl).NewCoordinator()
	cb := openStalled(t, c, "b", ttl).NewCoordinator()
	sa, sb := ca.Set("poll", 1, 0, nil), cb.Set("poll", 1, 0, nil)
	ca.round(ctx)
	if !sa.Holds(0) {
		t.Fatal("a process alone does not hold the one item")
	}
	// a stalls: no more rounds. b tries to take the item meanwhile.
	start := time.Now()
	var aStopped time.Duration
	for !sb.Holds(0) {
		if time.Since(start) > 3*ttl {
			t.Fatalf("b does not hold the item %s after a stalled", 3*ttl)
		}
		if sa.Holds(0) && sb.Holds(0) {
			t.Fatal("both processes hold the item")
		}
		if aStopped == 0 && !sa.Holds(0) {
			aStopped = time.Since(start)
		}
		cb.round(ctx)
		time.Sleep(50 * time.Millisecond)
	}
	if sa.Holds(0) || len(sa.Held()) != 0 {
		t.Fatal("the stalled process still holds the item another took")
	}
	t.Logf("the stalled holder stopped after %s, the other took over after %s (lease TTL %s)",
		aStopped.Round(10*time.Millisecond), time.Since(start).Round(10*time.Millisecond), ttl)
}
