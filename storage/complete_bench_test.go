package storage

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
)

// BenchmarkCompleteDigest is the store's cost of sending a catch-up digest
// while half a million deliveries wait for 10,000 chats: one chat's 20
// oldest deliveries completed and logged in one transaction, as a digest
// message is. It reports the pages each completion writes.
//
//	go test -run '^$' -bench CompleteDigest -benchtime 300x ./storage
func BenchmarkCompleteDigest(b *testing.B) {
	d := openTestAt(b, filepath.Join(b.TempDir(), "herald.db"), Options{})
	const targets, pending, fan, digest = 10000, 500000, 50, 20
	tg := func(i int) alerts.TargetID { return alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(1000000+i)) }
	summary := strings.Repeat("Negotiators met in Geneva on Tuesday to discuss a ceasefire. ", 5)
	for n := 0; n < pending/fan; {
		var cs []alerts.ArticleCommit
		for j := 0; j < 200 && n < pending/fan; j, n = j+1, n+1 {
			a := alerts.Article{ID: alerts.ContentID("bl", fmt.Sprint(n)), URL: fmt.Sprint("https://news.example/world/2026/12/07/ceasefire-talks-", n),
				Title: "Ceasefire talks resume in Geneva as both sides trade accusations", Summary: summary, Source: "Example News",
				Lang: "en", Published: t0, Ingested: t0, ContentHash: alerts.ContentID("h", fmt.Sprint(n)), StoryID: alerts.ContentID("s", fmt.Sprint(n))}
			shown := a
			var planned []alerts.Delivery
			for k := range fan {
				al := alerts.Alert{Target: tg((n*7919 + k*131) % targets), Story: a.StoryID, Article: shown,
					Matches: []alerts.Match{{Sub: uint64(k + 1), Query: "ceasefire"}}, Sources: []string{"Example News"}}
				planned = append(planned, alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: al.Target, Alerts: []alerts.Alert{al}, Created: t0})
			}
			cs = append(cs, alerts.ArticleCommit{Article: a, Story: alerts.Story{ID: a.StoryID, FirstArticle: a.ID}, Planned: planned})
		}
		for _, err := range d.CommitAll(cs) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	before := d.db.Stats()
	for i := range b.N {
		t := tg((i * 37) % targets)
		due, _, err := d.Due(t, t0.Add(time.Hour), digest)
		if err != nil || len(due) == 0 {
			b.Fatal(err, len(due))
		}
		var recs []alerts.Sent
		for _, dl := range due {
			for _, a := range dl.Alerts {
				recs = append(recs, alerts.Sent{Key: a.Key(), Target: t, Story: a.Story, At: t0.Add(time.Duration(i) * time.Second), Sources: a.Sources, Alert: a})
			}
		}
		if err := d.CompleteAll(due, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	after := d.db.Stats()
	diff := after.Sub(&before)
	b.ReportMetric(float64(diff.TxStats.GetPageCount())/float64(b.N), "pages/op")
	b.ReportMetric(float64(diff.TxStats.GetWrite())/float64(b.N), "writes/op")
}
