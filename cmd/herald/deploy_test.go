package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// exposition is what /metrics says: each metric family's type, and the
// series lines.
type exposition struct {
	types  map[string]string
	series []string
}

func readExposition(t *testing.T, r io.Reader) exposition {
	t.Helper()
	e := exposition{types: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			e.types[f[2]] = f[3]
		} else if line != "" && !strings.HasPrefix(line, "#") {
			e.series = append(e.series, line)
		}
	}
	return e
}

// family returns the metric family a sample name belongs to, or "".
func (e exposition) family(name string) string {
	if _, ok := e.types[name]; ok {
		return name
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && (e.types[base] == "histogram" || e.types[base] == "summary") {
			return base
		}
	}
	return ""
}

// hasSeries reports whether a series of name carries label="value".
func (e exposition) hasSeries(name, label, value string) bool {
	for _, s := range e.series {
		if (strings.HasPrefix(s, name+"{") || strings.HasPrefix(s, name+" ")) && strings.Contains(s, label+`="`+value+`"`) {
			return true
		}
	}
	return false
}

var (
	metricRef   = regexp.MustCompile(`\b((?:herald|go|process)_[a-z0-9_]+)(\{[^}]*\})?`)
	labelFilter = regexp.MustCompile(`([a-z_]+)\s*(=~|=)\s*"([^"$]*)"`)
)

// startBare runs serve with no platform at all, as a first-time operator
// does, and returns its address and what it logged.
func startBare(t *testing.T) (addr string, logs func() string) {
	t.Helper()
	vars := map[string]string{"HERALD_DB": filepath.Join(t.TempDir(), "herald.db"), "HERALD_HTTP_ADDR": "127.0.0.1:0"}
	cfg, err := loadConfig(nil, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	lw := &lockedWriter{w: &buf}
	log := slog.New(slog.NewTextHandler(lw, nil))
	ctx, cancel := context.WithCancel(context.Background())
	addrc, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log, func(a string) { addrc <- a }) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	return addr, func() string { lw.mu.Lock(); defer lw.mu.Unlock(); return buf.String() }
}

// TestDeployFilesNameRealMetrics loads deploy/'s Prometheus rules and
// Grafana dashboard and checks every metric, and every label value they
// filter on, against what a freshly started herald with no platform
// exposes: a renamed metric breaks this test, not an operator's alerting.
func TestDeployFilesNameRealMetrics(t *testing.T) {
	addr, _ := startBare(t)
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	exp := readExposition(t, resp.Body)
	resp.Body.Close()

	var exprs []string
	raw, err := os.ReadFile("../../deploy/prometheus/herald-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Expr, For string
				Labels           map[string]string
				Annotations      map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatalf("herald-alerts.yml: %v", err)
	}
	alertsSeen := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.For == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("rule %q lacks alert, expr, for, severity, summary or description", r.Alert)
			}
			if _, err := time.ParseDuration(r.For); err != nil {
				t.Errorf("rule %s: for: %v", r.Alert, err)
			}
			alertsSeen[r.Alert] = true
			exprs = append(exprs, r.Expr)
		}
	}
	// What the operator asked to be warned about.
	for _, want := range []string{"HeraldFeedsFailing", "HeraldOutboxGrowing", "HeraldSendFailures", "HeraldAlertsSlow"} {
		if !alertsSeen[want] {
			t.Errorf("no alert rule %s", want)
		}
	}

	raw, err = os.ReadFile("../../deploy/grafana/herald-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string
		Panels []struct {
			Title   string
			Type    string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct{ Definition string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("herald-dashboard.json: %v", err)
	}
	graphs := 0
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
			graphs++
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	if graphs < 10 {
		t.Errorf("the dashboard has %d queries; expected one for each of Herald's metric families", graphs)
	}

	used := map[string]bool{}
	for _, e := range exprs {
		for _, m := range metricRef.FindAllStringSubmatch(e, -1) {
			fam := exp.family(m[1])
			if fam == "" {
				t.Errorf("%s is not among the metrics /metrics exposes (in %q)", m[1], e)
				continue
			}
			used[fam] = true
			for _, f := range labelFilter.FindAllStringSubmatch(m[2], -1) {
				for _, v := range strings.Split(f[3], "|") {
					if v != "" && !exp.hasSeries(fam, f[1], v) {
						t.Errorf("%s has no series with %s=%q at start (in %q)", fam, f[1], v, e)
					}
				}
			}
		}
	}
	// Every one of Herald's own families is on the dashboard.
	for name := range exp.types {
		if strings.HasPrefix(name, "herald_") && !used[name] {
			t.Errorf("%s is exposed but neither graphed nor alerted on", name)
		}
	}
}

// TestStartWithoutPlatformSaysSo: a first run with no token states where
// it listens and that there is nobody to deliver to, and every alert and
// outbox series is there from the start.
func TestStartWithoutPlatformSaysSo(t *testing.T) {
	addr, logs := startBare(t)
	out := logs()
	for _, want := range []string{`msg="HTTP server listening" addr=` + addr, "No chat platform is on", "HERALD_TELEGRAM_TOKEN or HERALD_DISCORD_TOKEN"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	exp := readExposition(t, resp.Body)
	resp.Body.Close()
	for _, s := range []struct{ name, label, value string }{
		{"herald_outbox_depth", "platform", "telegram"},
		{"herald_outbox_depth", "platform", "discord"},
		{"herald_alerts_sent_total", "kind", "alert"},
		{"herald_alerts_failed_total", "reason", "rate_limited"},
		{"herald_alerts_planned_total", "platform", "telegram"},
		{"herald_ingest_to_send_seconds_count", "platform", "discord"},
	} {
		if !exp.hasSeries(s.name, s.label, s.value) {
			t.Errorf("no %s{%s=%q} at start", s.name, s.label, s.value)
		}
	}
	if !strings.Contains(exp.types["herald_feed_polls_total"], "counter") {
		t.Errorf("herald_feed_polls_total: type %q", exp.types["herald_feed_polls_total"])
	}
}
