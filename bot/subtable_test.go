package bot

import (
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
)

func TestSubTable(t *testing.T) {
	tb := newSubTable()
	muted := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	subs := []alerts.Subscription{
		{ID: 1, Target: "test:a"},
		{ID: 2, Target: "test:b", MutedUntil: muted},
		{ID: 3, Target: "test:a"},
		{ID: 1 << 40, Target: "test:far"}, // an ID far past the others
	}
	for _, s := range subs {
		tb.set(s)
	}
	for _, s := range subs {
		got, ok := tb.get(s.ID)
		if !ok || got.Target != s.Target || !got.MutedUntil.Equal(s.MutedUntil) {
			t.Errorf("get(%d) = %+v, %v; want %s muted until %v", s.ID, got, ok, s.Target, s.MutedUntil)
		}
	}
	if _, ok := tb.get(4); ok {
		t.Error("get of an ID never set found one")
	}
	tb.set(alerts.Subscription{ID: 2, Target: "test:c"}) // moved and unmuted
	if got, _ := tb.get(2); got.Target != "test:c" || !got.MutedUntil.IsZero() {
		t.Errorf("after the change get(2) = %+v", got)
	}
	tb.drop(3)
	tb.drop(1 << 40)
	for _, id := range []uint64{3, 1 << 40} {
		if _, ok := tb.get(id); ok {
			t.Errorf("get(%d) after drop found it", id)
		}
	}
	if len(tb.chat) > 1<<17 {
		t.Errorf("the dense table grew to %d entries for IDs up to 3", len(tb.chat))
	}
}
