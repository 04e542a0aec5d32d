package match

import (
	"slices"
	"sync"

	"github.com/herald-news/herald/alerts"
)

// Brute is the brute-force evaluator: every subscription's query against
// every article. It is the reference the Index is tested against, and the
// baseline of herald bench. It is safe for concurrent use.
type Brute struct {
	names *Names
	mu    sync.RWMutex
	subs  map[uint64]*Query
}

var _ alerts.Matcher = (*Brute)(nil)

// NewBrute returns an empty brute-force evaluator.
func NewBrute(names *Names) *Brute {
	return &Brute{names: names, subs: make(map[uint64]*Query)}
}

// Add parses and stores the subscription's query.
func (b *Brute) Add(s alerts.Subscription) error {
	q, err := Parse(s.Query, b.names)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.subs[s.ID] = q
	b.mu.Unlock()
	return nil
}

// Remove drops a subscription.
func (b *Brute) Remove(id uint64) {
	b.mu.Lock()
	delete(b.subs, id)
	b.mu.Unlock()
}

// Len returns the number of subscriptions.
func (b *Brute) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs)
}

// MatchFunc calls fn with the ID of every subscription the article
// satisfies, in no particular order.
func (b *Brute) MatchFunc(a *alerts.Article, fn func(sub uint64)) {
	d := NewDoc(a)
	b.mu.RLock()
	defer b.mu.RUnlock()
	for id, q := range b.subs {
		if q.Eval(d) {
			fn(id)
		}
	}
}

// Match returns the subscriptions the article satisfies, in ascending ID
// order, with the terms that fired.
func (b *Brute) Match(a *alerts.Article) []alerts.Hit {
	d := NewDoc(a)
	b.mu.RLock()
	var hits []alerts.Hit
	for id, q := range b.subs {
		if ok, terms := q.ExplainDoc(d); ok {
			hits = append(hits, alerts.Hit{Sub: id, Terms: terms})
		}
	}
	b.mu.RUnlock()
	slices.SortFunc(hits, func(x, y alerts.Hit) int {
		if x.Sub < y.Sub {
			return -1
		}
		if x.Sub > y.Sub {
			return 1
		}
		return 0
	})
	return hits
}
