package storage

import (
	"fmt"
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
//	go test -run '^$' -bench CompleteDigest -benchtime 200x ./storage
func BenchmarkCompleteDigest(b *testing.B) {
	const digest = 20
	summary := strings.Repeat("Negotiators met in Geneva on Tuesday to discuss a ceasefire. ", 5)
	d, tg := openWithBacklog(b, func(n int) alerts.Article {
		return alerts.Article{ID: alerts.ContentID("bl", fmt.Sprint(n)), URL: fmt.Sprint("https://news.example/world/2026/12/07/ceasefire-talks-", n),
			Title: "Ceasefire talks resume in Geneva as both sides trade accusations", Summary: summary, Source: "Example News",
			Lang: "en", Published: t0, Ingested: t0, ContentHash: alerts.ContentID("h", fmt.Sprint(n)), StoryID: alerts.ContentID("s", fmt.Sprint(n))}
	})
	b.ResetTimer()
	before := d.db.Stats()
	for i := range b.N {
		t := tg((i * 37) % backlogTargets)
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
