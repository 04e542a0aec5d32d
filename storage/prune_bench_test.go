package storage

import (
	"fmt"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// BenchmarkPruneWhileWriting prunes 30,000 delivery-log entries (a month
// of alerts for a busy instance is millions) while another goroutine
// writes as ingest does, and reports the longest that writer waited:
// chunked (as Prune runs) and in one transaction (as it ran before).
//
//	go test -run XXX -bench PruneWhileWriting -benchtime 1x ./storage
func BenchmarkPruneWhileWriting(b *testing.B) {
	for _, tc := range []struct {
		name  string
		chunk int
	}{{"chunks of 1000", 1000}, {"one transaction", 1 << 30}} {
		b.Run(tc.name, func(b *testing.B) {
			defer func(n int) { pruneChunk = n }(pruneChunk)
			pruneChunk = tc.chunk
			for b.Loop() {
				b.StopTimer()
				d := openTest(b)
				const n, per = 30_000, 1000
				old := t0.AddDate(0, -2, 0)
				for i := 0; i < n; i += per {
					var recs []alerts.Sent
					var ds []alerts.Delivery
					for j := i; j < i+per; j++ {
						tg := alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(j%500))
						dl := alertDelivery(tg, fmt.Sprintf("story-%d", j))
						ds = append(ds, dl)
						recs = append(recs, sentFor(dl, "m", old))
					}
					if err := d.Enqueue(ds...); err != nil {
						b.Fatal(err)
					}
					if err := d.CompleteAll(ds, recs); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				stop := make(chan struct{})
				var wg sync.WaitGroup
				var worst time.Duration
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						start := time.Now()
						if err := d.PutMeta(fmt.Sprintf("bench:%d", i%10), []byte("x")); err != nil {
							b.Error(err)
							return
						}
						worst = max(worst, time.Since(start))
					}
				}()
				start := time.Now()
				pruned, err := d.Prune(t0.AddDate(0, -1, 0))
				took := time.Since(start)
				close(stop)
				wg.Wait()
				if err != nil || pruned < n {
					b.Fatalf("Prune = %d, %v; want %d", pruned, err, n)
				}
				b.ReportMetric(took.Seconds(), "prune_s")
				b.ReportMetric(float64(worst.Milliseconds()), "worst_write_wait_ms")
			}
		})
	}
}

// BenchmarkPruneCostFollowsWhatExpires prunes the same 1,000 expired
// articles (each with a story, an alert logged and its button) from stores
// that keep 10,000 and 100,000 younger ones: the time of a prune must
// follow what expires, not what the store holds.
//
//	go test -run XXX -bench PruneCostFollowsWhatExpires -benchtime 5x ./storage
func BenchmarkPruneCostFollowsWhatExpires(b *testing.B) {
	for _, live := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint("live=", live), func(b *testing.B) {
			d := openTest(b)
			old, recent := t0.AddDate(0, -2, 0), t0
			batch := 0
			fill := func(from, to int, at time.Time) {
				for i := from; i < to; i += 1000 {
					err := d.update(func(tx *bolt.Tx) error {
						for j := i; j < min(i+1000, to); j++ {
							if err := putRecordsAt(d, tx, batch, j, at); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			fill(0, live, recent)
			cutoff := t0.AddDate(0, -1, 0)
			for b.Loop() {
				b.StopTimer()
				batch++
				fill(0, 1000, old)
				b.StartTimer()
				n, err := d.Prune(cutoff)
				if err != nil || n != 4000 {
					b.Fatalf("Prune = %d, %v; want 4000", n, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/prune")
		})
	}
}

// putRecordsAt writes what one ingested and alerted article leaves: the
// article, its story, a log entry and a button.
func putRecordsAt(d *DB, tx *bolt.Tx, batch, j int, at time.Time) error {
	id := fmt.Sprintf("b%d-a%d", batch, j)
	a := alerts.Article{ID: id, URL: "https://example.com/" + id, ContentHash: "h" + id, Title: "t", Body: "body", StoryID: id, Ingested: at}
	if err := d.putArticle(tx, a, nil); err != nil {
		return err
	}
	if err := putStory(tx, alerts.Story{ID: id, Created: at, Updated: at}, at); err != nil {
		return err
	}
	tg := alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(j%500))
	rec := sentFor(alertDelivery(tg, id), "m", at)
	rec.ButtonToken = "tok-" + id
	return putSent(tx, rec)
}
