package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/feeds/feedtest"
	"github.com/herald-news/herald/alerts"
)

// A feed of many items costs what the newest MaxItems cost: those are the
// ones kept, in the document's order, whatever order the feed lists them.
func TestParseKeepsTheNewestItems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>Shuffled</title>`)
	base := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	// Items 0..29, dated i hours after base, listed in a shuffled order;
	// two undated ones, which count as the oldest.
	order := []int{5, 29, 0, 17, 3, 28, 11, 22, 9, 26, 1, 14, 27, 8, 19, 25, 2, 16, 24, 6, 13, 23, 4, 21, 10, 18, 20, 7, 15, 12}
	b.WriteString(`<item><title>undated A</title><guid>ua</guid></item>`)
	for _, i := range order {
		fmt.Fprintf(&b, "<item><title>item %d</title><guid>g%d</guid><pubDate>%s</pubDate></item>", i, i, base.Add(time.Duration(i)*time.Hour).Format(time.RFC1123Z))
	}
	b.WriteString(`<item><title>undated B</title><guid>ub</guid></item></channel></rss>`)
	pf, err := parseFeedDoc(context.Background(), strings.NewReader(b.String()), docMeta{FeedURL: "https://s.example/"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, i := range order {
		if i >= 20 {
			want = append(want, fmt.Sprintf("item %d", i))
		}
	}
	if got := strings.Join(titles(pf), ","); got != strings.Join(want, ",") || pf.Skipped != 22 {
		t.Errorf("kept %s (skipped %d), want %s (skipped 22)", got, pf.Skipped, strings.Join(want, ","))
	}
}

// countingReader counts what is read through it and calls at once past
// a mark.
type countingReader struct {
	r    io.Reader
	n    int64
	mark int64
	at   func()
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.at != nil && c.n >= c.mark {
		c.at()
		c.at = nil
	}
	return n, err
}

// A parse stops when its context ends, having read little more than it
// had: shutting down does not wait for a 10 MiB feed to be read.
func TestParseStopsWhenCancelled(t *testing.T) {
	doc := feedtest.BigDocument(300_000, 10<<20-1024)
	for _, kind := range []string{"xml", "json"} {
		data := doc
		if kind == "json" {
			var b bytes.Buffer
			b.WriteString(`{"version":"https://jsonfeed.org/version/1.1","title":"Big","items":[`)
			for i := range 200_000 {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"id":"%d","title":"t%d"}`, i, i)
			}
			b.WriteString("]}")
			data = b.Bytes()
		}
		ctx, cancel := context.WithCancel(context.Background())
		cr := &countingReader{r: bytes.NewReader(data), mark: 1 << 20, at: cancel}
		_, err := parseFeedDoc(ctx, cr, docMeta{FeedURL: "https://big.example/"}, 0)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", kind, err)
		}
		if cr.n > 2<<20 {
			t.Errorf("%s: read %d bytes after the cancel at 1 MiB, of %d", kind, cr.n, len(data))
		}
	}
}

// bigFeeds serves n copies of a 10 MiB feed of 300,000 items, each from its
// own server (its own host for the per-host limit).
func bigFeeds(t testing.TB, n int) ([]string, []*feedtest.Static) {
	doc := feedtest.BigDocument(300_000, 10<<20-1024)
	var urls []string
	var feeds []*feedtest.Static
	for range n {
		s := &feedtest.Static{Doc: doc}
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL+"/feed.xml")
		feeds = append(feeds, s)
	}
	return urls, feeds
}

// Stopping while fourteen 10 MiB feeds are being read does not wait for
// them: Run returns within the 5 s a SIGTERM allows, having written the
// feeds' state, and no feed is marked failing for it.
func TestRunStopsDuringBigParses(t *testing.T) {
	if testing.Short() {
		t.Skip("serves fourteen 10 MiB feeds")
	}
	urls, feeds := bigFeeds(t, 14)
	store := newMemStore()
	p := NewPoller(PollerOptions{Feeds: urls, FlushInterval: time.Hour}, store, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	out := make(chan alerts.Article, 16)
	go func() { done <- p.Run(ctx, out) }()
	// In flight: every feed has sent its first MiB (the first few are
	// being parsed, the others wait for their share of the byte budget).
	waitFor(t, func() bool {
		for _, f := range feeds {
			if f.Written.Load() < 1<<20 {
				return false
			}
		}
		return true
	})
	if n := p.stats.completed.Load(); n == 14 {
		t.Fatal("every parse finished before the stop; the test proves nothing")
	}
	stopped := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of the stop")
	}
	t.Logf("Run returned %v after the stop", time.Since(stopped).Round(time.Millisecond))
	for _, s := range p.Sources() {
		if s.State != StateOK || s.LastError != "" {
			t.Errorf("%s after the stop: %s %s", s.URL, s.State, s.LastError)
		}
	}
}
