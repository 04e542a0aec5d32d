package storage

import (
	"fmt"
	"sync"
	"testing"
	"time"

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
					var ids []string
					var recs []alerts.Sent
					var ds []alerts.Delivery
					for j := i; j < i+per; j++ {
						tg := alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(j%500))
						dl := alertDelivery(tg, fmt.Sprintf("story-%d", j))
						ds = append(ds, dl)
						ids = append(ids, dl.ID)
						recs = append(recs, sentFor(dl, "m", old))
					}
					if err := d.Enqueue(ds...); err != nil {
						b.Fatal(err)
					}
					if err := d.CompleteAll(ids, recs); err != nil {
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
