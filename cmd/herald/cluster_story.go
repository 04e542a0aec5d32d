package main

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/story"
	"github.com/herald-news/herald/storage/jetstream"
)

// clusterStories assigns stories in cluster mode. Each process's story
// window learns the others' committed articles from the articles stream,
// which leaves the moment between two processes' commits: two reports of
// one event ingested at once by two processes would each open a story.
// So an article is first announced in the deployment's order
// (jetstream.Store.Announce); each article another process announced
// before it, that this window does not know yet and that reads as the same
// story, is waited for until committed, and taken into the window; then
// the article is assigned as on a single node. Only an article that is
// like one in flight elsewhere waits, and only for earlier ones.
//
// Why not a lock: a deployment-wide lock around story assignment would
// put every article of every process in one line; and why not a claim on
// each LSH band or name: common bands and names are claimed all the time
// by unrelated articles, and the first claim would hide the one that
// matters. The order of announcements decides who waits for whom, and the
// clusterer's own similarity decides whether to wait.
type clusterStories struct {
	inner *story.Clusterer
	store *jetstream.Store
	// waited counts articles that waited for one announced elsewhere.
	waited prometheus.Counter

	mu sync.Mutex
	// known are the articles this window took in lately (assigned here,
	// or followed from the stream), by when: an announced article it knows
	// needs no wait.
	known map[string]time.Time
	swept time.Time
}

// knownFor is how long the window remembers taking an article in: longer
// than announcements are kept.
const knownFor = 5 * time.Minute

// announcedWait bounds how long an article waits for one announced
// elsewhere to be committed (its process may have died meanwhile).
const announcedWait = 3 * time.Second

func newClusterStories(inner *story.Clusterer, st *jetstream.Store) *clusterStories {
	return &clusterStories{inner: inner, store: st, known: map[string]time.Time{},
		waited: prometheus.NewCounter(prometheus.CounterOpts{Name: "herald_cluster_story_waits_total",
			Help: "Articles whose story waited for a like article another process was ingesting at the same moment."})}
}

// Assign gives the article its story, after the like articles other
// processes announced before it.
func (c *clusterStories) Assign(a *alerts.Article) (alerts.Story, bool) {
	return c.assign(a, func() (alerts.Story, bool) { return c.inner.Assign(a) })
}

// Prepare reads the article for its story beside other articles (see
// bot.StoryPreparer); the announcement and the waits happen in its turn,
// as in Assign.
func (c *clusterStories) Prepare(a *alerts.Article) func() (alerts.Story, bool) {
	assign := c.inner.Prepare(a)
	return func() (alerts.Story, bool) { return c.assign(a, assign) }
}

func (c *clusterStories) assign(a *alerts.Article, inner func() (alerts.Story, bool)) (alerts.Story, bool) {
	seq := c.store.Announce(*a)
	for _, o := range c.store.Before(seq, announcedWait) {
		if o.ID == a.ID || c.knows(o.ID) || c.inner.Similarity(a, &o) < story.DefaultThreshold {
			continue
		}
		c.waited.Inc()
		if got, ok := c.store.Committed(o.ID, announcedWait); ok {
			c.Seed([]alerts.Article{got})
		}
	}
	st, joined := inner()
	c.mark(a.ID)
	return st, joined
}

// Seed takes articles other processes committed into the window, each
// once.
func (c *clusterStories) Seed(arts []alerts.Article) {
	fresh := arts[:0:0]
	for _, a := range arts {
		if c.knows(a.ID) {
			continue
		}
		fresh = append(fresh, a)
		if time.Since(a.Ingested) < knownFor {
			c.mark(a.ID) // older ones were never announced lately
		}
	}
	if len(fresh) > 0 {
		c.inner.Seed(nil, fresh)
	}
}

func (c *clusterStories) knows(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.known[id]
	return ok
}

// mark remembers an article for as long as announcements are kept.
func (c *clusterStories) mark(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	c.known[id] = now
	if now.Sub(c.swept) > time.Minute {
		c.swept = now
		for k, at := range c.known {
			if now.Sub(at) > knownFor {
				delete(c.known, k)
			}
		}
	}
}
