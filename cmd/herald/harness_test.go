package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage"
)

// testWait bounds every wait in these tests; generous because the machine
// is shared, never a statement about speed.
const testWait = 30 * time.Second

// testHTTP makes one connection per request: a connection dialled but
// never used would count as busy for 5 s in http.Server.Shutdown.
var testHTTP = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// served is herald's service running in-process.
type served struct {
	addr string
	cfg  config
	// db is the service's own store, to check what it holds (and that
	// nothing more is queued) without waiting; it is safe for concurrent
	// use.
	db *storage.DB
	// stop ends the service and returns serve's error; it runs at the
	// end of the test if the test did not call it.
	stop func() error
	// ended is closed when serve returns, also by itself (damage found in
	// use stops it).
	ended chan struct{}
}

// startServe runs serve in-process, as herald run, with vars as its
// environment (HERALD_DB defaults to a file in t.TempDir, HERALD_HTTP_ADDR
// to a free loopback port) and extra platforms besides the configured
// ones. It returns once the HTTP server listens; the platforms may still
// be connecting (waitReady waits for them). The service stops when the
// test ends, and a stop that fails or hangs fails the test.
func startServe(t *testing.T, vars map[string]string, extra ...platform) *served {
	t.Helper()
	env := map[string]string{
		"HERALD_DB":        filepath.Join(t.TempDir(), "herald.db"),
		"HERALD_HTTP_ADDR": "127.0.0.1:0",
	}
	for k, v := range vars {
		env[k] = v
	}
	cfg, err := loadConfig(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.extra = extra
	s := &served{cfg: cfg, ended: make(chan struct{})}
	cfg.opened = func(db *storage.DB) { s.db = db }
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() {
		done <- serve(ctx, cfg, log, func(a string) { addr <- a })
		close(s.ended)
	}()
	select {
	case s.addr = <-addr:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(testWait):
		cancel()
		t.Fatal("serve did not start")
	}
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(testWait):
				stopErr = context.DeadlineExceeded
				t.Error("serve did not stop")
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s
}

// queued counts the deliveries in the service's outbox, for every target
// or, given targets, for those.
func (s *served) queued(t *testing.T, targets ...alerts.TargetID) int {
	t.Helper()
	p, err := s.db.Pending(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range p {
		if len(targets) == 0 || slices.Contains(targets, d.Target) {
			n++
		}
	}
	return n
}

// pushArticle posts an article to herald's POST /v1/articles, from
// loopback, as a scraper would.
func pushArticle(t *testing.T, addr, title, url, body string) {
	t.Helper()
	pushJSON(t, addr, map[string]string{"title": title, "url": url, "body": body, "source": "Example News"})
}

// waitReady waits until herald at addr answers /readyz with 200: the store
// is open and every enabled platform connected.
func waitReady(t *testing.T, addr string) {
	t.Helper()
	waitFor(t, "herald to be ready", func() bool {
		resp, err := testHTTP.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// waitFor polls cond until it holds, failing the test after testWait. It
// waits for something to happen; that nothing more happens is checked
// through the fakes' request logs and the store, never by waiting.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitForWithin(t, testWait, what, cond)
}

// waitForWithin is waitFor with a bound of its own.
func waitForWithin(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", bound, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metric returns the sum of a metric's series on herald's /metrics whose
// labels contain every one of labels ("platform=\"telegram\"").
func metric(t *testing.T, addr, name string, labels ...string) float64 {
	t.Helper()
	resp, err := testHTTP.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		series, value, ok := strings.Cut(line, " ")
		if !ok || (series != name && !strings.HasPrefix(series, name+"{")) {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(series, l)
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil && match {
			sum += v
		}
	}
	return sum
}

// endToEnd skips a test that runs herald against a fake platform in
// -short mode: those are the slow part of the suite.
func endToEnd(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end against a fake platform; runs without -short")
	}
}

// buildHerald compiles the herald binary for tests that run it as a
// process.
func buildHerald(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "herald")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
