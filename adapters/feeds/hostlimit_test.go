package feeds

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// The per-host limiter holds an entry only for hosts with requests under
// way or waiting: after a thousand hosts it holds none.
func TestHostLimiterForgetsIdleHosts(t *testing.T) {
	h := newHostLimiter(2)
	for i := range 1000 {
		host := fmt.Sprintf("h%d.example", i)
		rel, err := h.acquire(context.Background(), host)
		if err != nil {
			t.Fatal(err)
		}
		rel2, ok := h.tryAcquire(host, func() { t.Error("parked with a slot free") })
		if !ok {
			t.Fatal("second slot refused")
		}
		rel()
		rel() // twice: still one release
		rel2()
	}
	if n := h.size(); n != 0 {
		t.Errorf("the limiter holds %d idle hosts", n)
	}
}

func TestHostLimiterParksAndHandsOver(t *testing.T) {
	h := newHostLimiter(1)
	rel, _ := h.tryAcquire("a", nil)
	var woken atomic.Int32
	if _, ok := h.tryAcquire("a", func() { woken.Add(1) }); ok {
		t.Fatal("second poll of a busy host was not parked")
	}
	// A blocked fetch whose context ends gives up its place.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := h.acquire(ctx, "a"); errc <- err }()
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Errorf("cancelled acquire: %v", err)
	}
	// A waiting fetch gets the slot first; the parked poll is called back
	// when that one is released.
	got := make(chan func(), 1)
	go func() {
		r, err := h.acquire(context.Background(), "a")
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	for {
		h.mu.Lock()
		n := len(h.hosts["a"].waiting)
		h.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	rel()
	rel2 := <-got
	if woken.Load() != 0 {
		t.Error("the parked poll was woken while the slot went to the waiting fetch")
	}
	rel2()
	if woken.Load() != 1 {
		t.Errorf("parked poll woken %d times, want 1", woken.Load())
	}
	if n := h.size(); n != 0 {
		t.Errorf("%d hosts left", n)
	}
}
