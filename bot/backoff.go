package bot

import (
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Backoff is how long to wait after the attempt-th failure in a row (1 for
// the first): initial, doubling with each failure, capped at most, each
// delay spread by ±jitter (0.25 is ±25 %). Every retry delay of Herald's
// that is not a platform's own Retry-After comes from here, computed by
// backoff/v5's ExponentialBackOff: the bot's send retries and the feed
// poller's failed fetches.
func Backoff(attempt int, initial, most time.Duration, jitter float64) time.Duration {
	b := &backoff.ExponentialBackOff{InitialInterval: initial, RandomizationFactor: jitter,
		Multiplier: 2, MaxInterval: most}
	b.Reset()
	d := b.NextBackOff()
	// 64 doublings pass any cap a Duration can hold; the rest would
	// repeat it.
	for range min(attempt, 64) - 1 {
		d = b.NextBackOff()
	}
	return d
}
