package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage"
	"github.com/herald-news/herald/storage/jetstream"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// benchSender is a platform that answers at once and notes when each
// alert's article arrived and when it was sent.
type benchSender struct {
	mu   sync.Mutex
	lats []time.Duration
}

func (s *benchSender) Platform() alerts.Platform { return alerts.PlatformConsole }
func (s *benchSender) Send(_ context.Context, _ alerts.Target, m bot.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range m.Alerts {
		s.lats = append(s.lats, time.Since(a.Article.Ingested))
	}
	return "1", nil
}
func (s *benchSender) Edit(context.Context, alerts.Target, string, bot.Message) error { return nil }

// BenchmarkPipelineStores drives the real pipeline (dedupe, stories,
// match, plan, commit) and scheduler on each store in one run: bbolt, and
// the cluster store on three embedded NATS servers. It reports articles/s through
// ingest → outbox (each article raises one alert) and the ingest → sent
// latency of lone alerts, one every 20 ms, against a platform that
// answers at once.
//
//	go test -run XXX -bench PipelineStores -benchtime 1000x ./cmd/herald
func BenchmarkPipelineStores(b *testing.B) {
	nc := natstest.Start(b, 3)
	// nats-3-unannounced assigns stories without announcing them first:
	// what the announcement costs.
	for _, mode := range []string{"bbolt", "nats-3", "nats-3-unannounced"} {
		b.Run(mode, func(b *testing.B) {
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			core, _ := newCore(config{}, log)
			var st bot.Store
			var stories bot.Clusterer = core.clusterer
			if mode == "bbolt" {
				db, err := storage.Open(filepath.Join(b.TempDir(), "h.db"), storage.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				st = db
			} else {
				js, err := jetstream.Open(context.Background(), jetstream.Options{URL: nc.URL(), Prefix: fmt.Sprintf("bench%d", time.Now().UnixNano()%1e6)})
				if err != nil {
					b.Fatal(err)
				}
				defer js.Close()
				st = js
				// Stories are announced before they are assigned, as in
				// herald run.
				if mode == "nats-3" {
					fctx, stop := context.WithCancel(context.Background())
					defer stop()
					go js.FollowIntents(fctx)
				}
				stories = newClusterStories(core.clusterer, js)
			}
			snd := &benchSender{}
			bt, err := bot.New(bot.Options{Store: st, Matcher: core.matcher, Parse: core.parse, Clusterer: stories,
				Senders: []bot.Sender{snd}, Log: log})
			if err != nil {
				b.Fatal(err)
			}
			const targets = 200
			for i := range targets {
				id := alerts.NewTargetID(alerts.PlatformConsole, fmt.Sprint(i))
				st.PutTarget(alerts.Target{ID: id, Kind: alerts.KindDM, Active: true})
				sub, _ := st.AddSubscription(alerts.Subscription{Target: id, Query: fmt.Sprintf("topic%d", i)})
				core.matcher.Add(sub)
				bt.ApplySubscription(sub)
			}
			art := func(n int) alerts.Article {
				return alerts.Article{ID: fmt.Sprintf("%s-%d", mode, n), URL: fmt.Sprintf("https://b.example/%s/%d", mode, n),
					Title: fmt.Sprintf("Report %d on topic%d", n, n%targets), Body: fmt.Sprintf("Body %d topic%d", n, n%targets),
					ContentHash: fmt.Sprintf("%s-h%d", mode, n), Source: "B"}
			}
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if _, _, err := bt.Ingest(ctx, art(i)); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "articles/s")

			// Drain what ingest queued, then time lone alerts.
			rctx, cancel := context.WithCancel(ctx)
			in := make(chan alerts.Article)
			done := make(chan struct{})
			go func() { bt.Run(rctx, in); close(done) }()
			for {
				if h, _ := st.Heads(); len(h) == 0 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			snd.mu.Lock()
			snd.lats = nil
			snd.mu.Unlock()
			const lone = 100
			for i := range lone {
				a := art(b.N + i)
				a.Ingested = time.Now()
				bt.Ingest(ctx, a)
				time.Sleep(20 * time.Millisecond)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				snd.mu.Lock()
				n := len(snd.lats)
				snd.mu.Unlock()
				if n >= lone || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
			close(in)
			<-done
			snd.mu.Lock()
			lats := slices.Clone(snd.lats)
			snd.mu.Unlock()
			slices.Sort(lats)
			if len(lats) > 0 {
				b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}
