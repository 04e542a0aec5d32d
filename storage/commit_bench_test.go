package storage

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
)

// BenchmarkCommitArticles commits articles as the ingest pipeline does
// under load (herald bench --pipeline's throughput phase: groups of 4
// articles, each with its URL and content hash, nothing matched) into a
// store that already holds 20,000: what one article costs the commit.
// Without disk flushes it measures the commit's CPU and allocations, which
// every article waits on (one writer); with them, the wall time too.
//
//	go test -run XXX -bench CommitArticles -benchmem ./storage
func BenchmarkCommitArticles(b *testing.B) {
	body := strings.Repeat("Officials said the talks would resume on Monday after a week of delays. ", 36)
	article := func(i int) alerts.Article {
		id := alerts.ContentID("bench", fmt.Sprint(i))
		return alerts.Article{ID: id, Title: "Talks resume " + id, Body: body, URL: "https://example.com/news/" + id,
			ContentHash: alerts.ContentID("hash", id), Source: "bench", Ingested: t0.Add(time.Duration(i) * time.Millisecond)}
	}
	const group, stored = 4, 20_000
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprint("sync=", sync), func(b *testing.B) {
			d := openTestAt(b, filepath.Join(b.TempDir(), "herald.db"), Options{NoSync: !sync})
			var cs []alerts.ArticleCommit
			for i := range stored {
				cs = append(cs, alerts.ArticleCommit{Article: article(i)})
				if len(cs) == 500 {
					commitAll(b, d, cs)
					cs = cs[:0]
				}
			}
			next := stored
			pages := writtenPages(d)
			b.ResetTimer()
			for b.Loop() {
				cs = cs[:0]
				for range group {
					a := article(next)
					next++
					cs = append(cs, alerts.ArticleCommit{Article: a, Story: alerts.Story{ID: alerts.OwnStoryID(a.ID), FirstArticle: a.ID, Title: a.Title, Sources: []string{"bench"}}})
				}
				commitAll(b, d, cs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*group), "ns/article")
			b.ReportMetric(float64(writtenPages(d)-pages)/float64(b.N*group), "pages/article")
		})
	}
}

func commitAll(b *testing.B, d *DB, cs []alerts.ArticleCommit) {
	for _, err := range d.CommitAll(cs) {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// writtenPages is how many pages the store's commits wrote so far.
func writtenPages(d *DB) int64 {
	s := d.db.Stats()
	return s.TxStats.GetWrite()
}
