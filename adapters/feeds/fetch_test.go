package feeds

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/feeds/feedtest"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func chtimes(t *testing.T, path string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

func TestFetchHeaders(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"", 0},
		{"soon", 0},
		{"Tue, 24 Nov 2026 12:05:00 GMT", 5 * time.Minute},
		{"Tue, 24 Nov 2026 11:00:00 GMT", 0},
	} {
		if got := fetchRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("Retry-After %q = %v, want %v", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in   []string
		want time.Duration
	}{
		{[]string{"public, max-age=600"}, 10 * time.Minute},
		{[]string{"no-cache", "MAX-AGE=\"60\""}, time.Minute},
		{[]string{"no-store"}, 0},
		{[]string{"max-age=abc"}, 0},
	} {
		if got := fetchMaxAge(tt.in); got != tt.want {
			t.Errorf("Cache-Control %q = %v, want %v", tt.in, got, tt.want)
		}
	}
	hub, self := fetchLinkHeader([]string{`<https://hub.example/>; rel="hub", <https://x.example/feed>; rel=self`})
	if hub != "https://hub.example/" || self != "https://x.example/feed" {
		t.Errorf("Link header: hub %q self %q", hub, self)
	}
}

func TestFetchGzipAndConditional(t *testing.T) {
	doc := []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Z</title><item><title>Zipped</title><guid>z1</guid></item></channel></rss>`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"1"` || r.Header.Get("If-Modified-Since") == "Tue, 24 Nov 2026 10:00:00 GMT" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"1"`)
		w.Header().Set("Last-Modified", "Tue, 24 Nov 2026 10:00:00 GMT")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(doc)
		zw.Close()
	}))
	defer srv.Close()
	f := newFetcher(FetchOptions{}, "")
	var body []byte
	res, err := f.fetch(context.Background(), fetchRequest{URL: srv.URL}, func(_ *fetchResult, r io.Reader) (err error) {
		body, err = io.ReadAll(r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != string(doc) || res.ETag != `"1"` || res.LastModified == "" {
		t.Fatalf("gzip fetch: %q etag %q", body, res.ETag)
	}
	for _, cond := range [][2]string{{`"1"`, ""}, {"", "Tue, 24 Nov 2026 10:00:00 GMT"}} {
		res, err = f.fetch(context.Background(), fetchRequest{URL: srv.URL, ETag: cond[0], LastModified: cond[1]}, nil)
		if err != nil || !res.NotModified {
			t.Errorf("conditional GET %v: %+v %v", cond, res, err)
		}
	}
}

func TestHostLimiterAllowsTwoPerHost(t *testing.T) {
	release := make(chan struct{})
	var inFlight, peak int64
	var mu = make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu <- struct{}{}
		inFlight++
		peak = max(peak, inFlight)
		<-mu
		<-release
		mu <- struct{}{}
		inFlight--
		<-mu
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	f := newFetcher(FetchOptions{}, "")
	done := make(chan struct{})
	for range 6 {
		go func() {
			f.fetch(context.Background(), fetchRequest{URL: srv.URL, ETag: "x"}, nil)
			done <- struct{}{}
		}()
	}
	// Let the requests pile up, then release them one by one.
	waitFor(t, func() bool { mu <- struct{}{}; n := inFlight; <-mu; return n == 2 })
	for range 6 {
		release <- struct{}{}
		<-done
	}
	if peak != 2 {
		t.Errorf("peak concurrent requests to one host = %d, want 2", peak)
	}
}

func FuzzFetchHeaders(f *testing.F) {
	f.Add("120", "public, max-age=600", `<https://hub.example/>; rel="hub", <https://x.example/feed>; rel=self`)
	f.Add("Tue, 24 Nov 2026 12:05:00 GMT", "max-age=\"60\"", `<>; rel=hub`)
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, retry, cache, link string) {
		if d := fetchRetryAfter(retry, now); d < 0 {
			t.Fatalf("negative Retry-After %v from %q", d, retry)
		}
		if d := fetchMaxAge([]string{cache}); d < 0 {
			t.Fatalf("negative max-age %v from %q", d, cache)
		}
		fetchLinkHeader([]string{link})
	})
}

// Waiting for a share of the budget for large documents is no stall: a
// feed that waits longer than Timeout behind others is read in full. The
// stall timer is the test's: it fires, as if Timeout had passed, while the
// fetch waits for the budget, so no wall clock decides the outcome.
func TestWaitingForTheBudgetIsNoStall(t *testing.T) {
	doc := feedtest.BigDocument(50_000, 3<<20)
	srv := httptest.NewServer(&feedtest.Static{Doc: doc})
	defer srv.Close()
	f := newFetcher(FetchOptions{Timeout: time.Minute, ParseBytes: 4 << 20}, "")
	timer := &manualTimer{}
	f.afterFunc = timer.start
	gate := &signalGate{parseGate: f.parses, waiting: make(chan struct{}, 1)}
	f.parses = gate
	if err := gate.parseGate.Acquire(context.Background(), 4<<20); err != nil { // another document holds it all
		t.Fatal(err)
	}
	type result struct {
		items int
		err   error
	}
	done := make(chan result, 1)
	go func() {
		var pf *parsedFeed
		_, err := f.fetch(context.Background(), fetchRequest{URL: srv.URL}, func(res *fetchResult, body io.Reader) (err error) {
			pf, err = parseFeedDoc(context.Background(), body, docMeta{FeedURL: srv.URL}, 0)
			return err
		})
		r := result{err: err}
		if pf != nil {
			r.items = len(pf.Items)
		}
		done <- r
	}()
	select {
	case <-gate.waiting:
	case r := <-done:
		t.Fatalf("the fetch ended without waiting for the budget: %d items, %v", r.items, r.err)
	}
	// Timeout passes while the fetch waits (were the timer running, this
	// would cut the request off)…
	if timer.fire() {
		t.Error("the stall timer ran while the fetch waited for the budget")
	}
	// …and once the budget is free, the whole document is read.
	gate.parseGate.Release(4 << 20)
	if r := <-done; r.err != nil || r.items != DefaultMaxItems {
		t.Errorf("after waiting: %d items, %v", r.items, r.err)
	}
}

// manualTimer is a stall timer that fires only when the test says.
type manualTimer struct {
	mu     sync.Mutex
	fn     func()
	armed  bool
	resets int
}

// start is the fetcher's afterFunc: the timer runs from the request on.
func (m *manualTimer) start(_ time.Duration, fn func()) stallTimer {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fn, m.armed, m.resets = fn, true, 0
	return m
}

func (m *manualTimer) Reset(time.Duration) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	was := m.armed
	m.armed = true
	m.resets++
	return was
}

// readingBody says whether a read of the body waits for the network: the
// timer runs again after the answer's headers stopped it.
func (m *manualTimer) readingBody() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.armed && m.resets > 0
}

func (m *manualTimer) Stop() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	was := m.armed
	m.armed = false
	return was
}

// fire runs the timer's function if it is running, as time.Timer would
// once its duration passed, and says whether it ran.
func (m *manualTimer) fire() bool {
	m.mu.Lock()
	fn, armed := m.fn, m.armed
	m.armed = false
	m.mu.Unlock()
	if armed {
		fn()
	}
	return armed
}

// signalGate tells on waiting when a fetch asks for a share of the budget.
type signalGate struct {
	parseGate
	waiting chan struct{}
}

func (g *signalGate) Acquire(ctx context.Context, n int64) error {
	select {
	case g.waiting <- struct{}{}:
	default:
	}
	return g.parseGate.Acquire(ctx, n)
}
