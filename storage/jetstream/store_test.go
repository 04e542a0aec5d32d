package jetstream_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage/jetstream"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

func open(t *testing.T, c *natstest.Cluster, name string) *jetstream.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := jetstream.Open(ctx, jetstream.Options{URL: c.URL(), Name: name, Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoreOnThreeServers(t *testing.T) {
	c := natstest.Start(t, 3)
	a, b := open(t, c, "a"), open(t, c, "b")
	if a.Replicas() != 3 {
		t.Errorf("replicas = %d on three servers, want 3", a.Replicas())
	}
	if !a.Ready() {
		t.Error("not ready after Open")
	}
	tg := alerts.Target{ID: "telegram:-100123/7", Kind: alerts.KindGroup, Active: true}
	if err := a.PutTarget(tg); err != nil {
		t.Fatal(err)
	}
	got, err := b.GetTarget(tg.ID)
	if err != nil || got.ID != tg.ID {
		t.Fatalf("the other process reads %+v, %v", got, err)
	}
	s1, err := a.AddSubscription(alerts.Subscription{Target: tg.ID, Query: "ceasefire"})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := b.AddSubscription(alerts.Subscription{Target: tg.ID, Query: "truce"})
	if err != nil {
		t.Fatal(err)
	}
	if s1.ID == s2.ID || s1.ID == 0 {
		t.Fatalf("IDs %d and %d from two processes", s1.ID, s2.ID)
	}
	list, err := b.ListSubscriptions(tg.ID)
	if err != nil || len(list) != 2 || list[0].ID != s1.ID {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if err := a.DeleteSubscription(s1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetSubscription(s1.ID); !errors.Is(err, alerts.ErrNotFound) {
		t.Fatalf("deleted subscription: %v", err)
	}
	n := 0
	b.ForEachSubscription(func(alerts.Subscription) error { n++; return nil })
	if n != 1 {
		t.Errorf("ForEachSubscription saw %d, want 1", n)
	}

	// The outbox: the same delivery enqueued by two processes is one.
	al := alerts.Alert{Target: tg.ID, Story: "st1", Article: alerts.Article{ID: "x", Title: "T"}}
	d := alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: tg.ID, Alerts: []alerts.Alert{al}, Created: time.Now()}
	if err := a.Enqueue(d); err != nil {
		t.Fatal(err)
	}
	if err := b.Enqueue(d); err != nil {
		t.Fatal(err)
	}
	p, err := b.Queued(tg.ID)
	if err != nil || len(p) != 1 || p[0].Seq == 0 {
		t.Fatalf("queued = %+v, %v", p, err)
	}
	if err := a.CompleteAll([]alerts.Delivery{d}, []alerts.Sent{{Key: d.ID, Target: tg.ID, Story: "st1", MessageID: "9", At: time.Now(), Alert: al, ButtonToken: "tok123"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Enqueue(d); err != nil {
		t.Fatal(err)
	}
	if h, _ := a.Heads(); len(h) != 0 {
		t.Fatalf("a logged alert was queued again: %+v", h)
	}
	if sent, err := b.SentForStory("st1"); err != nil || len(sent) != 1 || sent[0].MessageID != "9" {
		t.Fatalf("SentForStory = %+v, %v", sent, err)
	}
	if last, err := b.LastSent(tg.ID); err != nil || last.Key != d.ID {
		t.Fatalf("LastSent = %+v, %v", last, err)
	}
	if btn, err := b.Button("tok123"); err != nil || btn.Key != d.ID {
		t.Fatalf("Button = %+v, %v", btn, err)
	}
	if _, err := b.Button("../etc"); !errors.Is(err, alerts.ErrNotFound) {
		t.Fatalf("forged token: %v", err)
	}
	if err := a.CompleteAll([]alerts.Delivery{{ID: "nope"}}, nil); !errors.Is(err, alerts.ErrNotFound) {
		t.Fatalf("CompleteAll of an unknown ID: %v", err)
	}

	// Articles: dedupe across processes by ID, URL and GUID.
	art := alerts.Article{ID: "art1", URL: "https://example.com/a", GUID: "g1", Title: "Ceasefire", Ingested: time.Now()}
	if err := a.Commit(art, alerts.Story{ID: "st1", Title: "Ceasefire"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, probe := range []alerts.Article{{ID: "art1"}, {ID: "other", URL: art.URL}, {ID: "other", GUID: "g1"}} {
		if _, seen, err := b.Seen(&probe); err != nil || !seen {
			t.Errorf("Seen(%+v) = %v, %v", probe, seen, err)
		}
	}
	// "g1" is no URL or URN: another outlet's item g1 is another article.
	if _, seen, err := b.Seen(&alerts.Article{ID: "other", GUID: "g1", Source: "Elsewhere"}); err != nil || seen {
		t.Errorf("another source's item g1: seen %v, %v", seen, err)
	}
	recent, err := b.RecentArticles(5)
	if err != nil || len(recent) != 1 || recent[0].ID != "art1" {
		t.Fatalf("recent = %+v, %v", recent, err)
	}

	// Meta with URL keys.
	if err := a.PutMeta("feed:https://example.com/feed.xml?x=1", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if v, err := b.GetMeta("feed:https://example.com/feed.xml?x=1"); err != nil || string(v) != "{}" {
		t.Fatalf("meta = %q, %v", v, err)
	}
	if _, err := b.GetMeta("nothing"); !errors.Is(err, alerts.ErrNotFound) {
		t.Fatalf("missing meta: %v", err)
	}
}
