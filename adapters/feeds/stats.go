package feeds

import "sync/atomic"

// PollerStats are counters since the poller was built.
type PollerStats struct {
	Polls         uint64 // fetches attempted
	NotModified   uint64 // answered 304 (or an unchanged file)
	Failures      uint64 // fetches or parses that failed
	Articles      uint64 // new items emitted
	Pushes        uint64 // WebSub notifications accepted
	BadSignatures uint64 // WebSub notifications refused for their signature
	// Floods counts polls that found more new items than the flood cap
	// and took them as the feed's new baseline instead of sending them.
	Floods uint64
}

type pollStats struct {
	polls, notModified, failures, articles, pushes, badSignatures, floods atomic.Uint64
	// completed counts finished polls (tests and benchmarks wait on it).
	completed atomic.Uint64
}

// Stats returns the poller's counters.
func (p *Poller) Stats() PollerStats {
	return PollerStats{
		Polls:         p.stats.polls.Load(),
		NotModified:   p.stats.notModified.Load(),
		Failures:      p.stats.failures.Load(),
		Articles:      p.stats.articles.Load(),
		Pushes:        p.stats.pushes.Load(),
		BadSignatures: p.stats.badSignatures.Load(),
		Floods:        p.stats.floods.Load(),
	}
}
