package discord

import (
	"sync"
	"time"
)

// Discord bans an IP for a while after 10,000 answers of 401, 403 or 429
// in 10 minutes (https://discord.com/developers/docs/topics/rate-limits#invalid-request-limit).
// The adapter stops sending at half of that.
const (
	invalidWindow = 10 * time.Minute
	invalidLimit  = 5000
	invalidSlots  = 60
)

// invalidCounter counts refused requests in a sliding window of slots.
type invalidCounter struct {
	mu     sync.Mutex
	now    func() time.Time
	window time.Duration
	limit  int
	slot   time.Duration
	counts []int
	starts []time.Time // start of the slot each count belongs to
}

func newInvalidCounter(window time.Duration, limit int, now func() time.Time) *invalidCounter {
	return &invalidCounter{
		now: now, window: window, limit: limit, slot: window / invalidSlots,
		counts: make([]int, invalidSlots), starts: make([]time.Time, invalidSlots),
	}
}

// index returns the slot for t, clearing it if it held an older period.
func (c *invalidCounter) index(t time.Time) int {
	start := t.Truncate(c.slot)
	i := int(start.UnixNano()/int64(c.slot)) % len(c.counts)
	if !c.starts[i].Equal(start) {
		c.starts[i] = start
		c.counts[i] = 0
	}
	return i
}

// add counts one refused request now.
func (c *invalidCounter) add() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[c.index(c.now())]++
}

// backoff returns how long to hold sends back: zero below the limit,
// otherwise until enough old refusals leave the window.
func (c *invalidCounter) backoff() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	total := 0
	var oldest time.Time
	for i, n := range c.counts {
		if n == 0 || now.Sub(c.starts[i]) >= c.window {
			continue
		}
		total += n
		if oldest.IsZero() || c.starts[i].Before(oldest) {
			oldest = c.starts[i]
		}
	}
	if total < c.limit {
		return 0
	}
	// Wait until the oldest slot ages out; the next call looks again.
	return max(oldest.Add(c.window).Sub(now), c.slot)
}
