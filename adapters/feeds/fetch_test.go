package feeds

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
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
// feed that waits longer than Timeout behind others is read in full. What
// makes this test wait is the very thing it tests: time passing while the
// fetch waits.
func TestWaitingForTheBudgetIsNoStall(t *testing.T) {
	doc := feedtest.BigDocument(50_000, 3<<20)
	s := &feedtest.Static{Doc: doc}
	srv := httptest.NewServer(s)
	defer srv.Close()
	const timeout = 300 * time.Millisecond
	f := newFetcher(FetchOptions{Timeout: timeout, ParseBytes: 4 << 20}, "")
	if err := f.parses.Acquire(context.Background(), 4<<20); err != nil { // another document holds it all
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
	waitFor(t, func() bool { return s.Written.Load() >= 1<<20 })
	select {
	case r := <-done:
		t.Fatalf("the fetch ended while the budget was held: %d items, %v", r.items, r.err)
	case <-time.After(3 * timeout):
	}
	f.parses.Release(4 << 20)
	if r := <-done; r.err != nil || r.items != DefaultMaxItems {
		t.Errorf("after waiting: %d items, %v", r.items, r.err)
	}
}
