// Package story groups articles that report the same event into stories,
// so that five outlets on one event raise one alert that gains sources.
//
// Each article is reduced to the stems of its content words, its title's
// stems and its names and figures (capitalised words that do not open a
// sentence, numbers that are not years). Candidates come from MinHash LSH
// over the content words; a candidate is the same story when a score that
// weighs word overlap, title overlap and shared names and figures passes a
// threshold, with at least two names or figures in common. Two articles
// that share only a topic (the same actors on another day, a follow-up
// with new facts) share names but few figures and little wording, and stay
// apart. Similarity decays with the time between two reports (full within
// 6 hours, half past 36), since outlets report one event within hours and
// a report a day later on the same actors is most often a follow-up.
// Reports in different languages, whose words cannot be compared, join
// only on shared specific figures within 6 hours. Articles count towards a
// story for a window (48 hours by default).
package story

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
)

// Options tune a Clusterer. Zero values take the defaults.
type Options struct {
	// Window is how long an article can draw others into its story.
	// Default 48h.
	Window time.Duration
	// Threshold is the score at or above which an article joins a story,
	// in [0, 1]. Default DefaultThreshold.
	Threshold float64
	// MinShared is the number of names and figures two articles must share
	// to be the same story. Default 2.
	MinShared int
	// Hashes is the MinHash signature length; Bands divides it for LSH.
	// Defaults 128 and 64 (two rows a band: candidates from a Jaccard
	// similarity of about 0.12 up).
	Hashes, Bands int
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// DefaultThreshold is the score two articles need to be one story, tuned on
// the labelled pairs in testdata (see TestPrecisionRecall).
const DefaultThreshold = 0.36

func (o Options) withDefaults() Options {
	if o.Window <= 0 {
		o.Window = 48 * time.Hour
	}
	if o.Threshold <= 0 {
		o.Threshold = DefaultThreshold
	}
	if o.MinShared <= 0 {
		o.MinShared = 2
	}
	if o.Hashes <= 0 || o.Hashes > maxHashes {
		o.Hashes = 128
	}
	if o.Bands <= 0 || o.Hashes%o.Bands != 0 {
		o.Bands = o.Hashes / 2
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Clusterer assigns articles to stories. It is safe for concurrent use.
type Clusterer struct {
	opts Options

	mu        sync.Mutex
	lastPrune time.Time
	stories   map[string]*entry
	members   []*member            // every article in the window, oldest first
	buckets   map[uint64][]*member // LSH band hash or figure key → members
}

// entry is one story in the window.
type entry struct {
	story alerts.Story
	// sourceKeys are the lower-cased Sources, to tell a new outlet.
	sourceKeys map[string]bool
	last       time.Time
	size       int
}

// member is one article in the window. at is the article's own time (as
// published), which similarity compares; seen is when Herald took it in,
// which keeps it in the window: an old article fetched late (a feed added
// today, a backfill) still meets the other reports of its day.
type member struct {
	id, story, source string
	at, seen          time.Time
	f                 features
	bands             []uint64
}

// New returns a Clusterer with opts.
func New(opts Options) *Clusterer {
	return &Clusterer{
		opts:    opts.withDefaults(),
		stories: map[string]*entry{},
		buckets: map[uint64][]*member{},
	}
}

// Assign returns the story the article tells: a story in the window that
// reports the same event, joined (true), with the article's outlet or
// source added to its Sources if new; or a new story opened by the
// article. It sets a.StoryID.
func (c *Clusterer) Assign(a *alerts.Article) (alerts.Story, bool) {
	now := c.opts.Now()
	f := extract(a, c.opts.Hashes)
	f.at = articleTime(a, now)
	src := sourceOf(a)

	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.lastPrune) >= c.opts.Window/48 {
		c.prune(now)
	}

	m := c.newMember(a, src, f, now)
	best, bestScore := c.best(m, now.Add(-c.opts.Window))
	var e *entry
	joined := false
	if best != nil && bestScore >= c.opts.Threshold {
		e = c.stories[best.story]
		joined = true
		key := strings.ToLower(src)
		if src != "" && !e.sourceKeys[key] {
			e.sourceKeys[key] = true
			e.story.Sources = append(slices.Clip(e.story.Sources), src)
		}
		e.story.Updated = now
	} else {
		id := alerts.ContentID("story", a.ID)
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
			e = &entry{story: st, sourceKeys: map[string]bool{strings.ToLower(src): true}}
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
			e = &entry{story: s, sourceKeys: map[string]bool{}}
			for _, src := range s.Sources {
				e.sourceKeys[strings.ToLower(src)] = true
			}
			c.stories[s.ID] = e
		}
		if key := strings.ToLower(src); src != "" && !e.sourceKeys[key] {
			e.sourceKeys[key] = true
			e.story.Sources = append(e.story.Sources, src)
		}
		f := extract(a, c.opts.Hashes)
		f.at = at
		m := c.newMember(a, src, f, seen)
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

// newMember makes the window entry of an article. The signature is only
// needed for the band hashes; dropping it keeps a member to about 1.5 KB.
func (c *Clusterer) newMember(a *alerts.Article, src string, f features, seen time.Time) *member {
	// Candidates come from the LSH bands and, for reports in another
	// language whose words differ, from specific figures they share.
	bands := append(c.bandHashes(f.sig), f.keyFigs...)
	f.sig, f.keyFigs = nil, nil
	return &member{id: a.ID, source: src, at: f.at, seen: seen, f: f, bands: bands}
}

// add puts m in the window. c.mu is held.
func (c *Clusterer) add(m *member, e *entry) {
	c.members = append(c.members, m)
	for _, b := range m.bands {
		c.buckets[b] = append(c.buckets[b], m)
	}
	e.size++
	if m.at.After(e.last) {
		e.last = m.at
	}
}

// prune drops the articles older than the window, and stories left with
// none. Assign prunes at most once every Window/48 (an hour by default):
// sweeping the LSH buckets costs time in proportion to the window, and
// best ignores expired articles in between. c.mu is held.
func (c *Clusterer) prune(now time.Time) {
	c.lastPrune = now
	cutoff := now.Add(-c.opts.Window)
	keep := c.members[:0]
	dropped := false
	for _, m := range c.members {
		if m.seen.Before(cutoff) {
			dropped = true
			if e := c.stories[m.story]; e != nil {
				if e.size--; e.size <= 0 {
					delete(c.stories, m.story)
				}
			}
			continue
		}
		keep = append(keep, m)
	}
	clear(c.members[len(keep):])
	c.members = keep
	if !dropped {
		return
	}
	for b, ms := range c.buckets {
		live := ms[:0]
		for _, m := range ms {
			if !m.seen.Before(cutoff) {
				live = append(live, m)
			}
		}
		if len(live) == 0 {
			delete(c.buckets, b)
			continue
		}
		clear(ms[len(live):])
		c.buckets[b] = live
	}
}

// best returns the window member most like m and its score, ignoring
// members that appeared before cutoff. c.mu is held.
func (c *Clusterer) best(m *member, cutoff time.Time) (*member, float64) {
	seen := map[*member]bool{}
	var best *member
	bestScore := 0.0
	for _, b := range m.bands {
		for _, o := range c.buckets[b] {
			if seen[o] || o.seen.Before(cutoff) || o.at.Sub(m.at).Abs() > c.opts.Window {
				continue
			}
			seen[o] = true
			if o.id != "" && o.id == m.id {
				// The same article again: its own story, whatever the text.
				return o, 1
			}
			if sc := c.score(m, o); sc > bestScore {
				best, bestScore = o, sc
			}
		}
	}
	return best, bestScore
}

// score is how likely two articles report the same event, in [0, 1].
func (c *Clusterer) score(a, b *member) float64 {
	return pairScore(a.f, b.f, c.opts.MinShared)
}

// Similarity scores two articles as Assign does, in [0, 1]; they are one
// story at Options.Threshold and above. For tests and diagnostics.
func (c *Clusterer) Similarity(a, b *alerts.Article) float64 {
	now := c.opts.Now()
	fa, fb := extract(a, c.opts.Hashes), extract(b, c.opts.Hashes)
	fa.at, fb.at = articleTime(a, now), articleTime(b, now)
	return pairScore(fa, fb, c.opts.MinShared)
}

// pairScore combines the similarities of two articles' features; it is 0
// when they share fewer than minShared names and figures.
func pairScore(a, b features, minShared int) float64 {
	sharedNames := intersect(a.entities, b.entities)
	sharedFigs := intersect(a.figures, b.figures)
	if sharedNames+sharedFigs < minShared {
		return 0
	}
	words := jaccard(a.words, b.words)
	title := overlapCoef(a.title, b.title)
	ents := float64(sharedNames+sharedFigs) / float64(max(1, min(len(a.entities)+len(a.figures), len(b.entities)+len(b.figures))))
	// Jaccard of two reports of one event in different words rarely passes
	// 0.5; scale it so that 0.5 counts fully.
	score := 0.45*min(1, words/0.5) + 0.25*title + 0.3*ents
	// Reports of one event repeat its figures (a magnitude, a toll, a
	// vote share); a follow-up brings new ones. Both giving figures and
	// sharing none is strong evidence of two events.
	if len(a.figures) >= 2 && len(b.figures) >= 2 && sharedFigs == 0 {
		score *= figurePenalty
	}
	score *= timeDecay(a.at.Sub(b.at))
	if a.lang != b.lang {
		score = max(score, crossLangScore(a, b, sharedFigs))
	}
	return score
}

// crossLangScore judges two reports in different languages, whose words
// cannot be compared, on their figures: the same event told in Russian and
// Ukrainian (or English) repeats its numbers ("67 ракет і 194 дрони", "67
// ракет и 194 беспилотника"). At least two shared figures, making up half
// of the smaller article's, within a few hours, count as one story.
func crossLangScore(a, b features, sharedFigs int) float64 {
	if sharedFigs < 2 || 2*sharedFigs < min(len(a.figures), len(b.figures)) || a.at.Sub(b.at).Abs() > decayFrom {
		return 0
	}
	return 0.5
}

// figurePenalty scales the score of two articles that both cite figures
// but none in common.
const figurePenalty = 0.6

// Outlets report one event within hours; a report a day later on the same
// actors is most often a follow-up with news of its own. Joining it to the
// old story would hide that news from subscribers, while keeping a late
// report of the same event apart costs one more alert: so the score
// decays from full at decayFrom to decayFloor at decayTo.
const (
	decayFrom  = 6 * time.Hour
	decayTo    = 36 * time.Hour
	decayFloor = 0.5
)

func timeDecay(d time.Duration) float64 {
	d = d.Abs()
	switch {
	case d <= decayFrom:
		return 1
	case d >= decayTo:
		return decayFloor
	}
	return 1 - (1-decayFloor)*float64(d-decayFrom)/float64(decayTo-decayFrom)
}

// intersect counts the elements two sets share.
func intersect(a, b set) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

func jaccard(a, b set) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	in := intersect(a, b)
	return float64(in) / float64(len(a)+len(b)-in)
}

// overlapCoef is |a∩b| / min(|a|,|b|): short titles that say the same are
// alike even when one says more.
func overlapCoef(a, b set) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	return float64(intersect(a, b)) / float64(min(len(a), len(b)))
}

// bandHashes hashes each LSH band of a signature, with the band's index.
func (c *Clusterer) bandHashes(sig []uint64) []uint64 {
	rows := len(sig) / c.opts.Bands
	out := make([]uint64, 0, c.opts.Bands)
	var buf [8]byte
	for b := range c.opts.Bands {
		h := fnv.New64a()
		binary.LittleEndian.PutUint64(buf[:], uint64(b))
		h.Write(buf[:])
		for _, v := range sig[b*rows : (b+1)*rows] {
			binary.LittleEndian.PutUint64(buf[:], v)
			h.Write(buf[:])
		}
		out = append(out, h.Sum64())
	}
	return out
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
