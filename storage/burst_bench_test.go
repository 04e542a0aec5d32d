package storage

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
)

// BenchmarkBurstCommit is the store's cost of the burst: one article whose
// story is new to 300 DM chats (300 deliveries) committed while half a
// million deliveries wait for 10,000 chats. It reports the pages each
// commit writes (bbolt's count) and the bytes of page buffers.
//
//	go test -run '^$' -bench BurstCommit -benchtime 300x ./storage
func BenchmarkBurstCommit(b *testing.B) {
	const fan = 300
	d, tg := openWithBacklog(b, func(n int) alerts.Article {
		return alerts.Article{ID: fmt.Sprint("bl-", n), URL: fmt.Sprint("https://news.example/bl/", n), Title: "Backlog article", Body: "text", Ingested: t0, StoryID: fmt.Sprint("bls-", n)}
	})
	b.ResetTimer()
	before := d.db.Stats()
	for i := range b.N {
		a := alerts.Article{ID: fmt.Sprint("burst-", i), URL: fmt.Sprint("https://news.example/burst/", i), Title: "Burst article", Body: "text", Ingested: t0.Add(time.Duration(i) * time.Second), StoryID: fmt.Sprint("burst-story-", i)}
		var planned []alerts.Delivery
		for k := range fan {
			al := alertFor(tg(k*31), a.StoryID)
			al.Article = a
			planned = append(planned, alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: al.Target, Alerts: []alerts.Alert{al}, Created: t0})
		}
		if err := d.Commit(a, alerts.Story{ID: a.StoryID, FirstArticle: a.ID}, planned); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	after := d.db.Stats()
	diff := after.Sub(&before)
	b.ReportMetric(float64(diff.TxStats.GetPageCount())/float64(b.N), "pages/op")
	b.ReportMetric(float64(diff.TxStats.GetPageAlloc())/float64(b.N)/1024, "KBbuf/op")
	b.ReportMetric(float64(diff.TxStats.GetWrite())/float64(b.N), "writes/op")
}

// The backlog of the store benchmarks: 500,000 deliveries pending for
// 10,000 chats, planned as the pipeline's backlog phase plans them (each
// article matching 50 chats), the articles made by article(n).
const (
	backlogTargets = 10000
	backlogPending = 500000
	backlogFan     = 50
)

// openWithBacklog opens a store holding the backlog; tg(i) is chat i.
func openWithBacklog(b *testing.B, article func(n int) alerts.Article) (*DB, func(i int) alerts.TargetID) {
	d := openTestAt(b, filepath.Join(b.TempDir(), "herald.db"), Options{})
	tg := func(i int) alerts.TargetID { return alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(1000000+i)) }
	for n := 0; n < backlogPending/backlogFan; {
		var cs []alerts.ArticleCommit
		for j := 0; j < 200 && n < backlogPending/backlogFan; j, n = j+1, n+1 {
			a := article(n)
			var planned []alerts.Delivery
			for k := range backlogFan {
				al := alertFor(tg((n*7919+k*131)%backlogTargets), a.StoryID)
				al.Article = a
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
	return d, tg
}
