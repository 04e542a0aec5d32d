package jetstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/herald-news/herald/storage/jetstream"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

func openTTL(t *testing.T, c *natstest.Cluster, name string, ttl time.Duration) *jetstream.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := jetstream.Open(ctx, jetstream.Options{URL: c.URL(), Name: name, LeaseTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLeasesMove: items are held once, shared fairly, handed to a
// newcomer, and taken over when a holder dies without giving them back.
func TestLeasesMove(t *testing.T) {
	c := natstest.Start(t, 3)
	const ttl = 2 * time.Second
	a, b := openTTL(t, c, "a", ttl), openTTL(t, c, "b", ttl)
	ca, cb := a.NewCoordinator(), b.NewCoordinator()
	sa, sb := ca.Set("work", 4, 0, nil), cb.Set("work", 4, 0, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ca.Run(ctx)
	waitFor(t, 5*time.Second, "a alone holds all 4", func() bool { return len(sa.Held()) == 4 })

	bctx, bcancel := context.WithCancel(ctx)
	go cb.Run(bctx)
	waitFor(t, 10*time.Second, "a newcomer gets its share", func() bool { return len(sa.Held()) == 2 && len(sb.Held()) == 2 })
	for i := range 4 {
		if sa.Holds(i) && sb.Holds(i) {
			t.Fatalf("item %d held by both", i)
		}
	}
	bcancel() // a clean stop gives the leases back at once
	waitFor(t, 3*time.Second, "a takes back what b gave", func() bool { return len(sa.Held()) == 4 })

	// A crash: b holds its share, then its connection dies without a word.
	b2 := openTTL(t, c, "b2", ttl)
	cb2 := b2.NewCoordinator()
	sb2 := cb2.Set("work", 4, 0, nil)
	go cb2.Run(ctx)
	waitFor(t, 10*time.Second, "b2 gets its share", func() bool { return len(sb2.Held()) == 2 })
	b2.Conn().Close()
	start := time.Now()
	waitFor(t, 3*ttl+2*time.Second, "a takes over a dead holder's items", func() bool { return len(sa.Held()) == 4 })
	t.Logf("took over in %s (lease TTL %s)", time.Since(start).Round(100*time.Millisecond), ttl)
	waitFor(t, 2*ttl, "the dead holder stops using its items", func() bool { return len(sb2.Held()) == 0 })
}
