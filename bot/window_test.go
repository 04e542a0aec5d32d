package bot

import (
	"context"
	"testing"
	"time"
)

// The window check refuses a send that would put more into the last second
// than the platform allows, however the token bucket granted it.
func TestAdmitKeepsTheLastSecondWithinTheLimit(t *testing.T) {
	ps := &platformState{window: make([]time.Time, 0, 3)}
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
	ps.window[ps.oldest] = time.Now().Add(-time.Second)
	if !ps.admit(ctx) {
		t.Fatal("a send was refused although the oldest one left the window")
	}
}
