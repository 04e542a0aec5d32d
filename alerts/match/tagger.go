package match

import (
	"github.com/herald-news/herald/alerts"
)

// Tagger tells which entries of a names list (actors, places, topics) an
// article mentions, in any of their forms and languages: features that do
// not depend on the language an article is written in. It is safe for
// concurrent use.
type Tagger struct {
	names *Names
	x     *Index
}

// Tagger returns the tagger of the list, built once.
func (a *Names) Tagger() *Tagger {
	a.taggerOnce.Do(func() {
		t := &Tagger{names: a, x: NewIndex(nil)}
		for i := range a.entries {
			e := &a.entries[i]
			q := &Query{src: e.name(), root: entryNode(e, e.name(), inText)}
			c := compileQuery(q)
			if c.check() != nil {
				continue // too long to index: never mentioned
			}
			t.x.lock()
			t.x.insertLocked(uint64(i+1), c)
			t.x.mu.Unlock()
		}
		a.tagger = t
	})
	return a.tagger
}

// Tags calls fn with the entry number of every entry the article
// mentions, in no particular order; Name and IsTopic tell what it is.
func (t *Tagger) Tags(a *alerts.Article, fn func(entry int)) {
	t.x.MatchFunc(a, func(id uint64) { fn(int(id - 1)) })
}

// Name returns the display name of an entry.
func (t *Tagger) Name(entry int) string { return t.names.entries[entry].name() }

// IsTopic reports whether an entry is a topic rather than an actor or place.
func (t *Tagger) IsTopic(entry int) bool { return t.names.entries[entry].kind == kindTopic }
