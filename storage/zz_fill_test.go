package storage

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/herald-news/herald/alerts"
)

func TestZZFill(t *testing.T) {
	path := os.Getenv("FILL")
	if path == "" {
		t.Skip()
	}
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tg := alerts.NewTargetID("console", "local")
	d.PutTarget(alerts.Target{ID: tg, Kind: alerts.KindDM, Active: true})
	for i := 0; i < 300; i++ {
		d.AddSubscription(alerts.Subscription{Target: tg, Query: fmt.Sprintf("word%d", i)})
	}
	for i := 0; i < 1500; i++ {
		a := alerts.Article{ID: fmt.Sprint("a", i), URL: fmt.Sprint("https://e.com/", i), Title: "t", Body: strings.Repeat("body ", 400), Ingested: t0}
		d.Commit(a, alerts.Story{ID: a.ID, Created: t0, Updated: t0}, nil)
	}
}
