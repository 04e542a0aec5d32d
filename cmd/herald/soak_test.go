//go:build unix

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
	"github.com/herald-news/herald/alerts/match/bench"
	"github.com/herald-news/herald/alerts/story"
	"github.com/herald-news/herald/alerts/summary"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage"
)

// The soak: the whole pipeline (dedupe, stories, summaries, matching,
// planning, the outbox, sending, the delivery log, hourly pruning) on the
// real store, with a simulated clock, for a month of a busy deployment.
//
//	go test -run XXX -bench Soak -benchtime 1x -timeout 3h -v ./cmd/herald
//
// It prints one line per simulated day: RSS, file size and prune time.
var (
	soakDays      = flag.Int("soak.days", 30, "simulated days")
	soakRate      = flag.Int("soak.rate", 100, "articles an hour (a busy deployment has 5,000; fewer finish on 2 cores)")
	soakRetention = flag.Duration("soak.retention", 7*24*time.Hour, "how long records are kept (Herald's default is 30 days; shorter, so that pruning runs for most of the soak)")
	soakSubs      = flag.Int("soak.subs", 100_000, "subscriptions")
	soakTargets   = flag.Int("soak.targets", 10_000, "chats")
	soakSync      = flag.Bool("soak.sync", false, "flush each commit to disk (as herald run does); off, a month takes hours of fdatasync")
)

func BenchmarkSoak(b *testing.B) {
	if testing.Short() {
		b.Skip("a month of simulated traffic")
	}
	for b.Loop() {
		runSoak(b)
	}
}

// soakDay is what one simulated day left.
type soakDay struct {
	day                   int
	articles, sent        int
	fileMB, inUseMB       float64
	rssMB, anonMB, heapMB float64
	pruned                int
	pruneTotal, pruneMax  time.Duration
	pruneCPU              time.Duration // the process's CPU time while pruning: what a busy machine does not inflate
}

func runSoak(b *testing.B) {
	ctx := context.Background()
	var clock atomic.Int64
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	clock.Store(start.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }

	path := filepath.Join(b.TempDir(), "herald.db")
	db, err := storage.Open(path, storage.Options{NoSync: !*soakSync})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	w := bench.NewWorkload(1)
	targets := seedSoakStore(b, db, w, now())
	actors := match.DefaultActors()
	snd := &soakSender{}
	bt, err := bot.New(bot.Options{
		Store: db, Matcher: match.NewIndex(actors),
		Parse:     func(q string) (alerts.Query, error) { return match.Parse(q, actors) },
		Clusterer: story.New(story.Options{Window: storyWindow, Now: now}),
		Summarize: func(title, body string) string { return summary.Summarize(title, body, summaryLength) },
		Senders:   []bot.Sender{snd},
		// No platform budget: the pacer reads the simulated clock, which
		// stands still while a slice's alerts go out.
		Rates:  map[alerts.Platform]bot.Rate{alerts.PlatformTelegram: {PerSecond: 0, Burst: 1 << 30, Workers: 1}},
		Limits: bot.Limits{Retention: *soakRetention},
		Now:    now,
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bt.Load(); err != nil {
		b.Fatal(err)
	}
	gen := newSoakArticles(w)
	b.Logf("%d subscriptions for %d chats; %d articles an hour for %d days; kept %s; pruned hourly; sync %v",
		*soakSubs, targets, *soakRate, *soakDays, *soakRetention, *soakSync)
	b.Logf("%4s %9s %9s %8s %8s %8s %8s %8s %9s %9s %9s %9s", "day", "articles", "alerts", "file MB", "used MB", "RSS MB", "anon MB", "heap MB", "pruned", "prune ms", "max ms", "CPU ms")
	var days []soakDay
	n := 0
	const slices = 12 // each hour: ingest 5 minutes of articles, then send what is due
	for h := 0; h < *soakDays*24; h++ {
		hour := start.Add(time.Duration(h) * time.Hour)
		for s := range slices {
			k := (*soakRate*(s+1))/slices - (*soakRate*s)/slices
			clock.Store(hour.Add(time.Duration(s) * 5 * time.Minute).UnixNano())
			batch := make([]alerts.Article, k)
			for i := range batch {
				batch[i] = gen.next(now())
			}
			if err := soakIngest(ctx, bt, batch); err != nil {
				b.Fatalf("ingest: %v", err)
			}
			n += k
			clock.Store(hour.Add(time.Duration(s+1) * 5 * time.Minute).UnixNano())
			if err := bt.Drain(ctx); err != nil {
				b.Fatalf("send: %v", err)
			}
		}
		if h%24 == 0 {
			days = append(days, soakDay{day: h/24 + 1})
		}
		d := &days[len(days)-1]
		t0, cpu0 := time.Now(), processCPU()
		pruned, err := db.Prune(now().Add(-*soakRetention)) // as bot's hourly maintenance does
		took := time.Since(t0)
		d.pruneCPU += processCPU() - cpu0
		if err != nil {
			b.Fatalf("prune: %v", err)
		}
		d.pruned += pruned
		d.pruneTotal += took
		d.pruneMax = max(d.pruneMax, took)
		if h%24 == 23 {
			d.articles, d.sent = n, int(snd.sent.Load())
			measureSoak(b, d, db, path)
			b.Logf("%4d %9d %9d %8.1f %8.1f %8.1f %8.1f %8.1f %9d %9.1f %9.1f %9.1f", d.day, d.articles, d.sent, d.fileMB, d.inUseMB,
				d.rssMB, d.anonMB, d.heapMB, d.pruned, ms(d.pruneTotal), ms(d.pruneMax), ms(d.pruneCPU))
		}
	}
	last := days[len(days)-1]
	b.ReportMetric(last.fileMB, "file_MB")
	b.ReportMetric(last.rssMB, "rss_MB")
	b.ReportMetric(ms(last.pruneTotal)/24, "prune_ms/hour")
	b.ReportMetric(ms(last.pruneCPU)/24, "prune_cpu_ms/hour")
	// Leveled off: in the last third, neither the store nor the memory
	// grows like the first days did.
	if len(days) >= 3*int(*soakRetention/(24*time.Hour)) {
		mid := days[len(days)*2/3-1]
		for _, c := range []struct {
			what       string
			from, to   float64
			firstDayGr float64
		}{
			{"used MB", mid.inUseMB, last.inUseMB, days[1].inUseMB - days[0].inUseMB},
			{"RSS MB", mid.rssMB, last.rssMB, days[1].rssMB - days[0].rssMB},
		} {
			if c.to-c.from > c.firstDayGr {
				b.Errorf("%s grew %.1f over the last third, more than a day's growth before pruning (%.1f)", c.what, c.to-c.from, c.firstDayGr)
			}
		}
	}
}

// soakIngest ingests a slice's articles as pushes and feeds bring them:
// several at once, so that the bot's ingest stages prepare them side by
// side and commit them together.
func soakIngest(ctx context.Context, bt *bot.Bot, batch []alerts.Article) error {
	const workers = 32
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(batch) && errs[w] == nil; i = int(next.Add(1) - 1) {
				_, _, errs[w] = bt.Ingest(ctx, batch[i])
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedSoakStore stores the chats and subscriptions: Telegram DMs with an
// even share of the workload's subscriptions each.
func seedSoakStore(b *testing.B, db *storage.DB, w *bench.Workload, now time.Time) int {
	b.Helper()
	subs := w.Subscriptions(*soakSubs)
	targets := *soakTargets
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	const writers = 64 // concurrent writes share commits
	for g := range writers {
		wg.Go(func() {
			for t := g; t < targets; t += writers {
				id := alerts.NewTargetID(alerts.PlatformTelegram, strconv.Itoa(t+1))
				if err := db.PutTarget(alerts.Target{ID: id, Kind: alerts.KindDM, Active: true, Created: now}); err != nil {
					errs <- err
					return
				}
				for i := t; i < len(subs); i += targets {
					s := subs[i]
					s.Target, s.Created = id, now
					if _, err := db.AddSubscription(s); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return targets
}

// measureSoak takes the day's figures after a garbage collection.
func measureSoak(b *testing.B, d *soakDay, db *storage.DB, path string) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	d.heapMB = float64(m.HeapAlloc) / (1 << 20)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	d.fileMB = float64(st.Size()) / (1 << 20)
	used, err := db.Size()
	if err != nil {
		b.Fatal(err)
	}
	d.inUseMB = float64(used) / (1 << 20)
	d.rssMB, d.anonMB = procStatusMB("VmRSS:"), procStatusMB("RssAnon:")
}

// procStatusMB reads a size from /proc/self/status (Linux), in MB.
func procStatusMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return math.NaN()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return math.NaN()
}

// soakSender is a platform that takes everything at once.
type soakSender struct{ sent atomic.Int64 }

func (*soakSender) Platform() alerts.Platform { return alerts.PlatformTelegram }
func (s *soakSender) Send(context.Context, alerts.Target, bot.Message) (string, error) {
	return strconv.FormatInt(s.sent.Add(1), 10), nil
}
func (*soakSender) Edit(context.Context, alerts.Target, string, bot.Message) error { return nil }

// soakArticles makes an endless stream of distinct articles from the
// workload's words (drawn as often as the workload's articles use them),
// a quarter of them other outlets' reports of a recent article, which
// join its story.
type soakArticles struct {
	words   []string
	outlets []string
	recent  []alerts.Article // a ring of the latest, for reports of the same event
	i       int
	r       *rand.Rand
}

func newSoakArticles(w *bench.Workload) *soakArticles {
	g := &soakArticles{r: rand.New(rand.NewPCG(7, 11))}
	seen := map[string]bool{}
	for _, a := range w.Articles(400) {
		g.words = append(g.words, strings.Fields(a.Body)...)
		if !seen[a.Source] {
			seen[a.Source] = true
			g.outlets = append(g.outlets, a.Source)
		}
	}
	return g
}

func (g *soakArticles) text(n int) string {
	var sb strings.Builder
	for sb.Len() < n {
		sb.WriteString(g.words[g.r.IntN(len(g.words))])
		sb.WriteByte(' ')
	}
	return sb.String()
}

func (g *soakArticles) next(now time.Time) alerts.Article {
	g.i++
	id := fmt.Sprintf("soak-%d", g.i)
	a := alerts.Article{ID: id, GUID: id, URL: "https://news.example/" + id, Source: g.outlets[g.r.IntN(len(g.outlets))],
		Lang: "en", Published: now}
	if len(g.recent) > 0 && g.r.IntN(4) == 0 {
		// Another outlet on a recent event: its title and most of its text.
		prev := g.recent[g.r.IntN(len(g.recent))]
		words := strings.Fields(prev.Body)
		for j := range words {
			if g.r.IntN(5) == 0 {
				words[j] = g.words[g.r.IntN(len(g.words))]
			}
		}
		a.Title, a.Body = prev.Title, strings.Join(words, " ")
	} else {
		size := int(math.Exp(math.Log(2000) + 0.55*g.r.NormFloat64()))
		a.Title, a.Body = strings.TrimSpace(g.text(60+g.r.IntN(40))), g.text(min(max(size, 200), 25_000))
	}
	a.ContentHash = alerts.ContentID(a.Title, a.Body)
	if len(g.recent) < 500 {
		g.recent = append(g.recent, a)
	} else {
		g.recent[g.i%500] = a
	}
	return a
}
