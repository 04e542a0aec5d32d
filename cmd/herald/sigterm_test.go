package main

import (
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/feeds/feedtest"
)

// TestSIGTERMDuringBigFeeds runs a real herald whose HERALD_FEEDS are
// fourteen 10 MiB feeds of 300,000 items, sends SIGTERM while they are
// being read, and wants it gone within 5 s, cleanly (exit 0).
func TestSIGTERMDuringBigFeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real herald and serves it fourteen 10 MiB feeds")
	}
	bin := buildHerald(t)
	doc := feedtest.BigDocument(300_000, 10<<20-1024)
	var feeds []*feedtest.Static
	var list strings.Builder
	for range 14 {
		s := &feedtest.Static{Doc: doc}
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		feeds = append(feeds, s)
		list.WriteString(srv.URL + "/feed.xml\n")
	}
	dir := t.TempDir()
	feedList := filepath.Join(dir, "feeds.txt")
	if err := os.WriteFile(feedList, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	logf, err := os.Create(filepath.Join(dir, "herald.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	proc := exec.Command(bin, "run")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") {
			proc.Env = append(proc.Env, kv)
		}
	}
	proc.Env = append(proc.Env, "HERALD_DB="+filepath.Join(dir, "herald.db"), "HERALD_HTTP_ADDR="+addr,
		"HERALD_FEEDS="+feedList, "HERALD_LOG_LEVEL=warn")
	proc.Stdout, proc.Stderr = logf, logf
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	// In flight: herald has asked for every feed, and each has sent its
	// first MiB.
	deadline := time.Now().Add(60 * time.Second)
	for {
		n := 0
		for _, f := range feeds {
			if f.Written.Load() >= 1<<20 {
				n++
			}
		}
		if n == len(feeds) {
			break
		}
		if time.Now().After(deadline) {
			proc.Process.Kill()
			t.Fatalf("only %d of 14 feeds were being read after 60 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	sent := time.Now()
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("herald exited %v after SIGTERM:\n%s", err, log)
		}
		t.Logf("herald exited %v after SIGTERM", time.Since(sent).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		proc.Process.Kill()
		t.Fatal("herald still running 5 s after SIGTERM")
	}
}
