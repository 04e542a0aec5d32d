package bot_test

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// flakyTargets is a store whose target reads fail while down is set, as a
// shared store's do while it loses a server.
type flakyTargets struct {
	bot.Store
	down atomic.Bool
}

func (f *flakyTargets) GetTarget(id alerts.TargetID) (alerts.Target, error) {
	if f.down.Load() {
		return alerts.Target{}, errors.New("nats: JetStream system temporarily unavailable")
	}
	return f.Store.GetTarget(id)
}

// A target that cannot be read for a moment is not a target that is gone:
// its alert waits and goes out once the store answers, instead of being
// dropped as "target unknown".
func TestUnreadableTargetKeepsItsDeliveries(t *testing.T) {
	var flaky *flakyTargets
	e := newEnv(t, func(o *bot.Options) {
		flaky = &flakyTargets{Store: o.Store}
		o.Store = flaky
	})
	e.cmd(dm, "/subscribe ceasefire")
	e.ingest(article("Ceasefire holds", "The ceasefire holds."))
	flaky.down.Store(true)
	e.drain()
	if n := len(e.sender.sent()); n != 0 {
		t.Fatalf("%d sent while the target could not be read", n)
	}
	if e.pending() != 1 {
		t.Fatalf("the alert left the outbox while its target could not be read")
	}
	flaky.down.Store(false)
	e.clock.Add(2e9)
	e.drain()
	if n := len(e.sender.sent()); n != 1 {
		t.Fatalf("%d sent once the store answered, want the alert", n)
	}
}
