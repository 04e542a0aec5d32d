package feeds

import (
	"testing"
	"time"
)

// A failing feed waits MinInterval after its first failure, twice as long
// after each further one, at most 4×MaxInterval, each wait spread by
// ±25 % so that feeds failing together do not return together.
func TestFailureDelays(t *testing.T) {
	p := NewPoller(PollerOptions{MinInterval: time.Minute, MaxInterval: 30 * time.Minute}, newMemStore(), nil)
	for _, tc := range []struct {
		failures int
		centre   time.Duration
	}{
		{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {4, 8 * time.Minute},
		{5, 16 * time.Minute}, {6, 32 * time.Minute}, {7, 64 * time.Minute},
		{8, 2 * time.Hour}, {9, 2 * time.Hour}, {100, 2 * time.Hour}, {1 << 20, 2 * time.Hour},
	} {
		lo, hi := tc.centre, tc.centre
		for range 400 {
			d := p.failureDelay(tc.failures)
			lo, hi = min(lo, d), max(hi, d)
		}
		// 400 draws of ±25 % reach past ±20 % on both sides but for one
		// chance in about 10^18.
		if lo < tc.centre*3/4 || hi > tc.centre*5/4+time.Nanosecond || lo > tc.centre*4/5 || hi < tc.centre*6/5 {
			t.Errorf("after %d failures: waits from %v to %v, want %v ± 25 %%, spread", tc.failures, lo, hi, tc.centre)
		}
	}
}
