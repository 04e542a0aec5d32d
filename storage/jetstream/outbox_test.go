package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage/jetstream"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

func openAs(t *testing.T, c *natstest.Cluster, name, prefix string) *jetstream.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := jetstream.Open(ctx, jetstream.Options{URL: c.URL(), Name: name, Prefix: prefix, Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func delivery(t alerts.TargetID, story string, notBefore time.Time) alerts.Delivery {
	al := alerts.Alert{Target: t, Story: story, Article: alerts.Article{ID: "art-" + story, Title: "Report " + story}}
	return alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: t, Alerts: []alerts.Alert{al},
		NotBefore: notBefore, Created: time.Now()}
}

func sent(d alerts.Delivery) alerts.Sent {
	a := d.Alerts[0]
	return alerts.Sent{Key: a.Key(), Target: d.Target, Story: a.Story, At: time.Now(), Alert: a}
}

// TestOutboxOnThreeServers checks the cluster store's outbox against the
// bot's contract (bot.Outbox), on three servers and from two processes.
func TestOutboxOnThreeServers(t *testing.T) {
	c := natstest.Start(t, 3)

	// A target with more queued than the index's window: Due hands them
	// out in the order NotBefore, then Seq, a digest's worth at a time,
	// and the held ones wait.
	t.Run("order", func(t *testing.T) {
		s := openAs(t, c, "a", "order")
		tg := alerts.TargetID("telegram:1")
		now := time.Now()
		var want []string
		var ds []alerts.Delivery
		for i := range 60 {
			d := delivery(tg, fmt.Sprintf("now%02d", i), time.Time{})
			ds, want = append(ds, d), append(want, d.ID)
		}
		for i := range 10 {
			ds = append(ds, delivery(tg, fmt.Sprintf("held%02d", i), now.Add(time.Hour)))
		}
		for _, d := range ds { // one at a time: each gets a later Seq
			if err := s.Enqueue(d); err != nil {
				t.Fatal(err)
			}
		}
		h, err := s.Head(tg)
		if err != nil || h.Count != 70 || !h.Next.IsZero() || h.Seq == 0 {
			t.Fatalf("head %+v, %v; want 70 due now", h, err)
		}
		var got []string
		for {
			due, head, err := s.Due(tg, now, 20)
			if err != nil {
				t.Fatal(err)
			}
			if head.Count != 70-len(got) {
				t.Fatalf("Due's head counts %d with %d sent, want %d", head.Count, len(got), 70-len(got))
			}
			if len(due) == 0 {
				break
			}
			var recs []alerts.Sent
			for _, d := range due {
				recs = append(recs, sent(d))
				got = append(got, d.ID)
				if d.Alerts[0].Article.Title == "" {
					t.Fatalf("delivery %s came back without its article", d.ID)
				}
			}
			if err := s.CompleteAll(due, recs); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("sent in the order\n%v\nwant\n%v", got, want)
		}
		h, _ = s.Head(tg)
		if h.Count != 10 || !h.Next.Equal(now.Add(time.Hour).UTC()) {
			t.Fatalf("head after the due ones %+v, want the 10 held until %s", h, now.Add(time.Hour))
		}
		q, err := s.Queued(tg)
		if err != nil || len(q) != 10 || q[0].Seq >= q[9].Seq {
			t.Fatalf("queued %d, %v; want the 10 held in Seq order", len(q), err)
		}
		heads, err := s.Heads()
		if err != nil || len(heads) != 1 || heads[0].Count != 10 {
			t.Fatalf("heads %+v, %v", heads, err)
		}
	})

	// An entry refers to its article: the article is stored once, and a
	// headline updated after the alert was queued is the one sent.
	t.Run("references", func(t *testing.T) {
		s := openAs(t, c, "a", "refs")
		art := alerts.Article{ID: "ref1", Title: "First headline", Body: strings.Repeat("body ", 2000), Ingested: time.Now()}
		var planned []alerts.Delivery
		for i := range 5 {
			tg := alerts.TargetID(fmt.Sprintf("telegram:%d", 100+i))
			al := alerts.Alert{Target: tg, Story: "st", Article: art}
			al.Article.Body = ""
			planned = append(planned, alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: tg, Alerts: []alerts.Alert{al}})
		}
		if err := s.Commit(art, alerts.Story{ID: "st", FirstArticle: art.ID}, planned); err != nil {
			t.Fatal(err)
		}
		art.Title = "Updated headline"
		if err := s.Commit(art, alerts.Story{ID: "st"}, nil); err != nil {
			t.Fatal(err)
		}
		due, _, err := s.Due(planned[3].Target, time.Now(), 20)
		if err != nil || len(due) != 1 || due[0].Alerts[0].Article.Title != "Updated headline" || due[0].Alerts[0].Article.Body != "" {
			t.Fatalf("due %+v, %v; want the updated headline, without the body", due, err)
		}
		raw := rawBucket(t, c, "refs_outbox")
		ks := listed(t, raw, "e.", 5)
		for _, k := range ks {
			e, _ := raw.Get(context.Background(), k)
			if strings.Contains(string(e.Value()), "headline") {
				t.Errorf("entry %s copies its article: %s", k, e.Value())
			}
		}
		if len(ks) != 5 {
			t.Errorf("%d entries stored, want 5", len(ks))
		}
	})

	// The same deliveries enqueued by two processes at once, several times
	// each, are queued once each and counted once each.
	t.Run("enqueue twice at once", func(t *testing.T) {
		a, b := openAs(t, c, "a", "twice"), openAs(t, c, "b", "twice")
		tg := alerts.TargetID("discord:7")
		var ds []alerts.Delivery
		for i := range 30 {
			ds = append(ds, delivery(tg, fmt.Sprint("s", i), time.Time{}))
		}
		var wg sync.WaitGroup
		for i := range 6 {
			st := a
			if i%2 == 1 {
				st = b
			}
			wg.Go(func() {
				if err := st.Enqueue(ds...); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		q, err := b.Queued(tg)
		if err != nil || len(q) != 30 {
			t.Fatalf("queued %d, %v; want 30", len(q), err)
		}
		due, h, err := a.Due(tg, time.Now(), 40)
		if err != nil || len(due) != 30 || h.Count != 30 {
			t.Fatalf("due %d, head %+v, %v; want 30 and 30", len(due), h, err)
		}
	})

	// A failed attempt moves its delivery later; a dropped one is logged
	// with its reason and leaves; an ID not queued is ErrNotFound.
	t.Run("reschedule and drop", func(t *testing.T) {
		s := openAs(t, c, "a", "resched")
		tg := alerts.TargetID("telegram:9")
		d1, d2 := delivery(tg, "one", time.Time{}), delivery(tg, "two", time.Time{})
		if err := s.Enqueue(d1, d2); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Minute)
		d1.Attempts, d1.LastError, d1.NotBefore = 1, "boom", later
		if err := s.Reschedule(d1); err != nil {
			t.Fatal(err)
		}
		due, h, err := s.Due(tg, time.Now(), 20)
		if err != nil || len(due) != 1 || due[0].ID != d2.ID || h.Count != 2 {
			t.Fatalf("due %v, head %+v, %v; want only the second", due, h, err)
		}
		if err := s.Drop(d2, "target is inactive"); err != nil {
			t.Fatal(err)
		}
		rec, err := s.Sent(d2.Target, d2.ID)
		if err != nil || rec.Dropped != "target is inactive" || rec.Alert.Article.Title == "" {
			t.Fatalf("log of the dropped one: %+v, %v", rec, err)
		}
		h, _ = s.Head(tg)
		if h.Count != 1 || !h.Next.Equal(later.UTC()) {
			t.Fatalf("head %+v, want the rescheduled one at %s", h, later)
		}
		if err := s.Drop(alerts.Delivery{ID: "nope"}, "x"); !errors.Is(err, alerts.ErrNotFound) {
			t.Fatalf("drop of an unknown ID: %v", err)
		}
	})

	// Heads reads the targets' indexes, not their entries: an entry that
	// cannot be read does not stop it (Due, which reads it, says so).
	t.Run("heads read no entry", func(t *testing.T) {
		s := openAs(t, c, "a", "heads")
		tg := alerts.TargetID("telegram:11")
		if err := s.Enqueue(delivery(tg, "x", time.Time{})); err != nil {
			t.Fatal(err)
		}
		raw := rawBucket(t, c, "heads_outbox")
		for _, k := range listed(t, raw, "e.", 1) {
			if _, err := raw.Put(context.Background(), k, []byte("{damaged")); err != nil {
				t.Fatal(err)
			}
		}
		heads, err := s.Heads()
		if err != nil || len(heads) != 1 || heads[0].Count != 1 {
			t.Fatalf("heads %+v, %v", heads, err)
		}
		if _, _, err := s.Due(tg, time.Now(), 20); err == nil || !strings.Contains(err.Error(), "outbox entry") {
			t.Fatalf("Due of a damaged entry: %v", err)
		}
	})

	t.Run("story update meeting its send", func(t *testing.T) { testStoryUpdateMeetingItsSend(t, c) })
	t.Run("story update racing its send", func(t *testing.T) { testStoryUpdateRacingItsSend(t, c) })

	// A delivery another process queues in a partition this one holds is
	// announced at once; this process's own writes are not.
	t.Run("watch", func(t *testing.T) {
		a, b := openAs(t, c, "a", "watch"), openAs(t, c, "b", "watch")
		mine, theirs := alerts.TargetID("telegram:21"), alerts.TargetID("telegram:22")
		for a.Partition(mine) == a.Partition(theirs) {
			theirs += "0"
		}
		a.SetOwned(func(p int) bool { return p == a.Partition(mine) })
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		got := make(chan alerts.TargetID, 10)
		go a.WatchOutbox(ctx, func(ts []alerts.TargetID) {
			for _, t := range ts {
				got <- t
			}
		})
		time.Sleep(200 * time.Millisecond) // the watch is set up
		if err := a.Enqueue(delivery(mine, "own", time.Time{})); err != nil {
			t.Fatal(err)
		}
		if err := b.Enqueue(delivery(theirs, "other partition", time.Time{})); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := b.Enqueue(delivery(mine, "from b", time.Time{})); err != nil {
			t.Fatal(err)
		}
		select {
		case tg := <-got:
			if tg != mine {
				t.Fatalf("announced %s, want %s", tg, mine)
			}
			t.Logf("announced %s after the write returned", time.Since(start).Round(time.Millisecond))
		case <-time.After(5 * time.Second):
			t.Fatal("a delivery queued by another process was not announced")
		}
		select {
		case tg := <-got:
			t.Fatalf("also announced %s", tg)
		case <-time.After(300 * time.Millisecond):
		}
	})
}

// listed lists a bucket's keys that start with prefix, until there are
// want of them (or 10 s passed). A listing reads one replica, chosen at
// random, which may not yet have a write the stream's leader acknowledged
// (the store's own listings write a barrier first; this one looks at what
// the store wrote from outside).
func listed(t *testing.T, kv natsjs.KeyValue, prefix string, want int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ks, err := kv.ListKeys(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for k := range ks.Keys() {
			if strings.HasPrefix(k, prefix) {
				out = append(out, k)
			}
		}
		if len(out) >= want || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rawBucket opens a bucket directly, to look at or damage what the store
// wrote.
func rawBucket(t *testing.T, c *natstest.Cluster, name string) natsjs.KeyValue {
	t.Helper()
	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := natsjs.New(nc)
	kv, err := js.KeyValue(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}
