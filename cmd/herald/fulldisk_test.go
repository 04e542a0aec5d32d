package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage"
)

// words makes distinct text that no compression or dedupe shrinks.
func words(r *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		fmt.Fprintf(&b, "w%x ", r.Uint64())
	}
	return b.String()
}

// A full disk (here a file size limit, which bbolt meets the same way: its
// file cannot grow) refuses writes with an error that says so, and loses
// nothing: a refused push gets 500 and is pushed again; articles from
// feeds are held and stored once there is room; the file stays sound.
func TestFullDiskLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real herald process")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("needs prlimit (util-linux) to limit the file size of a process")
	}
	bin := buildHerald(t)
	rng := rand.New(rand.NewPCG(3, 4))

	var feedMu sync.Mutex
	var items []string
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		feedMu.Lock()
		defer feedMu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>`)
		for i := len(items) - 1; i >= 0; i-- {
			fmt.Fprint(w, items[i])
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	defer feed.Close()
	addItem := func(n int) {
		feedMu.Lock()
		defer feedMu.Unlock()
		items = append(items, fmt.Sprintf(`<item><title>Wire report %d</title><link>https://wire.example/%d</link><guid>wire-%d</guid><description>%s</description></item>`,
			n, n, n, words(rng, 40_000)))
	}
	addItem(0) // the baseline: a feed's first items raise nothing

	dir := t.TempDir()
	dbPath, feedsPath, addr := filepath.Join(dir, "herald.db"), filepath.Join(dir, "feeds.txt"), freeAddr(t)
	if err := os.WriteFile(feedsPath, []byte(feed.URL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	// bbolt's file stops at 1 MiB: a soft limit, which the process's owner
	// may raise again later (the hard one stays unlimited).
	proc := exec.Command(prlimit, "--fsize=1048576:unlimited", bin, "run")
	proc.Env = append(os.Environ(), "HERALD_DB="+dbPath, "HERALD_HTTP_ADDR="+addr, "HERALD_FEEDS="+feedsPath,
		"HERALD_POLL_MIN=1s", "HERALD_POLL_MAX=1s")
	proc.Stdout, proc.Stderr = out, out // a pipe: the limit is on files
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { proc.Process.Kill(); proc.Wait() }()
	waitFor(t, "herald to start", func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})

	push := func(i int) int {
		body := fmt.Sprintf(`{"title":"Pushed report %d","url":"https://push.example/%d","body":%q,"source":"Example"}`, i, i, words(rng, 30_000))
		resp, err := http.Post("http://"+addr+"/v1/articles", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var accepted, refused []int
	for i := 0; len(refused) < 3; i++ {
		if i > 200 {
			t.Fatalf("the file never filled up; output:\n%s", out.String())
		}
		switch code := push(i); code {
		case http.StatusAccepted:
			accepted = append(accepted, i)
		case http.StatusInternalServerError:
			refused = append(refused, i)
		default:
			t.Fatalf("push %d: %d", i, code)
		}
	}
	for n := 1; n <= 3; n++ {
		addItem(n)
	}
	waitFor(t, "the feed's articles to meet the full disk", func() bool { return strings.Contains(out.String(), `title="Wire report`) })
	if log := out.String(); !strings.Contains(log, "no room to grow") || !strings.Contains(log, "file too large") || !strings.Contains(log, "nothing of this write was stored") {
		t.Errorf("the log does not say why the writes failed:\n%.3000s", out.String())
	}

	// Room again (as when the operator frees the disk): the held articles
	// go in, and the refused pushes are taken when pushed again.
	if b, err := exec.Command(prlimit, "--pid", strconv.Itoa(proc.Process.Pid), "--fsize=unlimited:unlimited").CombinedOutput(); err != nil {
		t.Fatalf("prlimit: %v %s", err, b)
	}
	for _, i := range refused {
		if code := push(i); code != http.StatusAccepted {
			t.Errorf("push %d again: %d", i, code)
		}
	}
	// The held article is tried again within its backoff (seconds here);
	// the feed's others follow it.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "Article stored after the store failed") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	proc.Process.Signal(syscall.SIGTERM)
	proc.Wait()

	if r, err := storage.Check(dbPath); err != nil || !r.OK() {
		t.Errorf("Check after a full disk: %+v, %v", r, err)
	}
	db, err := storage.Open(dbPath, storage.Options{})
	if err != nil {
		t.Fatalf("the database after a full disk: %v", err)
	}
	defer db.Close()
	for _, i := range append(accepted, refused...) {
		if _, seen, err := db.Seen(&alerts.Article{URL: fmt.Sprintf("https://push.example/%d", i)}); !seen || err != nil {
			t.Errorf("pushed article %d is missing (%v)", i, err)
		}
	}
	for n := 1; n <= 3; n++ {
		if _, seen, err := db.Seen(&alerts.Article{URL: fmt.Sprintf("https://wire.example/%d", n)}); !seen || err != nil {
			t.Errorf("feed article %d is missing (%v)", n, err)
		}
	}
}
