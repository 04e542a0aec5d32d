package jetstream

import (
	"time"

	"github.com/herald-news/herald/alerts"
)

// SharesAtOnce returns the budgets' shares of platform p at one moment:
// every budget's lock is held while they are read, so no share moves
// between the reads. (Reading one Share after another can see a share
// lowered by one process and the same part raised by another.)
func SharesAtOnce(p alerts.Platform, bs ...*Budget) []float64 {
	for _, b := range bs {
		b.mu.Lock()
	}
	defer func() {
		for _, b := range bs {
			b.mu.Unlock()
		}
	}()
	now := time.Now()
	out := make([]float64, len(bs))
	for i, b := range bs {
		out[i] = b.shareLocked(p, now)
	}
	return out
}
