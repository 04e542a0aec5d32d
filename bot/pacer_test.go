package bot

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
)

// fakeClock is a settable clock for the pacer.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// The pacer refuses a send that would put more into the last second than
// the platform allows, however the token bucket granted it, counting a
// send until it ended.
func TestPacerKeepsTheLastSecondWithinTheLimit(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := newPacer(Rate{PerSecond: 1e6, Burst: 10}, clk.now)
	p.limit = 3
	ctx := context.Background()
	for i := range 3 {
		if err := p.acquire(ctx, false); err != nil {
			t.Fatalf("send %d refused with room in the window: %v", i+1, err)
		}
		p.release()
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := p.acquire(short, false); err == nil {
		t.Fatal("a fourth send within the same second was admitted")
	}
	// Once the oldest send ended a second ago, the next one goes.
	clk.add(time.Second)
	if err := p.acquire(ctx, false); err != nil {
		t.Fatal("a send was refused although the oldest one left the window")
	}
}

// A reply waiting for the budget goes before an alert waiting for it.
func TestPacerServesRepliesFirst(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := newPacer(Rate{PerSecond: 1e6, Burst: 10, DMEvery: time.Second}, clk.now)
	p.limit = 1
	ctx := context.Background()
	if err := p.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	p.release() // the window is full for a second
	order := make(chan string, 2)
	alertIn := make(chan struct{})
	go func() {
		close(alertIn)
		if p.acquire(ctx, false) == nil {
			order <- "alert"
		}
	}()
	<-alertIn
	done := make(chan struct{})
	go func() {
		defer close(done)
		release, err := p.replyTurn(ctx, alerts.TargetID("test:1"), time.Second)
		if err == nil {
			order <- "reply"
			release()
		}
	}()
	// Let the reply register before the window opens.
	for {
		p.mu.Lock()
		n := p.replies
		p.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	clk.add(time.Second)
	p.mu.Lock()
	p.signalLocked()
	p.mu.Unlock()
	<-done
	clk.add(2 * time.Second)
	p.mu.Lock()
	p.signalLocked()
	p.mu.Unlock()
	if first, second := <-order, <-order; first != "reply" || second != "alert" {
		t.Fatalf("order %s, %s: want the reply first", first, second)
	}
	// The reply counts toward its chat's pacing.
	if p.paced(clk.now().Add(-1500 * time.Millisecond))["test:1"] == false {
		t.Fatal("the chat was free again within its interval after a reply")
	}
}

// A process's share of a platform's budget (cluster mode) shrinks what one
// second may hold: two processes with half each keep the platform's limit
// together, and a process with no share sends nothing until it gets one.
func TestPacerShareDividesTheWindow(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	share := 0.5
	p := newPacer(Rate{PerSecond: 28, Burst: 2}, clk.now)
	p.share = func() float64 { mu.Lock(); defer mu.Unlock(); return share }
	ctx := context.Background()
	var at []time.Time
	start := clk.now()
	for clk.now().Sub(start) < 10*time.Second {
		short, cancel := context.WithTimeout(ctx, time.Millisecond)
		if p.acquire(short, false) == nil {
			p.release()
			at = append(at, clk.now())
		}
		cancel()
		clk.add(10 * time.Millisecond)
	}
	busiest := 0
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < time.Second; j++ {
			n++
		}
		busiest = max(busiest, n)
	}
	if busiest > 15 || len(at) < 120 || len(at) > 150 {
		t.Errorf("half of a 28+2 budget: %d sends in 10 s, %d in the busiest second; want 120 to 150 (14/s, on a 10 ms clock), at most 15", len(at), busiest)
	}
	if u := p.use(); u.Limit != 15 || u.Total != 30 || !u.Blocked {
		t.Errorf("use = %+v, want limit 15 of 30, blocked", u)
	}
	mu.Lock()
	share = 0
	mu.Unlock()
	clk.add(2 * time.Second)
	short, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	if err := p.acquire(short, true); err == nil {
		t.Fatal("a reply went out with no share of the budget")
	}
}
