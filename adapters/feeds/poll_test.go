package feeds

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/feeds/feedtest"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// memStore is a StateStore in memory.
type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemStore() *memStore { return &memStore{m: map[string][]byte{}} }

func (s *memStore) GetMeta(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return nil, fmt.Errorf("meta %q: %w", key, alerts.ErrNotFound)
	}
	return append([]byte(nil), v...), nil
}

func (s *memStore) PutMeta(key string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = append([]byte(nil), v...)
	return nil
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func item(n int) feedtest.Item {
	return feedtest.Item{
		GUID:        fmt.Sprintf("item-%d", n),
		Title:       fmt.Sprintf("Story number %d about the ceasefire", n),
		Link:        fmt.Sprintf("https://news.example/%d", n),
		Description: fmt.Sprintf("Body of story %d.", n),
	}
}

// pollOnce polls one feed by URL as a worker would, collecting what it
// emits.
func pollOnce(t *testing.T, p *Poller, url string) []alerts.Article {
	t.Helper()
	p.mu.Lock()
	f := p.feeds[url]
	p.mu.Unlock()
	if f == nil {
		t.Fatalf("no feed %s", url)
	}
	out := make(chan alerts.Article, 100)
	p.pollFeed(context.Background(), f, out, func() {})
	close(out)
	var got []alerts.Article
	for a := range out {
		got = append(got, a)
	}
	return got
}

func sourceOf(t *testing.T, p *Poller, url string) bot.SourceStatus {
	t.Helper()
	for _, s := range p.Sources() {
		if s.URL == url {
			return s
		}
	}
	t.Fatalf("no source %s in %+v", url, p.Sources())
	return bot.SourceStatus{}
}

func TestBaselineSuppressesBacklogAndNewItemOnce(t *testing.T) {
	fd := feedtest.NewFeed("Wire", item(3), item(2), item(1))
	srv := httptest.NewServer(fd)
	defer srv.Close()
	store := newMemStore()
	clock := newFakeClock()
	opts := PollerOptions{Feeds: []string{srv.URL}, Now: clock.Now}
	p := NewPoller(opts, store, nil)

	if got := pollOnce(t, p, srv.URL); len(got) != 0 {
		t.Fatalf("first fetch emitted the backlog: %d articles", len(got))
	}
	if s := sourceOf(t, p, srv.URL); s.State != StateOK || s.Title != "Wire" {
		t.Errorf("after baseline: %+v", s)
	}
	fd.Add(item(4))
	got := pollOnce(t, p, srv.URL)
	if len(got) != 1 || got[0].Title != "Story number 4 about the ceasefire" || got[0].Source != "Wire" {
		t.Fatalf("new item: got %+v", got)
	}
	if got := pollOnce(t, p, srv.URL); len(got) != 0 {
		t.Fatalf("re-poll emitted %d articles again", len(got))
	}
	if fd.Conditional.Load() == 0 || p.Stats().NotModified == 0 {
		t.Errorf("re-polls were not conditional GETs answered 304: %+v", p.Stats())
	}
	if s := sourceOf(t, p, srv.URL); s.State != StateOK || s.LastError != "" {
		t.Errorf("after a 304: %+v", s)
	}

	// After a restart the state is remembered: nothing is emitted again,
	// and two newer items come out oldest first.
	p.flush()
	p2 := NewPoller(opts, store, nil)
	fd.Add(item(5))
	fd.Add(item(6))
	got = pollOnce(t, p2, srv.URL)
	if len(got) != 2 || got[0].GUID != "item-5" || got[1].GUID != "item-6" {
		t.Fatalf("after restart: got %+v", got)
	}
}

func TestFeedThatDropsAndReaddsItemsEmitsNothingOld(t *testing.T) {
	fd := feedtest.NewFeed("Wire", item(2), item(1))
	srv := httptest.NewServer(fd)
	defer srv.Close()
	p := NewPoller(PollerOptions{Feeds: []string{srv.URL}}, newMemStore(), nil)
	pollOnce(t, p, srv.URL)
	// The feed shows many items, then the old ones reappear.
	for i := 3; i < 40; i++ {
		fd.Add(item(i))
	}
	if got := pollOnce(t, p, srv.URL); len(got) != 37 {
		t.Fatalf("got %d new items, want 37", len(got))
	}
	fd.Add(item(1))
	if got := pollOnce(t, p, srv.URL); len(got) != 0 {
		t.Fatalf("an item seen before came out again: %+v", got)
	}
}

func TestBrokenServersReportedInHealth(t *testing.T) {
	mux := http.NewServeMux()
	good := feedtest.NewFeed("Good", item(1))
	mux.Handle("/good", good)
	mux.HandleFunc("/429", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // never finishes
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop?x="+r.URL.Query().Get("x")+"x", http.StatusFound)
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>`))
		chunk := []byte(strings.Repeat("x", 1<<20))
		for range 50 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!DOCTYPE html><html><body>hello</body></html>"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	wants := map[string]string{
		"/429":  "429 Too Many Requests; it asked to retry after 2m0s",
		"/500":  "500 Internal Server Error",
		"/slow": "timed out: nothing came for 1m0s while reading the body",
		"/loop": "stopped after 5 redirects",
		"/huge": "larger than the 10 MiB limit",
		"/html": "it looks like an HTML page",
	}
	var urls []string
	for _, path := range []string{"/good", "/429", "/500", "/loop", "/huge", "/html"} {
		urls = append(urls, srv.URL+path)
	}
	p := NewPoller(PollerOptions{
		Feeds:       urls,
		MinInterval: time.Hour, // one round is enough
	}, newMemStore(), nil)

	// The slow body stalls: its stall timer is the test's, fired once a
	// read of the body waits, as if the minute had passed, so no wall
	// clock decides which error comes.
	slow := NewPoller(PollerOptions{Feeds: []string{srv.URL + "/slow"}, Fetch: FetchOptions{Timeout: time.Minute}}, newMemStore(), nil)
	timer := &manualTimer{}
	slow.fetch.afterFunc = timer.start
	polled := make(chan struct{})
	go func() { defer close(polled); pollOnce(t, slow, srv.URL+"/slow") }()
	waitFor(t, timer.readingBody)
	timer.fire()
	<-polled
	if s := sourceOf(t, slow, srv.URL+"/slow"); s.State != StateFailing || !strings.Contains(s.LastError, wants["/slow"]) {
		t.Errorf("/slow: %+v", s)
	}
	// A server that is gone.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	down := NewPoller(PollerOptions{Feeds: []string{gone.URL}}, newMemStore(), nil)
	pollOnce(t, down, gone.URL)
	if s := sourceOf(t, down, gone.URL); s.State != StateFailing || s.LastError != "connection refused by "+strings.TrimPrefix(gone.URL, "http://") {
		t.Errorf("server gone: %+v", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	out := make(chan alerts.Article, 10)
	go func() { done <- p.Run(ctx, out) }()
	waitFor(t, func() bool { return p.Stats().Polls >= uint64(len(urls)) && allPolled(p) })

	now := time.Now()
	for _, s := range p.Sources() {
		t.Logf("%s: %s %q", s.URL, s.State, s.LastError)
		path := strings.TrimPrefix(s.URL, srv.URL)
		want, broken := wants[path]
		if !broken {
			if s.State != StateOK || s.LastOK.IsZero() {
				t.Errorf("%s: %+v, want ok", path, s)
			}
			continue
		}
		if s.State != StateFailing || s.FailingSince.IsZero() || !strings.Contains(s.LastError, want) {
			t.Errorf("%s: state %q last error %q, want failing with %q", path, s.State, s.LastError, want)
		}
		if path == "/429" && s.NextPoll.Before(now.Add(110*time.Second)) {
			t.Errorf("429: next poll %v ignores Retry-After", s.NextPoll)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// allPolled reports whether every source has been polled at least once.
func allPolled(p *Poller) bool {
	for _, s := range p.Sources() {
		if s.LastOK.IsZero() && s.LastError == "" {
			return false
		}
	}
	return true
}

// waitFor guards against a hang; it asserts nothing about speed.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 20s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIntervalAdaptsBacksOffAndDisables(t *testing.T) {
	fd := feedtest.NewFeed("Wire", item(1))
	failing := true
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		f := failing
		mu.Unlock()
		if f {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		fd.ServeHTTP(w, r)
	}))
	defer srv.Close()
	clock := newFakeClock()
	p := NewPoller(PollerOptions{
		Feeds: []string{srv.URL}, Now: clock.Now,
		MinInterval: time.Minute, MaxInterval: 30 * time.Minute, DisableAfter: 48 * time.Hour,
	}, newMemStore(), nil)
	f := p.feeds[srv.URL]
	next := func() time.Duration { return sourceOf(t, p, srv.URL).NextPoll.Sub(clock.Now()) }

	// Failures back off exponentially (±25% jitter), up to 4×max.
	var waits []time.Duration
	for range 8 {
		pollOnce(t, p, srv.URL)
		waits = append(waits, next())
	}
	if waits[0] > 75*time.Second || waits[3] < 6*time.Minute || waits[7] > 150*time.Minute {
		t.Errorf("backoff waits %v: want ~1m, 2m, 4m, 8m … capped at 2h", waits)
	}
	s := sourceOf(t, p, srv.URL)
	if s.State != StateFailing || !strings.Contains(s.LastError, "502 Bad Gateway") || !s.FailingSince.Equal(clock.Now()) {
		t.Errorf("failing feed: %+v", s)
	}

	// Recovery resets health.
	mu.Lock()
	failing = false
	mu.Unlock()
	pollOnce(t, p, srv.URL)
	if s := sourceOf(t, p, srv.URL); s.State != StateOK || s.LastError != "" {
		t.Errorf("recovered feed: %+v", s)
	}

	// Quiet feeds drift towards the max interval; busy ones towards min.
	for range 30 {
		pollOnce(t, p, srv.URL)
	}
	if f.st.Interval != 30*time.Minute {
		t.Errorf("quiet feed interval = %v, want 30m", f.st.Interval)
	}
	for i := range 10 {
		fd.Add(item(100 + i))
		pollOnce(t, p, srv.URL)
	}
	if f.st.Interval != time.Minute {
		t.Errorf("busy feed interval = %v, want 1m", f.st.Interval)
	}

	// Failing for longer than DisableAfter disables the feed.
	mu.Lock()
	failing = true
	mu.Unlock()
	pollOnce(t, p, srv.URL)
	clock.Add(49 * time.Hour)
	pollOnce(t, p, srv.URL)
	s = sourceOf(t, p, srv.URL)
	if s.State != StateDisabled || !s.NextPoll.IsZero() {
		t.Errorf("after 49h failing: %+v, want disabled", s)
	}
	// A chat admin adding it again re-enables it.
	mu.Lock()
	failing = false
	mu.Unlock()
	p.opts.AllowPrivate = true
	if s, err := p.AddSource(context.Background(), srv.URL, "test:chat"); err != nil || s.State != StateOK {
		t.Errorf("re-adding a disabled feed: %+v, %v", s, err)
	}
}

func TestCacheControlMaxAgeHonoured(t *testing.T) {
	fd := feedtest.NewFeed("Wire", item(1))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=900")
		fd.ServeHTTP(w, r)
	}))
	defer srv.Close()
	clock := newFakeClock()
	p := NewPoller(PollerOptions{Feeds: []string{srv.URL}, Now: clock.Now}, newMemStore(), nil)
	pollOnce(t, p, srv.URL)
	if wait := sourceOf(t, p, srv.URL).NextPoll.Sub(clock.Now()); wait < 13*time.Minute {
		t.Errorf("next poll in %v, want ≥ 15m (max-age) less jitter", wait)
	}
}

func TestFileFeed(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/feed.xml"
	fd := feedtest.NewFeed("Local", item(1))
	writeFile(t, path, fd.Document())
	url := "file://" + path
	p := NewPoller(PollerOptions{Feeds: []string{url}}, newMemStore(), nil)
	if got := pollOnce(t, p, url); len(got) != 0 {
		t.Fatalf("baseline emitted %d", len(got))
	}
	fd.Add(item(2))
	writeFile(t, path, fd.Document())
	// Make sure the modification time moves even on coarse filesystems.
	later := time.Now().Add(2 * time.Second)
	chtimes(t, path, later)
	got := pollOnce(t, p, url)
	if len(got) != 1 || got[0].GUID != "item-2" {
		t.Fatalf("file feed: got %+v", got)
	}
	if s := sourceOf(t, p, url); s.State != StateOK {
		t.Errorf("file feed health: %+v", s)
	}
	if _, err := p.AddSource(context.Background(), url, "test:chat"); err == nil || !strings.Contains(err.Error(), "only be configured by the operator") {
		t.Errorf("chat-added file:// feed: %v", err)
	}
}

func TestRunEmitsNewItemsAndStopsOnCancel(t *testing.T) {
	fd := feedtest.NewFeed("Wire", item(1))
	srv := httptest.NewServer(fd)
	defer srv.Close()
	p := NewPoller(PollerOptions{
		Feeds:       []string{srv.URL},
		MinInterval: 10 * time.Millisecond, MaxInterval: 20 * time.Millisecond,
		FlushInterval: 10 * time.Millisecond,
	}, newMemStore(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan alerts.Article)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, out) }()
	waitFor(t, func() bool { return !sourceOf(t, p, srv.URL).LastOK.IsZero() })
	fd.Add(item(2))
	select {
	case a := <-out:
		if a.GUID != "item-2" {
			t.Errorf("got %+v, want item-2", a)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no article from Run")
	}
	if err := p.Run(ctx, out); err == nil {
		t.Error("a second Run while running was accepted")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
}

func TestAddSourcePersistsAndBaselines(t *testing.T) {
	fd := feedtest.NewFeed("Added", item(2), item(1))
	srv := httptest.NewServer(fd)
	defer srv.Close()
	store := newMemStore()
	p := NewPoller(PollerOptions{AllowPrivate: true}, store, nil)
	s, err := p.AddSource(context.Background(), srv.URL+"/", "test:chat")
	if err != nil {
		t.Fatal(err)
	}
	if s.State != StateOK || s.Title != "Added" || s.NextPoll.IsZero() {
		t.Errorf("added: %+v", s)
	}
	// Restart: the chat-added feed is still there and its backlog stays
	// quiet.
	p2 := NewPoller(PollerOptions{AllowPrivate: true}, store, nil)
	if len(p2.Sources()) != 1 {
		t.Fatalf("after restart: %+v", p2.Sources())
	}
	fd.Add(item(3))
	if got := pollOnce(t, p2, srv.URL+"/"); len(got) != 1 || got[0].GUID != "item-3" {
		t.Fatalf("got %+v", got)
	}
	// Not a feed, or down: refused with the reason.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html><body>home page</body></html>"))
	}))
	defer bad.Close()
	if _, err := p.AddSource(context.Background(), bad.URL, "test:chat"); err == nil || !strings.Contains(err.Error(), "HTML page") {
		t.Errorf("adding a web page: %v", err)
	}
	if _, err := p.AddSource(context.Background(), "ftp://x.example/feed", "test:chat"); err == nil || !strings.Contains(err.Error(), "http://, https:// or file://") {
		t.Errorf("adding ftp: %v", err)
	}
}

// batchStore counts writes, and can batch them.
type batchStore struct {
	*memStore
	puts, batches int
}

func (s *batchStore) PutMeta(key string, v []byte) error {
	s.puts++
	return s.memStore.PutMeta(key, v)
}

func (s *batchStore) PutMetas(kv map[string][]byte) error {
	s.batches++
	for k, v := range kv {
		s.memStore.PutMeta(k, v)
	}
	return nil
}

func TestStateWritesAreFewAndBatched(t *testing.T) {
	var urls []string
	mux := http.NewServeMux()
	for i := range 3 {
		fd := feedtest.NewFeed(fmt.Sprintf("F%d", i), item(i))
		mux.Handle(fmt.Sprintf("/%d", i), fd)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for i := range 3 {
		urls = append(urls, fmt.Sprintf("%s/%d", srv.URL, i))
	}
	store := &batchStore{memStore: newMemStore()}
	clock := newFakeClock()
	p := NewPoller(PollerOptions{Feeds: urls, Now: clock.Now}, store, nil)
	for _, u := range urls {
		pollOnce(t, p, u)
	}
	p.flush()
	if store.batches != 1 || store.puts != 0 || len(store.m) != 3 {
		t.Fatalf("first flush: %d batches, %d single puts, %d keys", store.batches, store.puts, len(store.m))
	}
	// Feeds answering 304 are not rewritten at every poll…
	for _, u := range urls {
		pollOnce(t, p, u)
	}
	p.flush()
	if store.batches != 1 {
		t.Errorf("unchanged feeds were written again")
	}
	// …but at least hourly, so a restart resumes close to where it was.
	clock.Add(time.Hour)
	for _, u := range urls {
		pollOnce(t, p, u)
	}
	p.flush()
	if store.batches != 2 {
		t.Errorf("unchanged feeds not written after an hour: %d batches", store.batches)
	}
}

func TestSlowHostDoesNotStarveOthers(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "late", http.StatusServiceUnavailable)
	}))
	defer slow.Close()
	defer close(release)
	fast := httptest.NewServer(feedtest.NewFeed("Fast", item(1)))
	defer fast.Close()

	var urls []string
	for i := range 10 {
		urls = append(urls, fmt.Sprintf("%s/%d", slow.URL, i))
	}
	urls = append(urls, fast.URL)
	// Four workers, ten feeds on a host that hangs: two hang (the per-host
	// limit), the rest wait parked, and the other host is still polled.
	p := NewPoller(PollerOptions{Feeds: urls, Workers: 4, MinInterval: time.Hour}, newMemStore(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx, make(chan alerts.Article, 1)); close(done) }()
	waitFor(t, func() bool { return !sourceOf(t, p, fast.URL).LastOK.IsZero() })
	if n := p.Stats().Polls; n > 3 {
		t.Errorf("%d polls started; at most 2 to the hanging host plus 1", n)
	}
	cancel()
	<-done
}

func TestItemsNotSentAtShutdownComeBack(t *testing.T) {
	fd := feedtest.NewFeed("Wire", item(1))
	srv := httptest.NewServer(fd)
	defer srv.Close()
	store := newMemStore()
	p := NewPoller(PollerOptions{Feeds: []string{srv.URL}}, store, nil)
	pollOnce(t, p, srv.URL)
	fd.Add(item(2))
	// Shutting down while nobody reads: item 2 cannot be sent.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := p.feeds[srv.URL]
	p.emit(ctx, f, p.ingest(f, mustParse(t, fd.Document(), srv.URL)), make(chan alerts.Article))
	p.flush()
	// After a restart it is new again.
	p2 := NewPoller(PollerOptions{Feeds: []string{srv.URL}}, store, nil)
	if got := pollOnce(t, p2, srv.URL); len(got) != 1 || got[0].GUID != "item-2" {
		t.Fatalf("after restart: %+v", got)
	}
}

func mustParse(t *testing.T, doc []byte, feedURL string) *parsedFeed {
	t.Helper()
	pf, err := parseFeedDoc(context.Background(), bytes.NewReader(doc), docMeta{FeedURL: feedURL}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return pf
}

func TestAddSourceFollowsAPageToItsFeed(t *testing.T) {
	fd := feedtest.NewFeed("Site news", item(2), item(1))
	mux := http.NewServeMux()
	mux.Handle("/feed.xml", fd)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!DOCTYPE html><html><head><title>Site</title>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
</head><body><a href="/feed.xml">feed</a></body></html>`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p := NewPoller(PollerOptions{AllowPrivate: true}, newMemStore(), nil)
	// Without a scheme, https is assumed.
	if _, err := p.AddSource(context.Background(), strings.TrimPrefix(srv.URL, "http://"), "test:chat"); err == nil || !strings.Contains(err.Error(), "https://127.0.0.1") {
		t.Errorf("scheme-less URL: %v", err)
	}
	s, err := p.AddSource(context.Background(), srv.URL+"/", "test:chat")
	if err != nil {
		t.Fatal(err)
	}
	if s.URL != srv.URL+"/feed.xml" || s.Title != "Site news" {
		t.Errorf("added %+v, want the feed the page names", s)
	}
	// Adding the page again finds the same feed, not a second copy.
	if _, err := p.AddSource(context.Background(), srv.URL+"/", "test:chat"); err != nil || len(p.Sources()) != 1 {
		t.Errorf("added twice: %v, %+v", err, p.Sources())
	}
}

func TestConcurrentAddSourceKeepsEveryFeed(t *testing.T) {
	mux := http.NewServeMux()
	for i := range 8 {
		mux.Handle(fmt.Sprintf("/%d", i), feedtest.NewFeed(fmt.Sprintf("F%d", i), item(i)))
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	store := newMemStore()
	p := NewPoller(PollerOptions{AllowPrivate: true}, store, nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := p.AddSource(context.Background(), fmt.Sprintf("%s/%d", srv.URL, i), "test:chat"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(NewPoller(PollerOptions{}, store, nil).Sources()); n != 8 {
		t.Errorf("after restart %d feeds, want 8", n)
	}
}

func TestReidentifiedBacklogDoesNotFlood(t *testing.T) {
	clock := newFakeClock()
	old := clock.Now().Add(-72 * time.Hour)
	var items []feedtest.Item
	for i := range 20 {
		it := item(i)
		it.Published = old.Add(time.Duration(i) * time.Minute)
		items = append(items, it)
	}
	fd := feedtest.NewFeed("Wire", items...)
	srv := httptest.NewServer(fd)
	defer srv.Close()
	p := NewPoller(PollerOptions{Feeds: []string{srv.URL}, Now: clock.Now}, newMemStore(), nil)
	pollOnce(t, p, srv.URL)

	// The feed moves to new GUIDs for the same 20 old stories, and
	// publishes one real new story.
	clock.Add(10 * time.Minute)
	var moved []feedtest.Item
	for _, it := range items {
		it.GUID = "v2-" + it.GUID
		it.Link += "?v2"
		moved = append(moved, it)
	}
	fresh := item(99)
	fresh.Published = clock.Now().Add(-5 * time.Minute)
	fd.Replace(append([]feedtest.Item{fresh}, moved...)...)
	got := pollOnce(t, p, srv.URL)
	if len(got) != 1 || got[0].GUID != "item-99" {
		var guids []string
		for _, a := range got {
			guids = append(guids, a.GUID)
		}
		t.Fatalf("got %d articles %v, want only item-99", len(got), guids)
	}
	// A single new item with a wrong, old date still comes out.
	late := item(100)
	late.Published = old
	fd.Add(late)
	if got := pollOnce(t, p, srv.URL); len(got) != 1 || got[0].GUID != "item-100" {
		t.Fatalf("a lone old-dated new item: %+v", got)
	}
}

// A feed added from chat can be removed by that chat: it is no longer
// polled, no longer listed, and stays removed after a restart; adding it
// again baselines it anew, so its backlog is not sent. Operator feeds stay.
func TestRemoveSource(t *testing.T) {
	var hits atomic.Int64
	fd := feedtest.NewFeed("Added", item(2), item(1))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fd.ServeHTTP(w, r)
	}))
	defer srv.Close()
	opFeed := feedtest.NewFeed("Operator", item(1))
	op := httptest.NewServer(opFeed)
	defer op.Close()
	store := newMemStore()
	opts := PollerOptions{Feeds: []string{op.URL}, AllowPrivate: true,
		MinInterval: 10 * time.Millisecond, MaxInterval: 20 * time.Millisecond, FlushInterval: 10 * time.Millisecond}
	p := NewPoller(opts, store, nil)
	url := srv.URL + "/"
	if s, err := p.AddSource(context.Background(), url, "test:chat"); err != nil || !s.UserAdded || s.AddedBy != "test:chat" {
		t.Fatalf("AddSource = %+v, %v", s, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan alerts.Article, 16)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, out) }()
	waitFor(t, func() bool { return hits.Load() >= 3 }) // polled while listed

	if err := p.RemoveSource(ctx, op.URL, ""); err == nil || !strings.Contains(err.Error(), "operator") {
		t.Errorf("removing an operator feed: %v", err)
	}
	if err := p.RemoveSource(ctx, url, "test:other"); err == nil || !strings.Contains(err.Error(), "another chat") {
		t.Errorf("removal by another chat: %v", err)
	}
	if err := p.RemoveSource(ctx, url, "test:chat"); err != nil {
		t.Fatal(err)
	}
	removedAt, opAt := hits.Load(), opFeed.Requests.Load()
	if err := p.RemoveSource(ctx, url, "test:chat"); err == nil {
		t.Error("removing it twice did not say it is gone")
	}
	if srcs := p.Sources(); len(srcs) != 1 || srcs[0].URL != op.URL {
		t.Errorf("sources after removal: %+v", srcs)
	}
	// The operator's feed, polled at the same interval, is the clock:
	// while it is polled five more times, the removed feed is polled at
	// most once more (a poll in flight at the removal).
	waitFor(t, func() bool { return opFeed.Requests.Load() >= opAt+5 })
	if n := hits.Load() - removedAt; n > 1 {
		t.Errorf("the removed feed was polled %d more times", n)
	}
	cancel()
	<-done

	p2 := NewPoller(opts, store, nil)
	if srcs := p2.Sources(); len(srcs) != 1 {
		t.Fatalf("after a restart the removed feed is back: %+v", srcs)
	}
	fd.Add(item(3))
	if _, err := p2.AddSource(context.Background(), url, "test:other"); err != nil {
		t.Fatal(err)
	}
	fd.Add(item(4))
	if got := pollOnce(t, p2, url); len(got) != 1 || got[0].GUID != "item-4" {
		t.Fatalf("after adding it again: %+v, want only item-4", got)
	}
}
