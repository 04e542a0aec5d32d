package storage

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/herald-news/herald/alerts"
)

// BenchmarkDueWithPending is what the scheduler reads for one turn of a
// chat (Due, then Head) while 1,800 entries wait past the watermark: six
// burst articles for 300 DM chats each.
//
//	go test -run '^$' -bench DueWithPending -benchmem ./storage
func BenchmarkDueWithPending(b *testing.B) {
	d := openTestAt(b, filepath.Join(b.TempDir(), "herald.db"), Options{NoSync: true})
	tg := func(i int) alerts.TargetID { return alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(5000+i)) }
	for n := range 6 {
		var ds []alerts.Delivery
		for k := range 300 {
			ds = append(ds, alertDelivery(tg(k), fmt.Sprint("burst-", n)))
		}
		if err := d.Enqueue(ds...); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		due, _, err := d.Due(tg(7), t0.AddDate(1, 0, 0), 20)
		if err != nil || len(due) != 6 {
			b.Fatalf("Due = %d entries, %v", len(due), err)
		}
		if _, err := d.Head(tg(7)); err != nil {
			b.Fatal(err)
		}
	}
}
