package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
	"github.com/herald-news/herald/alerts/story"
	"github.com/herald-news/herald/bot"
)

// BenchmarkIngestQuiet ingests articles of about 2 KB that no one
// follows, eight callers at once (as herald bench --pipeline's clients),
// through the real matcher (with 1,000 subscriptions), the real
// clusterer and a bbolt file: the bot's work per article after cleaning,
// its commit included. The summary is given, so that making it is not
// counted. allocs/op and B/op are per article.
func BenchmarkIngestQuiet(b *testing.B) {
	db := openBench(b, filepath.Join(b.TempDir(), "herald.db"))
	defer db.Close()
	actors := match.DefaultActors()
	for i := range 1000 {
		id := alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(i))
		if err := db.PutTarget(alerts.Target{ID: id, Kind: alerts.KindDM, Active: true}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.AddSubscription(alerts.Subscription{Target: id, Query: fmt.Sprintf("zztopic%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	bt, err := bot.New(bot.Options{Store: db, Matcher: match.NewIndex(actors), Clusterer: story.New(story.Options{}),
		Parse: func(q string) (alerts.Query, error) { return match.Parse(q, actors) },
		Log:   slog.New(slog.DiscardHandler), Now: time.Now, Limits: bot.Limits{SubsPerTarget: 10}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bt.Load(); err != nil {
		b.Fatal(err)
	}
	vocab := strings.Fields(`government minister said talks would resume after the ceasefire collapsed overnight
		officials reported heavy rain flooding roads across the northern region while rescue teams searched
		the central bank raised interest rates inflation remained above target markets fell sharply shares
		company announced quarterly profit revenue growth analysts expected lower demand exports factory`)
	var n atomic.Int64
	article := func() alerts.Article {
		i := n.Add(1)
		r := rand.New(rand.NewPCG(uint64(i), 7))
		var body strings.Builder
		for body.Len() < 2000 {
			for range 12 {
				body.WriteString(vocab[r.IntN(len(vocab))])
				body.WriteByte(' ')
			}
			fmt.Fprintf(&body, "Mayor Brandt%d told Reuters %d people. ", r.IntN(5000), r.IntN(9000))
		}
		return alerts.Article{ID: fmt.Sprintf("quiet-%d", i), URL: fmt.Sprintf("https://news.example/q/%d", i),
			Title: fmt.Sprintf("Report %d on the region's %s", i, vocab[r.IntN(len(vocab))]), Body: body.String(),
			Summary: "A summary given by the adapter.", Source: "Bench Wire", ContentHash: fmt.Sprintf("h-%d", i),
			Ingested: time.Now()}
	}
	arts := make([]alerts.Article, b.N)
	for i := range arts {
		arts[i] = article()
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(4) // 8 callers on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := bt.Ingest(context.Background(), arts[next.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
