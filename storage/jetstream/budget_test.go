package jetstream_test

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage/jetstream"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// TestBudgetFollowsLoad: two processes share Telegram's budget. The one
// whose queue waits gets nearly all of it, the idle one keeps its floor;
// when the load moves, the shares follow; when the busy one dies, the
// other takes its share once the dead one has stopped. At no moment do the
// two shares add up to more than the whole.
func TestBudgetFollowsLoad(t *testing.T) {
	c := natstest.Start(t, 3)
	const ttl = 2 * time.Second
	stores := []*jetstream.Store{openTTL(t, c, "a", ttl), openTTL(t, c, "b", ttl)}
	var busy [2]atomic.Bool
	budgets := make([]*jetstream.Budget, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i, s := range stores {
		co := s.NewCoordinator()
		budgets[i] = co.Budget(alerts.PlatformTelegram)
		go co.Run(ctx)
		b := budgets[i]
		go b.Run(ctx, func(alerts.Platform) (jetstream.BudgetUse, bool) {
			u := jetstream.BudgetUse{Total: 30, Blocked: busy[i].Load()}
			if u.Blocked {
				u.Used = int(30 * b.Share(alerts.PlatformTelegram))
			}
			return u, true
		})
	}
	share := func(i int) float64 { return budgets[i].Share(alerts.PlatformTelegram) }
	// Watch the sum throughout, both shares read at one moment.
	var worst atomic.Uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			s := jetstream.SharesAtOnce(alerts.PlatformTelegram, budgets...)
			sum := s[0] + s[1]
			if old := math.Float64frombits(worst.Load()); sum > old {
				worst.Store(math.Float64bits(sum))
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	floor := 2.0 / 30
	busy[0].Store(true)
	waitFor(t, 10*time.Second, "the busy process gets nearly all", func() bool {
		return share(0) >= 1-floor-1e-9 && math.Abs(share(1)-floor) < 1e-9
	})
	busy[0].Store(false)
	busy[1].Store(true)
	waitFor(t, 10*time.Second, "the shares follow the load", func() bool {
		return share(1) >= 1-floor-1e-9 && math.Abs(share(0)-floor) < 1e-9
	})
	if !testing.Short() {
		busy[0].Store(true)
		stores[1].Conn().Close() // the busy one dies without a word
		waitFor(t, 3*ttl+2*time.Second, "the survivor takes the dead one's share", func() bool { return share(0) == 1 })
	}
	cancel()
	wg.Wait()
	if w := math.Float64frombits(worst.Load()); w > 1+1e-9 {
		t.Errorf("the shares added up to %.3f of the budget at one moment", w)
	}
}
