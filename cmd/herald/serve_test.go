package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/console"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// consolePlatform runs the console sender as a service platform, and
// keeps the handler so tests can type commands.
type consolePlatform struct {
	*console.Sender
	h *handler
}

func (*consolePlatform) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (*consolePlatform) Ready() bool                   { return true }
func (c *consolePlatform) bind(h *handler)             { c.h = h }

// service is herald's service with the console as its chat platform.
type service struct {
	*served
	sender *console.Sender
	out    *bytes.Buffer
	cp     *consolePlatform
}

// startService runs serve in-process with the console as its platform.
func startService(t *testing.T, env map[string]string) *service {
	t.Helper()
	out := &bytes.Buffer{}
	snd := console.NewSender(&lockedWriter{w: out})
	cp := &consolePlatform{Sender: snd}
	return &service{served: startServe(t, env, cp), sender: snd, out: out, cp: cp}
}

func (s *service) post(t *testing.T, contentType, body string, header ...string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+"/v1/articles", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]string
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (s *service) command(t *testing.T, text string) string {
	t.Helper()
	return s.cp.h.HandleCommand(context.Background(), bot.Command{Target: console.Target, UserID: "me", CanManage: true, Text: text}).Text
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestPushedArticleReachesTheConsoleOnce(t *testing.T) {
	s := startService(t, nil)
	if r := s.command(t, "/subscribe ceasefire"); !strings.Contains(r, "Subscribed #1") {
		t.Fatalf("subscribe: %q", r)
	}
	body := `{"title":"Ceasefire talks resume in Geneva","url":"https://news.example/world/geneva?utm_source=x","body":"Envoys agreed to resume ceasefire talks.","source":"Example News","published":"2026-11-25T08:00:00Z"}`
	code, resp := s.post(t, "application/json", body)
	if code != http.StatusAccepted || resp["id"] == "" || resp["status"] != "accepted" {
		t.Fatalf("push: %d %v", code, resp)
	}
	waitFor(t, "the alert, sent and logged", func() bool { return len(s.sender.Sent()) == 1 && s.queued(t) == 0 })
	// The same article again, and under a URL differing only by tracking
	// parameters and a fragment: nothing more. Ingest plans before it
	// answers, so once the pushes are answered, anything they raised is in
	// the outbox or sent.
	code, again := s.post(t, "application/json", body)
	if code != http.StatusAccepted || again["status"] != "duplicate" || again["id"] != resp["id"] {
		t.Fatalf("second push: %d %v", code, again)
	}
	code, _ = s.post(t, "application/json", strings.Replace(body, "?utm_source=x", "#comments", 1))
	if code != http.StatusAccepted {
		t.Fatalf("third push: %d", code)
	}
	if n, q := len(s.sender.Sent()), s.queued(t); n != 1 || q != 0 {
		t.Fatalf("console got %d alerts and %d are queued, want exactly 1 and none", n, q)
	}
	a := s.sender.Sent()[0].Alerts[0]
	if a.Article.Title != "Ceasefire talks resume in Geneva" || a.Matches[0].Query != "ceasefire" ||
		a.Article.Summary != "Envoys agreed to resume ceasefire talks." {
		t.Errorf("alert = %+v", a)
	}
}

// TestNumberedItemsOfTwoOutletsAreTwoArticles: feeds number their items
// ("1", "2" …), so one outlet's item 1 is no copy of another's. Until
// 2026-12 the second was answered "duplicate" and its alert never sent.
func TestNumberedItemsOfTwoOutletsAreTwoArticles(t *testing.T) {
	s := startService(t, nil)
	if r := s.command(t, "/subscribe ceasefire"); !strings.Contains(r, "Subscribed #1") {
		t.Fatalf("subscribe: %q", r)
	}
	var ids []string
	for _, body := range []string{
		`{"title":"Ceasefire talks resume in Geneva","body":"Envoys met.","source":"One News","guid":"1"}`,
		`{"title":"Ceasefire holds along the front","body":"Shelling stopped.","source":"Two News","guid":"1"}`,
	} {
		code, resp := s.post(t, "application/json", body)
		if code != http.StatusAccepted || resp["status"] != "accepted" {
			t.Fatalf("push %s: %d %v", body, code, resp)
		}
		ids = append(ids, resp["id"])
	}
	if ids[0] == ids[1] {
		t.Fatalf("both items got ID %s", ids[0])
	}
	waitFor(t, "both alerts sent", func() bool { return len(s.sender.Sent()) == 2 && s.queued(t) == 0 })
	// The first outlet's item 1 again is a copy.
	code, again := s.post(t, "application/json", `{"title":"Ceasefire talks resume in Geneva","body":"Envoys met.","source":"One News","guid":"1"}`)
	if code != http.StatusAccepted || again["status"] != "duplicate" || again["id"] != ids[0] {
		t.Fatalf("the first item again: %d %v", code, again)
	}
}

func TestPushedScrapedTextIsCleaned(t *testing.T) {
	s := startService(t, nil)
	s.command(t, "/subscribe Putin")
	raw, err := os.ReadFile("../../../shared/samples/scraped-article.txt")
	if err != nil {
		t.Skip("shared sample not present:", err)
	}
	code, resp := s.post(t, "text/plain; charset=utf-8", string(raw))
	if code != http.StatusAccepted {
		t.Fatalf("push: %d %v", code, resp)
	}
	waitFor(t, "the alert", func() bool { return len(s.sender.Sent()) == 1 })
	a := s.sender.Sent()[0].Alerts[0].Article
	if a.Summary == "" {
		t.Error("the alert carries no summary")
	}
	for _, junk := range []string{"ARTICLE AD BOX", "Read Entire Article", "5 hours ago", "Read more"} {
		if strings.Contains(a.Summary, junk) || strings.Contains(a.Title, junk) {
			t.Errorf("noise %q reached the alert: %q / %q", junk, a.Title, a.Summary)
		}
	}
}

func TestPushRejectsBadInput(t *testing.T) {
	s := startService(t, map[string]string{"HERALD_INGEST_TOKEN": "s3cret"})
	auth := []string{"Authorization", "Bearer s3cret"}
	tests := []struct {
		name, ctype, body string
		header            []string
		code              int
		msg               string
	}{
		{"no token", "application/json", `{"title":"x"}`, nil, 401, "bearer token"},
		{"wrong token", "application/json", `{"title":"x"}`, []string{"Authorization", "Bearer nope"}, 401, "bearer token"},
		{"bad json", "application/json", `{"title":`, auth, 400, "invalid JSON"},
		{"unknown field", "application/json", `{"title":"x","tittle":"y"}`, auth, 400, "tittle"},
		{"no title", "application/json", `{"body":"x"}`, auth, 400, "title"},
		{"bad url", "application/json", `{"title":"x","url":"javascript:alert(1)"}`, auth, 400, "not an http(s) URL"},
		{"bad date", "application/json", `{"title":"x","published":"yesterday"}`, auth, 400, "RFC 3339"},
		{"empty text", "text/plain", "\n\n", auth, 400, "title"},
		{"unsupported type", "application/xml", "<a/>", auth, 400, "Content-Type"},
		{"too big", "text/plain", "T\n" + strings.Repeat("x", 1<<20+1), auth, 413, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, resp := s.post(t, tc.ctype, strings.ReplaceAll(tc.body, `\n`, "\n"), tc.header...)
			if code != tc.code || !strings.Contains(resp["error"], tc.msg) {
				t.Errorf("got %d %q, want %d with %q", code, resp["error"], tc.code, tc.msg)
			}
		})
	}
	code, resp := s.post(t, "application/json", `{"title":"fine"}`, auth...)
	if code != 202 {
		t.Errorf("a good article after bad ones: %d %v", code, resp)
	}
}

// rssServer serves an RSS feed with the given title on loopback until the
// test ends: tests reach no other host, not even to resolve a name.
func rssServer(t *testing.T, title string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>`+title+`</title>`+
			`<item><title>One</title><link>https://news.example/1</link><guid>1</guid></item></channel></rss>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/rss"
}

func TestHealthReadinessMetrics(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
	}))
	defer down.Close()
	list := filepath.Join(t.TempDir(), "feeds.txt")
	os.WriteFile(list, []byte(rssServer(t, "Wire")+"\n"+down.URL+"/rss\n"), 0o600)
	s := startService(t, map[string]string{"HERALD_FEEDS": list})
	// The broken feed is counted as failing once its first poll is done.
	waitFor(t, "the failing feed to be counted", func() bool { return metric(t, s.addr, "herald_feeds", `state="failing"`) == 1 })
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "herald_articles_ingested_total",
		"/metrics#feeds": `herald_feeds{state="ok"} 1`, "/metrics#floods": "herald_feed_floods_total 0",
		"/metrics#map": "herald_db_map_releases_total", "/metrics#pages": "herald_db_page_writes_total"} {
		path, _, _ = strings.Cut(path, "#")
		resp, err := http.Get("http://" + s.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %.200s", path, resp.StatusCode, b)
		}
	}
}

func TestSecondProcessGetsAClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	startService(t, map[string]string{"HERALD_DB": path})
	cfg, _ := loadConfig(nil, func(k string) string {
		return map[string]string{"HERALD_DB": path, "HERALD_HTTP_ADDR": "127.0.0.1:0"}[k]
	})
	err := serve(context.Background(), cfg, slog.New(slog.DiscardHandler), nil)
	if err == nil || !strings.Contains(err.Error(), "is in use by another herald process") || !strings.Contains(err.Error(), path) {
		t.Fatalf("second serve on the same file: %v", err)
	}
}

func TestStopsPromptlyAndKeepsTheOutbox(t *testing.T) {
	s := startService(t, nil)
	s.command(t, "/subscribe ceasefire")
	start := time.Now()
	if err := s.stop(); err != nil {
		t.Fatalf("serve returned %v on shutdown", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %s, want under 5 s", d)
	}
}

func TestProxiedRequestsAreNotLoopback(t *testing.T) {
	s := startService(t, nil)
	code, resp := s.post(t, "application/json", `{"title":"x"}`, "X-Forwarded-For", "203.0.113.9")
	if code != http.StatusForbidden || !strings.Contains(resp["error"], "HERALD_INGEST_TOKEN") {
		t.Errorf("proxied push without a token: %d %v", code, resp)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.addr+"/v1/backup", nil)
	req.Header.Set("Forwarded", "for=203.0.113.9")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("proxied backup: %d, want 403", res.StatusCode)
	}
}

func TestSourcesExportAsOPML(t *testing.T) {
	list := filepath.Join(t.TempDir(), "feeds.txt")
	wire := rssServer(t, "Wire")
	os.WriteFile(list, []byte("# the operator's feeds\n"+wire+"\n"), 0o600)
	s := startService(t, map[string]string{"HERALD_FEEDS": list})
	// Without the admin token, nothing.
	resp, err := http.Get("http://" + s.addr + "/v1/sources.opml")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("OPML without the admin token: %s, want 401", resp.Status)
	}
	code, b := s.admin(t, http.MethodGet, "/v1/sources.opml")
	resp.StatusCode = code
	if resp.StatusCode != 200 || !strings.Contains(string(b), `<opml`) || !strings.Contains(string(b), wire) {
		t.Fatalf("OPML export: %d\n%s", resp.StatusCode, b)
	}
}

// The operator removes a feed some chat added with DELETE /v1/sources,
// from this host; the feeds of HERALD_FEEDS are removed from that file.
func TestOperatorRemovesAChatAddedSource(t *testing.T) {
	feed := rssServer(t, "Chat feed")
	wire := rssServer(t, "Wire")
	list := filepath.Join(t.TempDir(), "feeds.txt")
	os.WriteFile(list, []byte(wire+"\n"), 0o600)
	s := startService(t, map[string]string{"HERALD_FEEDS": list, "HERALD_ALLOW_PRIVATE_FEEDS": "true"})
	newsroom := alerts.Target{ID: "console:newsroom", Kind: alerts.KindChannel, Title: "#newsroom"}
	if r := s.cp.h.HandleCommand(context.Background(), bot.Command{Target: newsroom, UserID: "editor", CanManage: true,
		Text: "/sources add " + feed}).Text; !strings.Contains(r, "Added Chat feed") {
		t.Fatalf("adding from chat: %s", r)
	}
	del := func(u string) (int, string) {
		code, b := s.admin(t, http.MethodDelete, "/v1/sources?url="+url.QueryEscape(u))
		return code, string(b)
	}
	if code, body := del(wire); code != http.StatusConflict || !strings.Contains(body, "HERALD_FEEDS") {
		t.Errorf("removing an operator feed: %d %s", code, body)
	}
	if code, body := del(feed); code != http.StatusOK {
		t.Fatalf("removing the chat's feed: %d %s", code, body)
	}
	if code, _ := del(feed); code != http.StatusNotFound {
		t.Errorf("removing it again: %d, want 404", code)
	}
	if r := s.cp.h.HandleCommand(context.Background(), bot.Command{Target: newsroom, UserID: "editor", CanManage: true,
		Text: "/sources"}).Text; strings.Contains(r, "Chat feed") || !strings.Contains(r, "1 source:") {
		t.Errorf("/sources after the removal: %s", r)
	}
}

// admin makes a request to an operator's endpoint with the admin token the
// service wrote beside its database.
func (s *service) admin(t *testing.T, method, path string) (int, []byte) {
	t.Helper()
	tok, err := readAdminToken(s.cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, "http://"+s.addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// The operator's endpoints want the admin token even from this host: a
// reverse proxy that adds no forwarding headers makes outside requests
// look local. The token file is readable by its owner only.
func TestAdminEndpointsNeedTheToken(t *testing.T) {
	s := startService(t, nil)
	fi, err := os.Stat(adminTokenPath(s.cfg.DB))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin token file: %v, mode %v", err, fi.Mode())
	}
	for _, tc := range []struct{ method, path, auth string }{
		{http.MethodGet, "/v1/backup", ""},
		{http.MethodGet, "/v1/backup", "Bearer wrong"},
		{http.MethodGet, "/v1/sources.opml", ""},
		{http.MethodDelete, "/v1/sources?url=x", "Bearer "},
	} {
		req, _ := http.NewRequest(tc.method, "http://"+s.addr+tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s with %q: %s, want 401", tc.method, tc.path, tc.auth, resp.Status)
		}
	}
	if code, b := s.admin(t, http.MethodGet, "/v1/backup"); code != http.StatusOK || len(b) == 0 {
		t.Errorf("backup with the token: %d, %d bytes", code, len(b))
	}
}
