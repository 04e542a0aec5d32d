package main

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// TestMigrateToNATS: herald migrate --to nats copies a bbolt database into
// the cluster: subscriptions keep their IDs (and new ones never reuse
// them), targets keep their settings, feed state and the Telegram offset
// come along, the queued delivery is still queued, and an alert already
// sent is not queued again. Running it twice changes nothing.
func TestMigrateToNATS(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "herald.db")
	db, err := storage.Open(dbPath, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	chat := alerts.Target{ID: "telegram:-1001", Kind: alerts.KindGroup, Active: true,
		Settings: alerts.TargetSettings{Digest: "daily", DigestAt: "08:00", TimeZone: "Europe/Kyiv"}}
	if err := db.PutTarget(chat); err != nil {
		t.Fatal(err)
	}
	first, _ := db.AddSubscription(alerts.Subscription{Target: chat.ID, Query: "truce"})
	kept, _ := db.AddSubscription(alerts.Subscription{Target: chat.ID, Query: "ceasefire"})
	db.DeleteSubscription(first.ID)
	sentAlert := alerts.Alert{Target: chat.ID, Story: "s-sent", Article: alerts.Article{ID: "a1", Title: "Sent one"}}
	queued := alerts.Alert{Target: chat.ID, Story: "s-queued", Article: alerts.Article{ID: "a2", Title: "Queued one"}}
	if err := db.Enqueue(
		alerts.Delivery{ID: sentAlert.Key(), Kind: alerts.DeliverAlert, Target: chat.ID, Alerts: []alerts.Alert{sentAlert}, Created: time.Now()},
		alerts.Delivery{ID: queued.Key(), Kind: alerts.DeliverAlert, Target: chat.ID, Alerts: []alerts.Alert{queued}, Created: time.Now()},
	); err != nil {
		t.Fatal(err)
	}
	if err := db.CompleteAll([]alerts.Delivery{{ID: sentAlert.Key(), Kind: alerts.DeliverAlert, Target: chat.ID, Alerts: []alerts.Alert{sentAlert}}}, []alerts.Sent{{Key: sentAlert.Key(), Target: chat.ID, Story: "s-sent",
		MessageID: "55", At: time.Now(), Alert: sentAlert, ButtonToken: "tok1"}}); err != nil {
		t.Fatal(err)
	}
	db.PutMeta("feed:https://example.com/rss", []byte(`{"url":"https://example.com/rss","etag":"x"}`))
	db.PutMeta("telegram.update_offset", []byte("1234"))
	db.Close()

	nc := natstest.Start(t, 3)
	cfg := config{DB: dbPath, NATSURL: nc.URL(), NATSPrefix: "herald"}
	for range 2 {
		if _, err := migrate(context.Background(), cfg, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	st := observer(t, nc.URL())
	if got, err := st.GetSubscription(kept.ID); err != nil || got.Query != "ceasefire" {
		t.Fatalf("subscription %d after the move: %+v, %v", kept.ID, got, err)
	}
	if subs, _ := st.ListSubscriptions(chat.ID); len(subs) != 1 {
		t.Errorf("the chat follows %d subscriptions after the move, want 1", len(subs))
	}
	next, err := st.AddSubscription(alerts.Subscription{Target: chat.ID, Query: "new"})
	if err != nil || next.ID <= kept.ID {
		t.Errorf("a new subscription got ID %d, reusing the migrated ones (%v)", next.ID, err)
	}
	if got, err := st.GetTarget(chat.ID); err != nil || got.Settings != chat.Settings {
		t.Errorf("settings after the move: %+v, %v", got.Settings, err)
	}
	if v, err := st.GetMeta("feed:https://example.com/rss"); err != nil || len(v) == 0 {
		t.Errorf("feed state not moved: %v", err)
	}
	if v, _ := st.GetMeta("telegram.update_offset"); string(v) != "1234" {
		t.Errorf("Telegram offset after the move: %q", v)
	}
	pending, _ := st.Queued(chat.ID)
	if len(pending) != 1 || pending[0].ID != queued.Key() {
		t.Fatalf("outbox after the move: %+v, want the one queued alert", pending)
	}
	// The sent alert planned again (its story gains an article) is not
	// sent again, and its buttons still work.
	st.Enqueue(alerts.Delivery{ID: sentAlert.Key(), Kind: alerts.DeliverAlert, Target: chat.ID, Alerts: []alerts.Alert{sentAlert}, Created: time.Now()})
	if pending, _ := st.Queued(chat.ID); len(pending) != 1 {
		t.Errorf("an alert sent before the move was queued again: %d queued", len(pending))
	}
	if sent, err := st.SentForStory("s-sent"); err != nil || len(sent) != 1 || sent[0].MessageID != "55" {
		t.Errorf("delivery log after the move: %+v, %v", sent, err)
	}
	if b, err := st.Button("tok1"); err != nil || b.Key != sentAlert.Key() {
		t.Errorf("button after the move: %+v, %v", b, err)
	}
}
