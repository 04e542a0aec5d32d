package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-news/herald/adapters/feeds"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
	"github.com/herald-news/herald/bot/bottest"
	"github.com/herald-news/herald/storage"
)

// benchPhase is one measured part of herald bench --pipeline: a range of
// the workload's articles pushed over HTTP in one way.
type benchPhase struct {
	name     string
	first    int // the first article's number; phases never share one
	articles int
	// kindOf says what article i of the phase matches.
	kindOf func(i int) (articleKind, int)
	run    func(b *pipelineBench, p benchPhase) (benchResult, error)
}

// benchResult is what one phase measured: the fields of --json.
type benchResult struct {
	Phase     string  `json:"phase"`
	Articles  int     `json:"articles"`
	Clients   int     `json:"clients"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"articles_per_s"`
	// CPU is the process's CPU time over the wall time, in per cent (200
	// is two cores busy); the load generator runs in the same process.
	CPU float64 `json:"cpu_pct"`
	// HTTP is each request's time, from sending to the 202.
	HTTPp50ms float64 `json:"http_p50_ms"`
	HTTPp99ms float64 `json:"http_p99_ms"`
	// Sent are the alerts of the phase's matching articles, arrival at the
	// HTTP handler to the fake platform.
	Alerts  int     `json:"alerts,omitempty"`
	Sentp50 float64 `json:"sent_p50_ms,omitempty"`
	Sentp90 float64 `json:"sent_p90_ms,omitempty"`
	Sentp99 float64 `json:"sent_p99_ms,omitempty"`
	// Beside is the rate of the articles pushed beside the timed ones.
	Beside float64 `json:"beside_accepted_per_s,omitempty"`
	// Pending is the outbox at the phase's end; SentPerS the alerts the
	// platform received per second during the phase, in MessagesPerS
	// messages (a digest carries many).
	Pending      int     `json:"pending"`
	SentPerS     float64 `json:"sent_per_s"`
	MessagesPerS float64 `json:"messages_per_s"`
	RSSMaxMB     float64 `json:"rss_max_mb"`
	RSSp50MB     float64 `json:"rss_p50_mb"` // the median of the samples RSSMaxMB is the highest of
	// At the phase's end: the process's anonymous memory (RSS without the
	// database's mapped pages, which the kernel may drop), the Go heap in
	// use, and the database file.
	AnonMB float64 `json:"rss_anon_mb"`
	// FileRSSMB is the mapped file pages RSS counted at the phase's end
	// (the database's, and the binary's own).
	FileRSSMB float64 `json:"rss_file_mb"`
	HeapMB    float64 `json:"heap_mb"`
	FileMB    float64 `json:"db_file_mb"`
	// Where ingest time went, by the service's own metrics: an article's
	// mean time in each stage; each commit's mean time and articles; and
	// the share of the phase the commit loop spent committing (it commits
	// one batch at a time, so near 100 it is what holds ingest back).
	PrepareMs    float64 `json:"prepare_ms"`
	TurnMs       float64 `json:"turn_ms"`
	OrderMs      float64 `json:"order_ms"`
	CommitWaitMs float64 `json:"commit_wait_ms"`
	CommitMs     float64 `json:"commit_ms"`
	PerCommit    float64 `json:"articles_per_commit"`
	CommitBusy   float64 `json:"commit_busy_pct"`
	// PagesPerArticle is the pages the store wrote over the phase (every
	// write: sends' too) per article committed.
	PagesPerArticle float64 `json:"pages_per_article"`
}

// pipelineBench is the service under test and its load.
type pipelineBench struct {
	addr       string
	db         *storage.DB
	text       *benchText
	bodies     *benchBodies // the current phase's
	tg         *bottest.Sender
	timed      *timedPlatform
	clients    int
	stderr     io.Writer
	profile    string
	memprofile string
}

// benchPlatform is a fake chat platform: bottest.Sender, always ready.
type benchPlatform struct{ *bottest.Sender }

func (benchPlatform) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (benchPlatform) Ready() bool                   { return true }

// runBenchPipeline is herald bench --pipeline: herald's service in this
// process (the real store, matcher, stories, HTTP handler and scheduler)
// sending to a fake platform at Telegram's pace, on a database of
// generated subscriptions, measured phase by phase through POST
// /v1/articles on loopback.
func runBenchPipeline(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald bench --pipeline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	subs := fs.Int("subs", 100_000, "generated subscriptions (the probes come on top)")
	targets := fs.Int("targets", 10_000, "chats the generated subscriptions belong to")
	seed := fs.Uint64("seed", 1, "workload seed")
	clients := fs.Int("clients", 8, "HTTP clients of the throughput and backlog phases")
	phases := fs.String("phases", "idle,busy,throughput,backlog,throughput,burst",
		"phases to run, in this order; one named again runs again on new articles (the second throughput: ingest with the backlog)")
	tput := fs.Int("throughput-articles", 20_000, "articles of the throughput phase (1 in 200 matching 50 chats)")
	backlog := fs.Int("backlog-alerts", 550_000, "alerts the backlog phase plans (1 article in 10 matching 50 chats)")
	burst := fs.Int("burst-articles", 1_500, "articles of the burst phase (each matching the same 300 DM chats), pushed by one client")
	lat := fs.Int("latency-articles", 40, "matching articles of the idle and busy phases, one every 500 ms")
	dir := fs.String("dir", "", "directory for the database (default: a temporary one, removed after)")
	profile := fs.String("cpuprofile", "", "write a CPU profile of each phase to PREFIX.<phase>.pprof")
	memprofile := fs.String("memprofile", "", "write a heap profile at the end of each phase to PREFIX.<phase>.heap")
	asJSON := fs.Bool("json", false, "one JSON line per phase")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	fail := func(err error) int { fmt.Fprintf(stderr, "herald bench --pipeline: %v\n", err); return 1 }
	if *dir == "" {
		d, err := os.MkdirTemp("", "herald-pipeline-")
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	path := filepath.Join(*dir, "herald.db")
	if _, err := os.Stat(path); err == nil {
		return fail(fmt.Errorf("%s exists; give an empty --dir", path))
	}

	plan, err := benchPlan(*phases, *tput, *backlog, *burst, *lat)
	if err != nil {
		fmt.Fprintf(stderr, "herald bench --pipeline: %v\n", err)
		return 2
	}
	start := time.Now()
	n, err := benchDB(path, *subs, *targets, *seed)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stderr, "filled %d subscriptions over %d chats in %s\n", n, *targets+latencyChats+burstChats, time.Since(start).Round(time.Second))
	text := newBenchText(*seed, time.Now().Add(-time.Hour))
	start = time.Now()
	matcherRate, checked, err := benchMatcher(path, text, plan)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stderr, "checked %d articles in %s; matcher alone: %.0f articles/s on %d cores\n", checked, time.Since(start).Round(time.Second), matcherRate, runtime.GOMAXPROCS(0))
	// The service starts without what setting up left behind.
	runtime.GC()
	debug.FreeOSMemory()

	timed := &timedPlatform{benchPlatform: benchPlatform{&bottest.Sender{Name: alerts.PlatformTelegram}}}
	bodies := &benchBodies{path: filepath.Join(*dir, "bodies")}
	defer bodies.close()
	b := &pipelineBench{text: text, bodies: bodies, clients: *clients, stderr: stderr, profile: *profile, memprofile: *memprofile, tg: timed.Sender, timed: timed}
	cfg, err := loadConfig(nil, func(k string) string {
		return map[string]string{"HERALD_DB": path, "HERALD_HTTP_ADDR": "127.0.0.1:0"}[k]
	})
	if err != nil {
		return fail(err)
	}
	cfg.extra = []platform{timed, benchPlatform{&bottest.Sender{Name: alerts.PlatformDiscord}}}
	cfg.opened = func(db *storage.DB) { b.db = db }
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	addr := make(chan string, 1)
	served := make(chan error, 1)
	go func() {
		served <- serve(sctx, cfg, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
			func(a string) { addr <- a })
	}()
	select {
	case b.addr = <-addr:
	case err := <-served:
		return fail(err)
	}
	fmt.Fprintf(stderr, "herald serving on %s; RSS %.0f MB\n", b.addr, mb(bottest.RSS()))

	enc := json.NewEncoder(stdout)
	if !*asJSON {
		fmt.Fprintf(stdout, "matcher alone: %.0f articles/s (%d cores, %d subscriptions)\n", matcherRate, runtime.GOMAXPROCS(0), n)
		fmt.Fprintf(stdout, "%-10s %8s %7s %9s %6s %8s %8s %7s %8s %8s %8s %8s %9s %7s %6s %8s %8s %6s %6s %6s %6s\n", "phase", "articles", "clients",
			"art/s", "cpu%", "http p50", "http p99", "alerts", "sent p50", "sent p90", "sent p99", "beside/s", "pending", "sent/s", "msg/s", "RSS max", "RSS p50", "anon", "file", "heap", "db MB")
	}
	var stages []string // the second table's rows
	for _, p := range plan {
		if ctx.Err() != nil {
			break
		}
		r, err := b.measure(p)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", p.name, err))
		}
		if *asJSON {
			enc.Encode(r)
			continue
		}
		fmt.Fprintf(stdout, "%-10s %8d %7d %9.1f %6.0f %8.1f %8.1f %7d %8.1f %8.1f %8.1f %8.1f %9d %7.1f %6.1f %8.0f %8.0f %6.0f %6.0f %6.0f %6.0f\n", r.Phase, r.Articles, r.Clients,
			r.PerSecond, r.CPU, r.HTTPp50ms, r.HTTPp99ms, r.Alerts, r.Sentp50, r.Sentp90, r.Sentp99, r.Beside, r.Pending, r.SentPerS, r.MessagesPerS, r.RSSMaxMB, r.RSSp50MB, r.AnonMB, r.FileRSSMB, r.HeapMB, r.FileMB)
		stages = append(stages, fmt.Sprintf("%-12s %8.3f %8.3f %8.3f %11.3f %9.3f %10.1f %11.0f %9.1f\n", r.Phase, r.PrepareMs, r.TurnMs, r.OrderMs, r.CommitWaitMs, r.CommitMs, r.PerCommit, r.CommitBusy, r.PagesPerArticle))
	}
	if len(stages) > 0 {
		fmt.Fprintf(stdout, "\nwhere ingest time went (the service's metrics): an article's mean ms in each stage (prepare side by side,\n"+
			"turn waiting for earlier articles, order one at a time, then waiting for its durable commit); a commit's mean ms\n"+
			"and articles; the share of the phase spent committing (one commit at a time: near 100 it holds ingest back);\n"+
			"the pages the store wrote to its file per article committed (every write, sends' too)\n")
		fmt.Fprintf(stdout, "%-12s %8s %8s %8s %11s %9s %10s %11s %9s\n", "phase", "prepare", "turn", "order", "commit wait", "commit", "art/commit", "committing%", "pages/art")
		for _, row := range stages {
			fmt.Fprint(stdout, row)
		}
	}
	stop()
	if err := <-served; err != nil {
		return fail(err)
	}
	return 0
}

// benchPlan lays out the phases named in list over disjoint ranges of
// articles.
func benchPlan(list string, tput, backlogAlerts, burst, lat int) ([]benchPhase, error) {
	var plan []benchPhase
	first := 0
	runs := map[string]int{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		p := benchPhase{name: name, first: first}
		if runs[name]++; runs[name] > 1 {
			p.name = fmt.Sprintf("%s#%d", name, runs[name])
		}
		switch name {
		case "idle":
			p.articles = lat
			p.kindOf = func(i int) (articleKind, int) { return latencyArticle, i % latencyChats }
			p.run = (*pipelineBench).latency
		case "busy":
			// lat matching articles, then the quiet ones pushed beside
			// them at 200/s (20 s of them at most).
			p.articles = lat + 200*lat/2 + 200
			p.kindOf = func(i int) (articleKind, int) {
				if i < lat {
					return latencyArticle, i % latencyChats
				}
				return quietArticle, 0
			}
			p.run = func(b *pipelineBench, p benchPhase) (benchResult, error) { return b.latencyBeside(p, lat) }
		case "throughput":
			p.articles, p.kindOf, p.run = tput, oneIn(200), (*pipelineBench).push
		case "backlog":
			p.articles, p.kindOf, p.run = (backlogAlerts+flowChats-1)/flowChats*10, oneIn(10), (*pipelineBench).push
		case "burst":
			p.articles = burst
			p.kindOf = func(int) (articleKind, int) { return burstArticle, 0 }
			p.run = func(b *pipelineBench, p benchPhase) (benchResult, error) { return b.pushWith(p, 1) }
		default:
			return nil, fmt.Errorf("--phases: unknown phase %q (idle, busy, throughput, backlog, burst)", p.name)
		}
		first += p.articles
		plan = append(plan, p)
	}
	return plan, nil
}

// oneIn makes every n-th article a flow article, each for the next of the
// flow probes, and the others quiet.
func oneIn(n int) func(i int) (articleKind, int) {
	return func(i int) (articleKind, int) {
		if i%n == n-1 {
			return flowArticle, (i / n) % flowProbes
		}
		return quietArticle, 0
	}
}

// benchMatcher builds the index herald run will build, checks every
// article of the plan against it, and measures the matcher alone on the
// articles of the plan's first pushing phase (herald bench's way: every
// core, for two seconds).
func benchMatcher(path string, text *benchText, plan []benchPhase) (float64, int, error) {
	x, err := benchIndex(path)
	if err != nil {
		return 0, 0, err
	}
	checked, err := checkArticles(x, text, plan)
	if err != nil {
		return 0, checked, err
	}
	p := plan[0]
	for _, q := range plan {
		if q.name == "throughput" || q.name == "backlog" {
			p = q
			break
		}
	}
	docs := make([]alerts.Article, min(p.articles, 2000))
	for i := range docs {
		k, probe := p.kindOf(i)
		ba := text.article(p.first+i, k, probe)
		docs[i] = feeds.Clean(alerts.Article{Title: ba.Title, Body: ba.Body, Source: ba.Source, URL: ba.URL})
	}
	return matchRate(x, docs, 2*time.Second), checked, nil
}

// matchRate is how many articles per second x matches on every core.
func matchRate(x *match.Index, docs []alerts.Article, d time.Duration) float64 {
	var done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(0)
			for i := g; time.Since(start) < d; i++ {
				x.Match(&docs[i%len(docs)])
				n++
			}
			done.Add(n)
		}()
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds()
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
