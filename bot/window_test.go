package bot

import (
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// The window check refuses a send that would put more into the last second
// than the platform allows, however the token bucket granted it.
func TestAdmitKeepsTheLastSecondWithinTheLimit(t *testing.T) {
	ps := &platformState{window: make([]time.Time, 0, 3), windowLimit: 3}
	ctx := context.Background()
	for i := range 3 {
		if !ps.admit(ctx) {
			t.Fatalf("send %d refused with room in the window", i+1)
		}
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if ps.admit(short) {
		t.Fatal("a fourth send within the same second was admitted")
	}
	// Once the oldest send is a second old, the next one goes.
	ps.window[0] = time.Now().Add(-time.Second)
	if !ps.admit(ctx) {
		t.Fatal("a send was refused although the oldest one left the window")
	}
}

// A process's share of a platform's budget (cluster mode) shrinks its
// window: two processes with half each keep the platform's limit together.
func TestShareHalvesTheWindow(t *testing.T) {
	ps := &platformState{rate: Rate{PerSecond: 28, Burst: 2}, windowLimit: 30, share: 1,
		limiter: rate.NewLimiter(28, 2)}
	ps.applyShare(0.5)
	if ps.windowLimit != 15 {
		t.Errorf("window with half the budget = %d, want 15", ps.windowLimit)
	}
	if got := float64(ps.limiter.Limit()); got != 14 {
		t.Errorf("rate with half the budget = %v, want 14", got)
	}
	ctx := context.Background()
	for i := range 15 {
		if !ps.admit(ctx) {
			t.Fatalf("send %d refused", i+1)
		}
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if ps.admit(short) {
		t.Fatal("a 16th send within a second was admitted with half of a 30/s budget")
	}
}
