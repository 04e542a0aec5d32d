package story

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
)

// fixture is one labelled article: topic/event names the event it reports.
type fixture struct {
	topic, event string
	a            alerts.Article
}

func (f fixture) label() string { return f.topic + "/" + f.event }

func loadFixtures(t testing.TB) []fixture { return loadFixtureFile(t, "testdata/articles.txt") }

func loadFixtureFile(t testing.TB, path string) []fixture {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var out []fixture
	var cur *fixture
	var body []string
	flush := func() {
		if cur != nil {
			cur.a.Body = strings.TrimSpace(strings.Join(body, "\n"))
			out = append(out, *cur)
		}
		cur, body = nil, nil
	}
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "=== "); ok {
			flush()
			fields := strings.Fields(h)
			label, when := fields[0], fields[len(fields)-1]
			outlet := strings.Join(fields[1:len(fields)-1], " ")
			topic, event, _ := strings.Cut(label, "/")
			at, err := time.Parse(time.RFC3339, when)
			if err != nil {
				t.Fatalf("%s: %v", h, err)
			}
			cur = &fixture{topic: topic, event: event, a: alerts.Article{
				ID: label + "/" + outlet, Outlet: outlet, Source: outlet, Published: at,
			}}
			continue
		}
		if cur == nil || strings.HasPrefix(line, "#") {
			continue
		}
		if cur.a.Title == "" {
			cur.a.Title = line
			continue
		}
		body = append(body, line)
	}
	flush()
	return out
}

// lang tells English, Russian and Ukrainian fixtures apart by script and
// by the letters only Ukrainian uses.
func lang(s string) string {
	cyr := false
	for _, r := range s {
		switch {
		case strings.ContainsRune("іїєґІЇЄҐ", r):
			return "uk"
		case r >= 'А' && r <= 'я':
			cyr = true
		}
	}
	if cyr {
		return "ru"
	}
	return "en"
}

type counts struct{ tp, fp, fn, tn int }

func (c counts) precision() float64 { return float64(c.tp) / float64(max(1, c.tp+c.fp)) }
func (c counts) recall() float64    { return float64(c.tp) / float64(max(1, c.tp+c.fn)) }

// TestPrecisionRecall measures the clusterer on the labelled articles, two
// ways: each pair judged by Similarity, and the stories Assign builds when
// the articles arrive in time order. Pairs in two languages (an English
// and a Russian report, a Russian and a Ukrainian one) are counted apart:
// their words cannot be compared, so they join on what does not depend on
// the language (figures, actors, places, topics, days). It reports
// articles.txt alone, and with crosslang.txt, which adds events told in
// all three languages next to related events of the same days.
func TestPrecisionRecall(t *testing.T) {
	base := loadFixtures(t)
	more := append(slices.Clone(base), loadFixtureFile(t, "testdata/crosslang.txt")...)
	for _, set := range []struct {
		name     string
		fx       []fixture
		minCross int
	}{
		{"articles.txt", base, 7},
		{"articles.txt + crosslang.txt", more, 30},
	} {
		t.Run(set.name, func(t *testing.T) {
			r := measure(t, set.fx)
			t.Logf("articles %d; same-language pairs: %d same, %d different (%d follow-ups on the same topic)",
				len(set.fx), r.pair.tp+r.pair.fn, r.pair.fp+r.pair.tn, r.hard.fp+r.hard.tn)
			t.Logf("pairwise:   precision %.3f recall %.3f (tp %d fp %d fn %d)", r.pair.precision(), r.pair.recall(), r.pair.tp, r.pair.fp, r.pair.fn)
			t.Logf("clustering: precision %.3f recall %.3f (tp %d fp %d fn %d)", r.clus.precision(), r.clus.recall(), r.clus.tp, r.clus.fp, r.clus.fn)
			t.Logf("pairwise, content only (times ignored): precision %.3f recall %.3f (tp %d fp %d fn %d)", r.blind.precision(), r.blind.recall(), r.blind.tp, r.blind.fp, r.blind.fn)
			t.Logf("follow-ups wrongly joined: %d of %d", r.hard.fp, r.hard.fp+r.hard.tn)
			t.Logf("cross-language pairs (clustering): %d same, %d different; joined %d of the same, %d of the different",
				r.cross.tp+r.cross.fn, r.cross.fp+r.cross.tn, r.cross.tp, r.cross.fp)
			if r.cross.fp > 0 {
				t.Errorf("%d cross-language pairs of different events joined", r.cross.fp)
			}
			if r.cross.tp < set.minCross {
				t.Errorf("joined %d cross-language pairs of the same event, want %d or more", r.cross.tp, set.minCross)
			}
			if r.clus.precision() < 1 || r.clus.recall() < 1 {
				t.Errorf("same-language clustering precision %.3f / recall %.3f, want 1.000 / 1.000", r.clus.precision(), r.clus.recall())
			}
			if r.pair.precision() < 1 || r.pair.recall() < 1 {
				t.Errorf("same-language pairwise precision %.3f / recall %.3f, want 1.000 / 1.000", r.pair.precision(), r.pair.recall())
			}
		})
	}
}

type measured struct{ pair, hard, clus, cross, blind counts }

// measure assigns the fixtures in time order and judges every pair.
func measure(t *testing.T, fx []fixture) measured {
	fx = slices.Clone(fx)
	slices.SortStableFunc(fx, func(a, b fixture) int { return a.a.Published.Compare(b.a.Published) })
	now := fx[0].a.Published
	c := New(Options{Now: func() time.Time { return now }})
	var r measured
	storyOf := map[string]string{}
	for i := range fx {
		now = fx[i].a.Published
		a := fx[i].a
		s, _ := c.Assign(&a)
		storyOf[a.ID] = s.ID
	}
	// Each pair is scored as Similarity does, with each article's
	// features computed once.
	feats := make([]features, len(fx))
	for i := range fx {
		feats[i] = extract(&fx[i].a, c.tagger)
		feats[i].at = articleTime(&fx[i].a, now)
	}
	score := func(i, j int, blind bool) float64 {
		fi, fj := feats[i], feats[j]
		if blind {
			fi.at, fj.at = now, now
		}
		return pairScore(fi, fj, c.opts.MinShared)
	}
	for i := range fx {
		for j := i + 1; j < len(fx); j++ {
			x, y := fx[i], fx[j]
			same := x.label() == y.label()
			if lang(x.a.Title+x.a.Body) != lang(y.a.Title+y.a.Body) {
				joined := storyOf[x.a.ID] == storyOf[y.a.ID]
				tally(&r.cross, same, joined)
				if testing.Verbose() && (same || joined || x.topic == y.topic) {
					t.Logf("cross: same=%-5v joined=%-5v score=%.3f %s | %s", same, joined, score(i, j, false), x.a.ID, y.a.ID)
				}
				continue
			}
			sim := score(i, j, false)
			predPair := sim >= c.opts.Threshold
			predClus := storyOf[x.a.ID] == storyOf[y.a.ID]
			tally(&r.pair, same, predPair)
			// The same pair as if both appeared at once: content alone.
			tally(&r.blind, same, score(i, j, true) >= c.opts.Threshold)
			tally(&r.clus, same, predClus)
			if x.topic == y.topic && !same {
				tally(&r.hard, same, predPair)
			}
			if testing.Verbose() && (same || x.topic == y.topic || predPair) {
				t.Logf("pair: same=%-5v pred=%-5v score=%.3f %s | %s", same, predPair, sim, x.a.ID, y.a.ID)
			}
		}
	}
	return r
}

func tally(c *counts, same, pred bool) {
	switch {
	case same && pred:
		c.tp++
	case same:
		c.fn++
	case pred:
		c.fp++
	default:
		c.tn++
	}
}

func TestAssignJoinsAndNamesSources(t *testing.T) {
	fx := loadFixtures(t)
	byID := map[string]alerts.Article{}
	for _, f := range fx {
		byID[f.a.ID] = f.a
	}
	now := time.Date(2025, 3, 28, 12, 0, 0, 0, time.UTC)
	c := New(Options{Now: func() time.Time { return now }})

	first := byID["quake/a/BBC"]
	s1, joined := c.Assign(&first)
	if joined {
		t.Fatal("the first article joined a story")
	}
	if s1.FirstArticle != first.ID || s1.Title != first.Title || !slices.Equal(s1.Sources, []string{"BBC"}) {
		t.Errorf("new story = %+v", s1)
	}
	if first.StoryID != s1.ID {
		t.Errorf("article StoryID %q, want %q", first.StoryID, s1.ID)
	}

	second := byID["quake/a/Reuters"]
	s2, joined := c.Assign(&second)
	if !joined || s2.ID != s1.ID {
		t.Fatalf("Reuters did not join the BBC story: %+v joined=%v", s2, joined)
	}
	if !slices.Equal(s2.Sources, []string{"BBC", "Reuters"}) {
		t.Errorf("sources = %q", s2.Sources)
	}

	// The same article again (a re-ingest) is in its story, whatever it
	// joined.
	if s, joined := c.Assign(&second); !joined || s.ID != s1.ID {
		t.Errorf("the same article again: %+v joined=%v", s, joined)
	}

	// The same outlet again (an update) joins without a second mention.
	again := second
	again.ID = "quake/a/Reuters-update"
	s3, joined := c.Assign(&again)
	if !joined || !slices.Equal(s3.Sources, []string{"BBC", "Reuters"}) {
		t.Errorf("same outlet again: joined=%v sources=%q", joined, s3.Sources)
	}

	// The next day's follow-up (death toll, rescue teams) is a new story.
	now = now.Add(22 * time.Hour)
	follow := byID["quake/b/Reuters"]
	s4, joined := c.Assign(&follow)
	if joined || s4.ID == s1.ID {
		t.Errorf("the follow-up joined the first story")
	}

	// Past the window, the first story is gone: the same event opens anew.
	now = now.Add(72 * time.Hour)
	late := byID["quake/a/AP"]
	late.Published = now
	if _, joined := c.Assign(&late); joined {
		t.Error("an article joined a story past the window")
	}
}

// An old report fetched late (a feed added today, a backfill, `herald
// console` on last week's files) still meets the other reports of its day:
// the window counts from when Herald took the articles in, and the articles'
// own times must lie within it of each other.
func TestAssignLateArticles(t *testing.T) {
	fx := loadFixtures(t)
	byID := map[string]alerts.Article{}
	for _, f := range fx {
		byID[f.a.ID] = f.a
	}
	bbc, reuters := byID["quake/a/BBC"], byID["quake/a/Reuters"]
	now := bbc.Published.Add(5 * 24 * time.Hour)
	c := New(Options{Now: func() time.Time { return now }})
	s1, _ := c.Assign(&bbc)
	s2, joined := c.Assign(&reuters)
	if !joined || s2.ID != s1.ID {
		t.Fatalf("two reports of one event published 5 days ago, taken in now, are two stories")
	}

	// The same text dated three days later is not the same event, though
	// its words alone (after the time decay) would still pass.
	c = New(Options{Now: func() time.Time { return now }})
	c.Assign(&bbc)
	later := bbc
	later.ID, later.URL = "quake/a/BBC-again", "https://example.com/again"
	later.Published = bbc.Published.Add(3 * 24 * time.Hour)
	if sc := c.Similarity(&bbc, &later); sc < c.opts.Threshold {
		t.Fatalf("the test needs a pair that passes on its words: score %.2f", sc)
	}
	if _, joined := c.Assign(&later); joined {
		t.Error("reports published three days apart joined one story")
	}
}

func TestSeedRestoresWindow(t *testing.T) {
	fx := loadFixtures(t)
	byID := map[string]alerts.Article{}
	for _, f := range fx {
		byID[f.a.ID] = f.a
	}
	now := time.Date(2025, 1, 13, 13, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	c1 := New(Options{Now: clock})
	a := byID["gaza/a/BBC"]
	s, _ := c1.Assign(&a)

	// Restart: a new clusterer seeded from what the store kept.
	c2 := New(Options{Now: clock})
	c2.Seed([]alerts.Story{s}, []alerts.Article{a})
	b := byID["gaza/a/Al Jazeera"]
	got, joined := c2.Assign(&b)
	if !joined || got.ID != s.ID {
		t.Fatalf("after Seed, Al Jazeera did not join the BBC story: %+v", got)
	}
	if !slices.Equal(got.Sources, []string{"BBC", "Al Jazeera"}) {
		t.Errorf("sources = %q", got.Sources)
	}

	// Without the stored story, the articles rebuild it.
	c4 := New(Options{Now: clock})
	c4.Seed(nil, []alerts.Article{a})
	b2 := byID["gaza/a/Times of Israel"]
	got, joined = c4.Assign(&b2)
	if !joined || got.ID != s.ID || !slices.Equal(got.Sources, []string{"BBC", "Times of Israel"}) {
		t.Errorf("after Seed without stories: %+v joined=%v", got, joined)
	}

	// Articles outside the window are not seeded.
	c3 := New(Options{Now: func() time.Time { return now.Add(50 * time.Hour) }})
	c3.Seed([]alerts.Story{s}, []alerts.Article{a})
	if c3.Len() != 0 {
		t.Errorf("seeded %d stories from articles past the window", c3.Len())
	}
}

func TestAssignConcurrent(t *testing.T) {
	fx := loadFixtures(t)
	c := New(Options{})
	var wg sync.WaitGroup
	for i := range fx {
		wg.Add(1)
		go func(a alerts.Article) {
			defer wg.Done()
			a.Published = time.Time{}
			c.Assign(&a)
		}(fx[i].a)
	}
	wg.Wait()
	if n := c.Len(); n == 0 || n > len(fx) {
		t.Errorf("%d stories from %d articles", n, len(fx))
	}
}

// TestPreparedAssignIsAssign: articles read all at once with Prepare, on
// many goroutines, and assigned in their order, form the stories Assign
// forms one by one.
func TestPreparedAssignIsAssign(t *testing.T) {
	fx := loadFixtures(t)
	slices.SortStableFunc(fx, func(a, b fixture) int { return a.a.Published.Compare(b.a.Published) })
	now := fx[len(fx)-1].a.Published.Add(time.Hour)
	clock := func() time.Time { return now }
	one, two := New(Options{Now: clock}), New(Options{Now: clock})
	assigns := make([]func() (alerts.Story, bool), len(fx))
	arts := make([]alerts.Article, len(fx))
	var wg sync.WaitGroup
	for i := range fx {
		arts[i] = fx[i].a
		wg.Add(1)
		go func() { defer wg.Done(); assigns[i] = two.Prepare(&arts[i]) }()
	}
	wg.Wait()
	for i := range fx {
		a := fx[i].a
		want, wantJoined := one.Assign(&a)
		got, joined := assigns[i]()
		if got.ID != want.ID || joined != wantJoined || !slices.Equal(got.Sources, want.Sources) || arts[i].StoryID != a.StoryID {
			t.Fatalf("%s: prepared %+v (joined %v), Assign %+v (joined %v)", a.ID, got, joined, want, wantJoined)
		}
	}
}

func TestAssignEmptyArticles(t *testing.T) {
	c := New(Options{})
	a, b := alerts.Article{ID: "a"}, alerts.Article{ID: "b"}
	s1, _ := c.Assign(&a)
	s2, joined := c.Assign(&b)
	if joined || s1.ID == s2.ID {
		t.Error("two empty articles made one story")
	}
}

// BenchmarkAssign places an article in a story with a window of 2,000
// and of 20,000 other articles: the cost should not grow with the window.
func BenchmarkAssign(b *testing.B) {
	for _, n := range []int{2000, 20000} {
		b.Run(fmt.Sprintf("window=%d", n), func(b *testing.B) { benchAssign(b, n) })
	}
}

func benchAssign(b *testing.B, window int) {
	fx := loadFixtures(b)
	// A window of other stories: articles made of fixture words in random
	// order, so that they share vocabulary, names and figures but not
	// events.
	var vocab []string
	for _, f := range fx {
		vocab = append(vocab, strings.Fields(f.a.Body)...)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	c := New(Options{})
	for i := range window {
		words := make([]string, 120)
		for k := range words {
			words[k] = vocab[rng.IntN(len(vocab))]
		}
		a := alerts.Article{ID: fmt.Sprintf("bg-%d", i), Source: fmt.Sprintf("s%d", i%50),
			Title: strings.Join(words[:8], " "), Body: strings.Join(words[8:], " ")}
		c.Assign(&a)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a := fx[i%len(fx)].a
		a.ID = fmt.Sprintf("x-%d", i)
		a.Published = time.Time{}
		c.Assign(&a)
		i++
	}
}

// clusterer is bot.Clusterer, restated: alerts packages do not import bot.
type clusterer interface {
	Assign(a *alerts.Article) (alerts.Story, bool)
}

var _ clusterer = (*Clusterer)(nil)

// FuzzAssign: any text is placed in a story without a panic, and the same
// article again is in the same story.
func FuzzAssign(f *testing.F) {
	for _, s := range []string{"Putin met Witkoff on Friday, 14 March; 67 ракет і 194 дрони", "15,5% 1,000 1.5", "в пятницу 3 мая", ""} {
		f.Add(s)
	}
	c := New(Options{})
	f.Fuzz(func(t *testing.T, text string) {
		a := alerts.Article{ID: text, Title: text, Body: text + " " + text}
		s1, _ := c.Assign(&a)
		s2, joined := c.Assign(&a)
		if !joined || s1.ID != s2.ID {
			t.Fatalf("the same article again made story %q, not %q", s2.ID, s1.ID)
		}
	})
}
