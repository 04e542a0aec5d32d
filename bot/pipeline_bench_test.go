package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/bot/bottest"
	"github.com/herald-news/herald/storage"
)

// benchBot is a bot with the real matcher on a bbolt file, sending to a
// bottest.Sender at Telegram's real pacing, on the real clock.
func benchBot(b *testing.B, db *storage.DB, snd *bottest.Sender) *bot.Bot {
	b.Helper()
	actors := match.DefaultActors()
	bt, err := bot.New(bot.Options{Store: db, Matcher: match.NewIndex(actors), Senders: []bot.Sender{snd},
		Parse: func(q string) (alerts.Query, error) { return match.Parse(q, actors) },
		Log:   slog.New(slog.DiscardHandler), Now: time.Now, Limits: bot.Limits{SubsPerTarget: 10}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bt.Load(); err != nil {
		b.Fatal(err)
	}
	return bt
}

func openBench(b *testing.B, path string) *storage.DB {
	b.Helper()
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// runBot runs the bot until the returned stop is called.
func runBot(bt *bot.Bot) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bt.Run(ctx, nil); close(done) }()
	return func() { cancel(); <-done }
}

var benchArticle atomic.Int64

// quietArticle is an article no subscription matches, arrived now.
func quietArticle() alerts.Article {
	n := benchArticle.Add(1)
	return alerts.Article{ID: fmt.Sprintf("quiet-%d", n), URL: fmt.Sprintf("https://news.example/quiet/%d", n),
		Title: fmt.Sprintf("Weather report %d for the coast", n), Body: "Mild and dry along the coast today.",
		Source: "Bench Wire", ContentHash: fmt.Sprintf("quiet-%d", n), Ingested: time.Now()}
}

// ingestRate ingests n articles no one follows, one after another, and
// returns how many went through per second.
func ingestRate(b *testing.B, bt *bot.Bot, n int) float64 {
	start := time.Now()
	for range n {
		if _, _, err := bt.Ingest(context.Background(), quietArticle()); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkBacklog queues 500,100 alerts (1,667 stories for 300 DM chats)
// and reports the process's memory while the backlog drains at Telegram's
// pace (catch-up digests), and the ingest rate of articles no one follows
// with that backlog (with the scheduler stopped, then sending) against an
// empty outbox, in the same run.
func BenchmarkBacklog(b *testing.B) {
	const chats, stories = 300, 1667
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "herald.db")
		snd := &bottest.Sender{Name: alerts.PlatformTelegram}
		db := openBench(b, path)
		empty := ingestRate(b, benchBot(b, db, snd), 500)
		start := time.Now()
		if _, err := bottest.Backlog(db, alerts.PlatformTelegram, chats, stories, "ceasefire", time.Now()); err != nil {
			b.Fatal(err)
		}
		fill := time.Since(start)
		db.Close()
		// The disk after the fill, without the backlog: a fresh file.
		fresh := openBench(b, filepath.Join(b.TempDir(), "fresh.db"))
		emptyAfter := ingestRate(b, benchBot(b, fresh, snd), 500)
		fresh.Close()
		// What the fill left behind is not the running service's.
		runtime.GC()
		debug.FreeOSMemory()
		db = openBench(b, path)
		bt := benchBot(b, db, snd)
		// With the backlog on disk, first with nothing being sent, then
		// while the scheduler sends (its writes share bbolt's one writer).
		backlogged := ingestRate(b, bt, 500)
		stop := runBot(bt)
		sending := ingestRate(b, bt, 500)
		time.Sleep(3 * time.Second) // the backlog drains a while
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rss := bottest.RSS()
		stop()
		db.Close()
		b.ReportMetric(float64(chats*stories), "backlog")
		b.ReportMetric(float64(rss)/(1<<20), "rss_MB")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap_MB")
		b.ReportMetric(empty, "ingest_empty/s")
		b.ReportMetric(emptyAfter, "ingest_empty_after/s")
		b.ReportMetric(backlogged, "ingest_backlog/s")
		b.ReportMetric(sending, "ingest_backlog_sending/s")
		b.ReportMetric(snd.Rate(), "sent_alerts/s")
		b.ReportMetric(fill.Seconds(), "fill_s")
	}
}

// BenchmarkIngestToSent reports how long an alert takes from its
// article's arrival to the platform: 200 matching articles 50 ms apart,
// each for another DM chat (so no chat's pace holds one back), alone and
// with 200 articles a second no one follows arriving beside them.
func BenchmarkIngestToSent(b *testing.B) {
	const chats = 200
	for _, busy := range []bool{false, true} {
		name := "idle"
		if busy {
			name = "with_200_quiet_per_s"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				db := openBench(b, filepath.Join(b.TempDir(), "herald.db"))
				snd := &bottest.Sender{Name: alerts.PlatformTelegram}
				for i := range chats {
					id := alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(i))
					if err := db.PutTarget(alerts.Target{ID: id, Kind: alerts.KindDM, Active: true}); err != nil {
						b.Fatal(err)
					}
					if _, err := db.AddSubscription(alerts.Subscription{Target: id, Query: fmt.Sprintf("topic%d", i)}); err != nil {
						b.Fatal(err)
					}
				}
				bt := benchBot(b, db, snd)
				stop := runBot(bt)
				quit := make(chan struct{})
				var quiet atomic.Int64
				quietDone := make(chan struct{})
				go func() {
					defer close(quietDone)
					if !busy {
						return
					}
					tick := time.NewTicker(5 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-quit:
							return
						case <-tick.C:
							if _, _, err := bt.Ingest(context.Background(), quietArticle()); err == nil {
								quiet.Add(1)
							}
						}
					}
				}()
				start := time.Now()
				for i := range chats {
					a := quietArticle()
					a.Title = fmt.Sprintf("News on topic%d", i)
					a.Ingested = time.Now()
					if _, _, err := bt.Ingest(context.Background(), a); err != nil {
						b.Fatal(err)
					}
					time.Sleep(50 * time.Millisecond)
				}
				for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
					if _, n := snd.Counts(); n >= chats {
						break
					}
				}
				close(quit)
				<-quietDone
				elapsed := time.Since(start)
				stop()
				db.Close()
				lat := snd.Latencies()
				ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
				b.ReportMetric(float64(len(lat)), "alerts")
				b.ReportMetric(ms(bottest.Percentile(lat, 50)), "p50_ms")
				b.ReportMetric(ms(bottest.Percentile(lat, 90)), "p90_ms")
				b.ReportMetric(ms(bottest.Percentile(lat, 99)), "p99_ms")
				if busy {
					b.ReportMetric(float64(quiet.Load())/elapsed.Seconds(), "quiet_accepted/s")
				}
			}
		})
	}
}
