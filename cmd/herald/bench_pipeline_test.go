package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchPipeline runs herald bench --pipeline small: every phase
// pushes its articles through the real service, the matching ones reach
// the fake platform, and what it reports adds up.
func TestBenchPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a database and runs the service: seconds")
	}
	var out, errb bytes.Buffer
	code := runBenchPipeline(context.Background(), []string{"--subs", "3000", "--targets", "300", "--latency-articles", "3",
		"--throughput-articles", "400", "--backlog-alerts", "500", "--burst-articles", "4", "--dir", t.TempDir(), "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := map[string]benchResult{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r benchResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		got[r.Phase] = r
	}
	for phase, articles := range map[string]int{"idle": 3, "busy": 3, "throughput": 400, "backlog": 100, "throughput#2": 400, "burst": 4} {
		r, ok := got[phase]
		if !ok || r.Articles != articles || r.PerSecond <= 0 || r.RSSMaxMB <= 0 || r.RSSp50MB <= 0 || r.RSSp50MB > r.RSSMaxMB || r.FileRSSMB <= 0 {
			t.Errorf("%s: %+v, want %d articles pushed", phase, r, articles)
		}
	}
	// The service's own account of where the time went: every article
	// prepared and committed, in commits of one or more.
	if r := got["throughput"]; r.PrepareMs <= 0 || r.CommitWaitMs <= 0 || r.CommitMs <= 0 || r.PerCommit < 1 || r.CommitBusy <= 0 || r.PagesPerArticle <= 0 {
		t.Errorf("throughput: stages %+v, want every one measured", r)
	}
	if r := got["idle"]; r.Alerts != 3 || r.Sentp99 <= 0 {
		t.Errorf("idle: %d alerts timed (p99 %.1f ms), want 3", r.Alerts, r.Sentp99)
	}
	if r := got["busy"]; r.Beside <= 0 {
		t.Errorf("busy: nothing accepted beside the timed articles")
	}
	// Every alert planned is queued or was sent: 2+2 throughput articles
	// and 10 backlog ones for 50 chats each, 4 burst ones for 300.
	if r := got["burst"]; r.Pending == 0 || r.Pending > 4*50+10*50+4*300 {
		t.Errorf("burst: %d pending", r.Pending)
	}
	if !strings.Contains(errb.String(), "checked 1410 articles") {
		t.Errorf("stderr does not say every article was checked:\n%s", errb.String())
	}
}
