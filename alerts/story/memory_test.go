package story

import (
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
)

// stream makes a long run of varied articles out of the labelled fixtures,
// for the window's benchmarks and tests. Article i reports event ev (one of
// the 60 events from i/3 on, so an event gets three reports on average); event
// ev retells a fixture with a share of its words and names changed and its
// figures shifted by ev, so that two events told from one fixture differ
// as two events do. Each report adds background of its own, 100–250
// made-up lower-case words, which brings it to the length of a news
// report.
type stream struct {
	fx    []fixture
	start time.Time
	span  time.Duration // article i appears at start + i*span/n
	n     int
}

func newStream(tb testing.TB, n int, span time.Duration) *stream {
	fx := append(loadFixtures(tb), loadFixtureFile(tb, "testdata/crosslang.txt")...)
	return &stream{fx: fx, n: n, span: span, start: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
}

// streamHash picks the words an event changes: 64-bit FNV-1a, the
// stream's own, so that it stays the same stream whatever the clusterer
// hashes with.
func streamHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// at is when article i appears.
func (s *stream) at(i int) time.Time {
	return s.start.Add(time.Duration(int64(s.span) * int64(i) / int64(s.n)))
}

// article returns article i of the stream: the same every time.
func (s *stream) article(i int) alerts.Article {
	r := rand.New(rand.NewPCG(7, uint64(i)))
	ev := i/3 + r.IntN(60)
	f := s.fx[rand.New(rand.NewPCG(11, uint64(ev))).IntN(len(s.fx))]
	vary := func(text string) string {
		words := strings.Fields(text)
		for w, x := range words {
			if n, err := strconv.Atoi(x); err == nil && n > 31 {
				words[w] = strconv.Itoa(n + ev)
			} else if h := streamHash(x + strconv.Itoa(ev)); h%10 < 4 {
				words[w] = x + "zq" + strconv.FormatUint(h%1000, 36)
			}
		}
		return strings.Join(words, " ")
	}
	var body strings.Builder
	body.WriteString(vary(f.a.Body))
	for range 100 + r.IntN(150) {
		// Zipf-like over 20,000 made-up words.
		body.WriteString(" w")
		body.WriteString(strconv.FormatInt(int64(r.IntN(1+r.IntN(20_000))), 36))
	}
	return alerts.Article{
		ID:        fmt.Sprintf("%s/%d", f.a.ID, i),
		Outlet:    f.a.Outlet,
		Source:    f.a.Source,
		Title:     vary(f.a.Title),
		Body:      body.String(),
		Published: s.at(i).Add(-time.Duration(r.IntN(60)) * time.Minute),
	}
}

// clusterer returns a Clusterer whose clock is s's clock.
func (s *stream) clusterer(opts Options) (*Clusterer, *time.Time) {
	now := s.start
	opts.Now = func() time.Time { return now }
	return New(opts), &now
}

// fill assigns articles from…to-1 of s to c, with c's clock (now) at each
// article's time.
func (s *stream) fill(c *Clusterer, now *time.Time, from, to int) {
	for i := from; i < to; i++ {
		*now = s.at(i)
		a := s.article(i)
		c.Assign(&a)
	}
}

// BenchmarkWindowMemory fills a Clusterer with a day and a half of varied
// articles (all within the 48 h window) and reports the heap the window
// keeps per article (heapB/article): what the second half of the articles
// added to the live heap, over their number, so that what the first
// articles set up once (the stem memo, the maps' first buckets) is left
// out.
//
//	go test -run '^$' -bench WindowMemory -benchtime 1x ./alerts/story
func BenchmarkWindowMemory(b *testing.B) {
	for _, n := range []int{10_000, 40_000} {
		b.Run(fmt.Sprintf("articles=%d", n), func(b *testing.B) {
			s := newStream(b, n, 36*time.Hour)
			for b.Loop() {
				c, now := s.clusterer(Options{})
				s.fill(c, now, 0, n/2)
				before := heapInUse()
				s.fill(c, now, n/2, n)
				after := heapInUse()
				b.ReportMetric(float64(after-before)/float64(n-n/2), "heapB/article")
				b.ReportMetric(float64(c.Len()), "stories")
				runtime.KeepAlive(c)
			}
		})
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

var update = flag.Bool("update", false, "rewrite testdata/stream-stories.txt from the clusterer as it is")

// TestStreamDecisions assigns three days of varied articles (stream) and
// compares the stories with testdata/stream-stories.txt, recorded before
// the window was made compact: the window's layout, its 32-bit hashes
// and its bound on members must not change which story an article joins.
// After a deliberate change to the scores, rewrite the file with -update.
func TestStreamDecisions(t *testing.T) {
	if testing.Short() {
		t.Skip("assigns 4,000 articles")
	}
	s := newStream(t, 4000, 72*time.Hour)
	c, now := s.clusterer(Options{})
	first := map[string]int{} // story ID → the article that opened it
	got := make([]int, s.n)
	for i := range s.n {
		*now = s.at(i)
		a := s.article(i)
		st, _ := c.Assign(&a)
		if _, ok := first[st.ID]; !ok {
			first[st.ID] = i
		}
		got[i] = first[st.ID]
	}
	const path = "testdata/stream-stories.txt"
	if *update {
		var b strings.Builder
		b.WriteString("# For each article of TestStreamDecisions's stream, the article that opened its story.\n")
		for i, f := range got {
			b.WriteString(strconv.Itoa(f))
			if i%20 == 19 {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, f := range strings.Fields(line) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			want = append(want, n)
		}
	}
	if len(want) != len(got) {
		t.Fatalf("%s has %d articles, the stream %d", path, len(want), len(got))
	}
	joined, diff := 0, 0
	for i := range got {
		if want[i] != i {
			joined++
		}
		if got[i] != want[i] {
			if diff++; diff <= 10 {
				t.Errorf("article %d: in the story of article %d, want %d", i, got[i], want[i])
			}
		}
	}
	if diff > 0 {
		t.Errorf("%d of %d articles in another story", diff, len(got))
	}
	t.Logf("%d articles, %d joined a story, %d stories", len(got), joined, len(got)-joined)
}

// TestMaxArticlesBoundsWindow: past MaxArticles, the articles that came
// first leave the window, and their stories with them, whatever their
// time; below it, nothing changes.
func TestMaxArticlesBoundsWindow(t *testing.T) {
	fx := loadFixtures(t)
	byLabel := map[string]alerts.Article{}
	for _, f := range fx {
		if _, ok := byLabel[f.label()]; !ok {
			byLabel[f.label()] = f.a
		}
	}
	now := time.Date(2025, 3, 28, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		max  int
		join bool
	}{{3, false}, {4, true}} {
		c := New(Options{MaxArticles: tc.max, Now: func() time.Time { return now }})
		first := byLabel["quake/a"]
		s, _ := c.Assign(&first)
		for _, label := range []string{"fed/a", "grain/a", "nvidia/a"} {
			a := byLabel[label]
			if _, joined := c.Assign(&a); joined {
				t.Fatalf("%s joined a story: the test needs three articles of their own", label)
			}
		}
		if n := c.Len(); n != min(4, tc.max) {
			t.Errorf("MaxArticles %d: %d stories in the window, want %d", tc.max, n, min(4, tc.max))
		}
		var second alerts.Article
		for _, f := range fx {
			if f.label() == "quake/a" && f.a.ID != first.ID {
				second = f.a
				break
			}
		}
		got, joined := c.Assign(&second)
		if joined != tc.join || (got.ID == s.ID) != tc.join {
			t.Errorf("MaxArticles %d: the second report joined the first's story: %v, want %v", tc.max, joined, tc.join)
		}
	}

	// A long run stays within the bound, stories and index alike.
	st := newStream(t, 3000, 36*time.Hour)
	c, clock := st.clusterer(Options{MaxArticles: 500})
	st.fill(c, clock, 0, st.n)
	if n := len(c.win.members); n != 500 {
		t.Errorf("%d articles in the window, want 500", n)
	}
	if n := c.Len(); n > 500 {
		t.Errorf("%d stories in a window of 500 articles", n)
	}
	for _, l := range c.win.byKey {
		for _, m := range l {
			if m.seen.Before(st.at(st.n - 500)) {
				t.Fatalf("the index keeps %s, gone from the window", m.id)
			}
		}
	}
	if len(c.win.byID) > 500 {
		t.Errorf("%d IDs indexed in a window of 500 articles", len(c.win.byID))
	}
}
