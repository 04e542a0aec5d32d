package storage

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/herald-news/herald/alerts"
)

// A target read after a write is the one written, whatever was read and
// kept before: by PutTarget, PutTargets and MoveTarget, and while readers
// race the writer.
func TestTargetReadsFollowWrites(t *testing.T) {
	d := openTest(t)
	tg := alerts.Target{ID: tgA, Kind: alerts.KindDM, Active: true, Title: "v0"}
	if err := d.PutTarget(tg); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					d.GetTarget(tgA)
				}
			}
		})
	}
	for i := 1; i <= 200; i++ {
		tg.Title = fmt.Sprint("v", i)
		var err error
		if i%2 == 0 {
			err = d.PutTarget(tg)
		} else {
			err = d.PutTargets([]alerts.Target{tg})
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, err := d.GetTarget(tgA); err != nil || got.Title != tg.Title {
			t.Fatalf("after writing %q, GetTarget reads %q, %v", tg.Title, got.Title, err)
		}
	}
	close(stop)
	wg.Wait()
	if err := d.MoveTarget(tgA, tgB); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetTarget(tgA); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("the moved target still reads under its old ID: %v", err)
	}
	if got, err := d.GetTarget(tgB); err != nil || got.Title != tg.Title {
		t.Errorf("the moved target reads %+v, %v", got, err)
	}
}
