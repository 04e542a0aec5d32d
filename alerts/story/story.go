// Package story groups articles that report the same event into stories,
// so that five outlets on one event raise one alert that gains sources.
//
// Each article is reduced to the stems of its content words, its title's
// stems, its names and figures (capitalised words that do not open a
// sentence, numbers that are not years), and its language-neutral
// features: the actors, places and topics of the names list it mentions in
// any language (package match), and the days it names. A new article is
// compared with the articles of the window that share at least two of its
// names, figures or concepts, found through an index of them (window.go),
// so the cost of an article does not grow with the window.
//
// Two reports in one language are one story when a score that weighs word
// overlap, title overlap and shared names and figures passes a threshold,
// with at least two names or figures in common. Two articles that share
// only a topic (the same actors on another day, a follow-up with new facts)
// share names but few figures and little wording, and stay apart.
// Similarity decays with the time between two reports (full within 6
// hours, half past 36), since outlets report one event within hours and a
// report a day later on the same actors is most often a follow-up. Reports
// in different languages, whose words cannot be compared, are judged on
// their figures, concepts and days within a few hours (crossLangScore).
// Articles count towards a story for a window (48 hours by default) of at
// most Options.MaxArticles articles, so that the clusterer's memory is
// bounded whatever the rate of articles: an article keeps its features
// (features.go) in one array of 32-bit hashes, about 1.5 KB in all.
package story

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
)

// Options tune a Clusterer. Zero values take the defaults.
type Options struct {
	// Window is how long an article can draw others into its story.
	// Default 48h.
	Window time.Duration
	// MaxArticles bounds the articles of the window, and so its memory
	// (about 1.5 KB an article): past it, the articles that came first
	// leave first, before their time is up. Default DefaultMaxArticles.
	MaxArticles int
	// Threshold is the score at or above which an article joins a story,
	// in [0, 1]. Default DefaultThreshold.
	Threshold float64
	// MinShared is the number of names and figures two articles must share
	// to be the same story. Default 2.
	MinShared int
	// Names are the actors, places and topics whose mentions compare
	// articles across languages. Default match.DefaultNames().
	Names *match.Names
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// DefaultMaxArticles is the window's default bound: 48 hours of 1,000
// articles an hour, 10 hours of 5,000, in about 75 MB. A later report
// seldom joins anyway: similarity has decayed by then (see timeDecay).
const DefaultMaxArticles = 50_000

// DefaultThreshold is the score two articles need to be one story, tuned on
// the labelled pairs in testdata (see TestPrecisionRecall).
const DefaultThreshold = 0.36

func (o Options) withDefaults() Options {
	if o.Window <= 0 {
		o.Window = 48 * time.Hour
	}
	if o.MaxArticles <= 0 {
		o.MaxArticles = DefaultMaxArticles
	}
	if o.Threshold <= 0 {
		o.Threshold = DefaultThreshold
	}
	if o.MinShared <= 0 {
		o.MinShared = 2
	}
	if o.Names == nil {
		o.Names = match.DefaultNames()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Clusterer assigns articles to stories. It is safe for concurrent use.
type Clusterer struct {
	opts   Options
	tagger *match.Tagger

	mu        sync.Mutex
	lastPrune time.Time
	stories   map[string]*entry
	win       window
}

// entry is one story in the window.
type entry struct {
	story alerts.Story
	size  int // its articles in the window
}

// addSource adds src to the story's Sources unless an outlet of that name
// (in any case) is there.
func (e *entry) addSource(src string) {
	if src == "" {
		return
	}
	key := strings.ToLower(src)
	for _, s := range e.story.Sources {
		if s == src || strings.ToLower(s) == key {
			return
		}
	}
	e.story.Sources = append(slices.Clip(e.story.Sources), src)
}

// member is one article in the window. f.at is the article's own time (as
// published), which similarity compares; seen is when Herald took it in,
// which keeps it in the window: an old article fetched late (a feed added
// today, a backfill) still meets the other reports of its day. The window
// holds up to Options.MaxArticles of them, so a member keeps only what
// the next articles are compared on.
type member struct {
	id, story string
	seen      time.Time
	f         features

	// Set while a new article looks for candidates (window.candidates).
	visit uint32
	hits  int32
}

// New returns a Clusterer with opts.
func New(opts Options) *Clusterer {
	opts = opts.withDefaults()
	return &Clusterer{
		opts:    opts,
		tagger:  opts.Names.Tagger(),
		stories: map[string]*entry{},
		win:     newWindow(),
	}
}

// Assign returns the story the article tells: a story in the window that
// reports the same event, joined (true), with the article's outlet or
// source added to its Sources if new; or a new story opened by the
// article. It sets a.StoryID.
func (c *Clusterer) Assign(a *alerts.Article) (alerts.Story, bool) {
	return c.assign(a, extract(a, c.tagger))
}

// Prepare reads what Assign needs of an article, which depends on the
// article alone and is most of Assign's cost, and returns the rest of
// Assign: assign, called later, puts the article in the window then, as
// Assign would. A pipeline prepares many articles at once, on every core,
// and calls their assigns one at a time in the order the articles came.
// Prepare leaves the window as it is, so an assign never called (the
// article was a duplicate after all) costs nothing more.
func (c *Clusterer) Prepare(a *alerts.Article) (assign func() (alerts.Story, bool)) {
	f := extract(a, c.tagger)
	return func() (alerts.Story, bool) { return c.assign(a, f) }
}

func (c *Clusterer) assign(a *alerts.Article, f features) (alerts.Story, bool) {
	now := c.opts.Now()
	f.at = articleTime(a, now)
	src := sourceOf(a)

	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.lastPrune) >= c.opts.Window/48 {
		c.prune(now)
	}

	m := c.newMember(a, f, now)
	best, bestScore := c.best(m, now.Add(-c.opts.Window))
	var e *entry
	joined := false
	if best != nil && bestScore >= c.opts.Threshold {
		e = c.stories[best.story]
		joined = true
		e.addSource(src)
		e.story.Updated = now
	} else {
		id := alerts.OwnStoryID(a.ID)
		if a.ID == "" {
			id = alerts.ContentID("story", a.Title, a.Body)
		}
		if old, ok := c.stories[id]; ok {
			// The same article again (a re-ingest): its own story.
			e = old
			joined = true
		} else {
			st := alerts.Story{ID: id, FirstArticle: a.ID, Title: a.Title, Created: now, Updated: now}
			if src != "" {
				st.Sources = []string{src}
			}
			e = &entry{story: st}
			c.stories[id] = e
		}
	}
	m.story = e.story.ID
	c.add(m, e)
	a.StoryID = e.story.ID
	s := e.story
	s.Sources = slices.Clone(s.Sources)
	return s, joined
}

// Seed rebuilds the window after a restart from stored stories and recent
// articles (each carrying its StoryID), as Store.RecentArticles and
// Store.GetStory give them. An article whose story is not among stories
// still seeds it, with the story rebuilt from its articles (first one
// first, sources in order). Articles without a StoryID and articles
// already outside the window are skipped.
func (c *Clusterer) Seed(stories []alerts.Story, articles []alerts.Article) {
	now := c.opts.Now()
	byID := map[string]alerts.Story{}
	for _, s := range stories {
		byID[s.ID] = s
	}
	// Oldest first, as Assign would have seen them.
	arts := slices.Clone(articles)
	slices.SortStableFunc(arts, func(a, b alerts.Article) int {
		return articleTime(&a, now).Compare(articleTime(&b, now))
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range arts {
		a := &arts[i]
		if a.StoryID == "" {
			continue
		}
		at := articleTime(a, now)
		seen := a.Ingested
		if seen.IsZero() || seen.After(now) {
			seen = at
		}
		if now.Sub(seen) > c.opts.Window {
			continue
		}
		src := sourceOf(a)
		e := c.stories[a.StoryID]
		if e == nil {
			s, ok := byID[a.StoryID]
			if !ok {
				s = alerts.Story{ID: a.StoryID, FirstArticle: a.ID, Title: a.Title, Created: at, Updated: at}
			}
			s.Sources = slices.Clone(s.Sources)
			e = &entry{story: s}
			c.stories[s.ID] = e
		}
		e.addSource(src)
		f := extract(a, c.tagger)
		f.at = at
		m := c.newMember(a, f, seen)
		m.story = a.StoryID
		c.add(m, e)
	}
	c.prune(now)
}

// Len returns the number of stories in the window.
func (c *Clusterer) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.stories)
}

// newMember makes the window entry of an article.
func (c *Clusterer) newMember(a *alerts.Article, f features, seen time.Time) *member {
	return &member{id: a.ID, seen: seen, f: f}
}

// add puts m in the window, and lets the first articles go when the
// window is full. c.mu is held.
func (c *Clusterer) add(m *member, e *entry) {
	c.win.add(m)
	e.size++
	for len(c.win.members) > c.opts.MaxArticles {
		c.drop(c.win.dropFirst())
	}
}

// prune drops the articles older than the window, and stories left with
// none. Assign prunes at most once every Window/48 (an hour by default);
// best ignores expired articles in between. c.mu is held.
func (c *Clusterer) prune(now time.Time) {
	c.lastPrune = now
	for _, m := range c.win.expire(now.Add(-c.opts.Window)) {
		c.drop(m)
	}
}

// drop counts m, gone from the window, out of its story, and forgets the
// story with its last article. c.mu is held.
func (c *Clusterer) drop(m *member) {
	if e := c.stories[m.story]; e != nil {
		if e.size--; e.size <= 0 {
			delete(c.stories, m.story)
		}
	}
}

// best returns the window member most like m and its score, ignoring
// members that appeared before cutoff. c.mu is held.
func (c *Clusterer) best(m *member, cutoff time.Time) (*member, float64) {
	if o := c.win.byID[m.id]; o != nil && m.id != "" && !o.seen.Before(cutoff) {
		// The same article again: its own story, whatever the text.
		return o, 1
	}
	var best *member
	bestScore := 0.0
	c.win.candidates(m, func(o *member) {
		if o.seen.Before(cutoff) || o.f.at.Sub(m.f.at).Abs() > c.opts.Window {
			return
		}
		if sc := c.score(m, o); sc > bestScore {
			best, bestScore = o, sc
		}
	})
	return best, bestScore
}

// score is how likely two articles report the same event, in [0, 1].
func (c *Clusterer) score(a, b *member) float64 {
	return pairScore(&a.f, &b.f, c.opts.MinShared)
}

// sourceOf names who reported an article: the cited outlet, else the feed.
func sourceOf(a *alerts.Article) string {
	if a.Outlet != "" {
		return a.Outlet
	}
	return a.Source
}

// articleTime is when an article appeared: its publication time unless
// missing or in the future, else now.
func articleTime(a *alerts.Article, now time.Time) time.Time {
	t := a.Published
	if t.IsZero() || t.After(now) {
		t = a.Ingested
	}
	if t.IsZero() || t.After(now) {
		return now
	}
	return t
}
