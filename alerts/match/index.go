package match

import "github.com/herald-news/herald/alerts"

// Index answers which subscriptions an article satisfies.
type Index struct{ b *Brute }

var _ alerts.Matcher = (*Index)(nil)

// NewIndex returns an empty index whose queries expand actors.
func NewIndex(actors *Actors) *Index { return &Index{b: NewBrute(actors)} }

// Add compiles and indexes a subscription, replacing one with the same ID.
func (x *Index) Add(s alerts.Subscription) error { return x.b.Add(s) }

// Remove drops a subscription; unknown IDs are ignored.
func (x *Index) Remove(id uint64) { x.b.Remove(id) }

// Match returns the subscriptions the article satisfies in ascending ID
// order, with the terms that fired.
func (x *Index) Match(a *alerts.Article) []alerts.Hit { return x.b.Match(a) }

// MatchFunc calls fn with every subscription the article satisfies.
func (x *Index) MatchFunc(a *alerts.Article, fn func(sub uint64)) { x.b.MatchFunc(a, fn) }

// Load adds many subscriptions; it stops at the first malformed query.
func (x *Index) Load(subs []alerts.Subscription) error {
	for _, s := range subs {
		if err := x.Add(s); err != nil {
			return err
		}
	}
	return nil
}

// Len returns the number of subscriptions.
func (x *Index) Len() int { return x.b.Len() }
