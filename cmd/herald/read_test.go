package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func feedFixture(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "adapters", "feeds", "testdata", "feeds"}, parts...)...)
}

func runReadArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runRead(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func jsonLines(t *testing.T, s string) []map[string]string {
	t.Helper()
	var lines []map[string]string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l == "" {
			continue
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// herald read prints what ingest makes of a document; with --json one line
// per article with the fields named in the README, and a line per document
// it could not read; it goes on, and exits 1 when one was not read.
func TestRunRead(t *testing.T) {
	t.Setenv("HERALD_ALLOW_PRIVATE_FEEDS", "")
	koi8 := feedFixture("enc", "undeclared-koi8-r.xml")
	images := feedFixture("fields", "images.xml")
	missing := filepath.Join(t.TempDir(), "missing.xml")
	notFeed := feedFixture("bad", "not-a-feed-opml.xml")

	code, out, _ := runReadArgs(t, "--json", koi8, missing, images, notFeed)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	lines := jsonLines(t, out)
	if len(lines) != 1+1+6+1 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	first := lines[0]
	for _, k := range []string{"file", "title", "url", "guid", "source", "published", "language", "body", "summary", "image"} {
		if _, ok := first[k]; !ok {
			t.Errorf("no %q in %v", k, first)
		}
	}
	if first["file"] != koi8 || first["title"] != "Переговоры о прекращении огня возобновились в Стамбуле" || first["language"] != "ru" || first["source"] != "Новости дня" {
		t.Errorf("first article: %v", first)
	}
	if first["summary"] == "" || !strings.Contains(first["body"], strings.TrimSuffix(first["summary"], "…")[:20]) {
		t.Errorf("summary %q: want the extract an alert shows", first["summary"])
	}
	if l := lines[1]; l["file"] != missing || !strings.Contains(l["error"], "no such file") || len(l) != 2 {
		t.Errorf("missing file: %v", l)
	}
	if l := lines[2]; l["file"] != images || l["image"] != "https://img.example/news/img/1.jpg" {
		t.Errorf("image: %v", l)
	}
	if l := lines[8]; l["file"] != notFeed || !strings.Contains(l["error"], "OPML") {
		t.Errorf("not a feed: %v", l)
	}

	// Text: each field on its line, errors on stderr.
	code, out, errs := runReadArgs(t, images, missing)
	if code != 1 || !strings.Contains(out, "image:     https://img.example/v.jpg") || !strings.Contains(errs, "herald read: "+missing) {
		t.Errorf("text output: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, _ := runReadArgs(t, koi8, "--json"); code != 0 {
		t.Errorf("all read, flags after files: exit %d", code)
	}
	// A damaged feed is read, and what was read past is said on stderr;
	// stdout stays one JSON line per article.
	cut := feedFixture("bad", "truncated-after-items.xml")
	code, out, errs = runReadArgs(t, "--json", cut)
	if lines := jsonLines(t, out); code != 0 || len(lines) != 2 || !strings.Contains(errs, "herald read: "+cut+": read past: the document is cut off after 2 items") {
		t.Errorf("damaged feed: exit %d, %d lines, stderr %q", code, len(lines), errs)
	}
	if code, _, errs := runReadArgs(t); code != 2 || !strings.Contains(errs, "usage") {
		t.Errorf("no arguments: exit %d %q", code, errs)
	}
	if code, _, _ := runReadArgs(t, "--nope", koi8); code != 2 {
		t.Errorf("unknown flag: exit %d", code)
	}
}

// URLs go through the guarded fetcher of feeds added from chat: a
// loopback server is refused unless the operator allows private feeds.
func TestRunReadURL(t *testing.T) {
	doc, err := os.ReadFile(feedFixture("enc", "decl-windows-1251.xml"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(doc)
	}))
	defer srv.Close()
	url := srv.URL + "/feed.xml"

	t.Setenv("HERALD_ALLOW_PRIVATE_FEEDS", "")
	code, out, _ := runReadArgs(t, "--json", url)
	if lines := jsonLines(t, out); code != 1 || len(lines) != 1 || lines[0]["file"] != url || !strings.Contains(lines[0]["error"], "loopback address") {
		t.Errorf("guarded: exit %d %s", code, out)
	}
	t.Setenv("HERALD_ALLOW_PRIVATE_FEEDS", "true")
	code, out, _ = runReadArgs(t, "--json", url)
	if lines := jsonLines(t, out); code != 0 || len(lines) != 1 || lines[0]["title"] != "Переговоры о прекращении огня возобновились в Стамбуле" || lines[0]["file"] != url {
		t.Errorf("allowed: exit %d %s", code, out)
	}
}
