package jetstream

import (
	"context"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// What a crash between an index write and an entry write leaves is an
// over-count, which Due mends when it meets it: an item whose entry never
// came (or went), an item due earlier than its entry. An item counted a
// moment ago whose entry is on its way is left alone, and the target looks
// again shortly.
func TestDueMendsWhatACrashLeft(t *testing.T) {
	c := natstest.Start(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, Options{URL: c.URL(), Name: "a", Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tg := alerts.TargetID("telegram:5")
	al := alerts.Alert{Target: tg, Story: "kept", Article: alerts.Article{ID: "x", Title: "Kept"}}
	kept := alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: tg, Alerts: []alerts.Alert{al}}
	if err := s.Enqueue(kept); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	hourAgo := uint64(now.Add(-time.Hour).UnixNano())
	// A create that died after counting (an hour ago), one that is under
	// way (now), and a reschedule that died after writing its entry.
	if _, err := s.changeIndex(ctx, tg, func(q *queueIndex) bool {
		q.add(queueItem{Seq: hourAgo, ID: "died"}, now)
		q.add(queueItem{Seq: uint64(now.UnixNano()), ID: "coming", NB: 1}, now)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	h, _ := s.Head(tg)
	if h.Count != 3 {
		t.Fatalf("count %d before the mend, want 3", h.Count)
	}
	due, h, err := s.Due(tg, now, 20)
	if err != nil || len(due) != 1 || due[0].ID != kept.ID {
		t.Fatalf("due %+v, %v; want only the stored entry", due, err)
	}
	if h.Count != 2 {
		t.Fatalf("count %d after the mend, want 2 (the entry and the one on its way)", h.Count)
	}

	// The one on its way never came: once it is old, it goes too; the
	// stored one, rescheduled without its index moving, waits.
	s.changeIndex(ctx, tg, func(q *queueIndex) bool {
		q.remove("coming", 0, now)
		q.add(queueItem{Seq: hourAgo + 1, ID: "coming", NB: 1}, now)
		return true
	})
	later := now.Add(time.Hour)
	rec, rev, err := s.getEntry(ctx, tg, kept.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec.NotBefore = later
	if _, err := updateJSON(ctx, s.outbox, s.entryKey(tg, kept.ID), rec, rev); err != nil {
		t.Fatal(err)
	}
	due, h, err = s.Due(tg, now, 20)
	if err != nil || len(due) != 0 {
		t.Fatalf("due %+v, %v; want nothing", due, err)
	}
	if h.Count != 1 || !h.Next.Equal(later.UTC()) {
		t.Fatalf("head %+v after the mend, want the one entry at %s", h, later)
	}

	// An entry removed without its index (a completion that died): the
	// young item waits a moment, and the scheduler looks again shortly.
	other := kept
	other.ID, other.Alerts = "other", []alerts.Alert{{Target: tg, Story: "other"}}
	if err := s.Enqueue(other); err != nil {
		t.Fatal(err)
	}
	if err := s.outbox.Purge(ctx, s.entryKey(tg, other.ID)); err != nil {
		t.Fatal(err)
	}
	due, h, err = s.Due(tg, now, 20)
	if err != nil || len(due) != 0 || h.Count != 2 || !h.Next.After(now) {
		t.Fatalf("due %d, head %+v, %v; want nothing due yet, 2 counted, a look again later", len(due), h, err)
	}
}
