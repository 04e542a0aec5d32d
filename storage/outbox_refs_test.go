package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// rawOutbox returns the stored outbox values, as bytes.
func rawOutbox(t *testing.T, d *DB) [][]byte {
	t.Helper()
	var out [][]byte
	if err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bOutbox).ForEach(func(_, v []byte) error {
			out = append(out, append([]byte(nil), v...))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// One article that matched many chats is stored once: each queued
// delivery refers to it, and reads give the alert back whole.
func TestOutboxEntriesReferToTheirArticle(t *testing.T) {
	d := openTest(t)
	summary := strings.Repeat("A long summary of what happened. ", 10)
	a := alerts.Article{ID: "art1", Title: "Ceasefire agreed", Summary: summary, Body: "the whole body", Ingested: t0}
	var planned []alerts.Delivery
	for i := range 300 {
		tg := alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(1000+i))
		al := alerts.Alert{Target: tg, Story: "s1", Article: a, Matches: []alerts.Match{{Sub: uint64(i + 1), Query: "ceasefire"}}}
		al.Article.Body = ""
		planned = append(planned, alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: tg, Alerts: []alerts.Alert{al}, Created: t0})
	}
	if err := d.Commit(a, alerts.Story{ID: "s1"}, planned); err != nil {
		t.Fatal(err)
	}
	for _, v := range rawOutbox(t, d) {
		if strings.Contains(string(v), "A long summary") {
			t.Fatalf("an outbox entry copies its article: %s", v)
		}
	}
	got, head, err := d.Due(planned[7].Target, t0, 10)
	if err != nil || len(got) != 1 || head.Count != 1 {
		t.Fatalf("Due = %d entries, head %+v, %v", len(got), head, err)
	}
	if art := got[0].Alerts[0].Article; art.Title != a.Title || art.Summary != summary || art.Body != "" || !art.Ingested.Equal(t0) {
		t.Errorf("the alert read back shows %+v, want the stored article without its body", art)
	}
	// The article outlives its retention while a delivery refers to it.
	if _, err := d.Prune(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetArticle(a.ID); err != nil {
		t.Fatalf("Prune forgot an article queued deliveries refer to: %v", err)
	}
	for _, dl := range planned[:299] {
		if err := d.CompleteAll([]alerts.Delivery{dl}, []alerts.Sent{sentFor(dl, "m", t0)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Drop(planned[299], "gone"); err != nil {
		t.Fatal(err)
	}
	if s, err := d.Sent(planned[299].Target, planned[299].ID); err != nil || s.Alert.Article.Title != a.Title {
		t.Errorf("a dropped alert's log entry lost its article: %+v, %v", s, err)
	}
	if _, err := d.Prune(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetArticle(a.ID); !errors.Is(err, alerts.ErrNotFound) {
		t.Fatalf("the article outlived every delivery that referred to it: %v", err)
	}
}

// The scheduler reads a target's queue by its head: how many wait, which
// is due first; and a target's due deliveries earliest first, without
// anyone else's.
func TestOutboxHeadsAndDue(t *testing.T) {
	d := openTest(t)
	later := t0.Add(time.Hour)
	held := alertDelivery(tgA, "held")
	held.NotBefore, held.Held = later, true
	now1, now2 := alertDelivery(tgA, "n1"), alertDelivery(tgA, "n2")
	other := alertDelivery(tgB, "o1")
	if err := d.Enqueue(held, now1, other, now2); err != nil {
		t.Fatal(err)
	}
	heads, err := d.Heads()
	if err != nil || len(heads) != 2 {
		t.Fatalf("Heads = %+v, %v", heads, err)
	}
	for _, h := range heads {
		want := map[alerts.TargetID]int{tgA: 3, tgB: 1}[h.Target]
		if h.Count != want || !h.Next.IsZero() {
			t.Errorf("head %+v, want %d due now", h, want)
		}
	}
	due, h, err := d.Due(tgA, t0, 10)
	if err != nil || h.Count != 3 || len(due) != 2 || due[0].ID != now1.ID || due[1].ID != now2.ID {
		t.Fatalf("Due(tgA) = %v, head %+v, %v; want the two due now, in order", ids(due), h, err)
	}
	if due, _, _ := d.Due(tgA, later, 1); len(due) != 1 || due[0].ID != now1.ID {
		t.Errorf("Due with limit 1 = %v", ids(due))
	}
	if err := d.CompleteAll([]alerts.Delivery{now1, now2}, nil); err != nil {
		t.Fatal(err)
	}
	if h, _ := d.Head(tgA); h.Count != 1 || !h.Next.Equal(later) {
		t.Errorf("head after the due ones went = %+v, want 1 held until %v", h, later)
	}
	// A failed attempt moves the entry in its target's order.
	now1.Attempts, now1.NotBefore = 1, later.Add(time.Hour)
	if err := d.Enqueue(now1); err != nil {
		t.Fatal(err)
	}
	now1.NotBefore = t0.Add(time.Minute)
	if err := d.Reschedule(now1); err != nil {
		t.Fatal(err)
	}
	if h, _ := d.Head(tgA); h.Count != 2 || !h.Next.Equal(t0.Add(time.Minute)) {
		t.Errorf("head after Reschedule = %+v", h)
	}
	if q, err := d.Queued(tgA); err != nil || len(q) != 2 || q[0].ID != held.ID {
		t.Errorf("Queued(tgA) = %v, %v; want both in the order they were queued", ids(q), err)
	}
}

func ids(ds []alerts.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

// A database written before schema version 2 (outbox entries carrying
// whole articles, no indexes) opens with its outbox intact: entries refer
// to their articles and are indexed, and nothing is lost or reordered.
func TestMigrationFromWholeOutboxEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := alerts.Article{ID: "art1", Title: "Ceasefire agreed", Summary: "What happened.", Ingested: t0}
	if err := d.Commit(a, alerts.Story{ID: "s1"}, nil); err != nil {
		t.Fatal(err)
	}
	d.Close()
	// Write the version 1 layout by hand: whole deliveries under their
	// Seq, the ID index, and nothing else.
	one, two := alertDelivery(tgA, "art1"), alertDelivery(tgB, "gone")
	one.Alerts[0].Article = a
	one.Seq, two.Seq = 1, 2
	two.NotBefore, two.Held = t0.Add(time.Hour), true
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bOutboxDue, bOutboxTail, bOutboxArts} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		for _, dl := range []alerts.Delivery{one, two} {
			raw, _ := json.Marshal(dl)
			if err := tx.Bucket(bOutbox).Put(u64(dl.Seq), raw); err != nil {
				return err
			}
			if err := tx.Bucket(bOutboxIDs).Put([]byte(dl.ID), u64(dl.Seq)); err != nil {
				return err
			}
		}
		if _, err := tx.Bucket(bOutbox).NextSequence(); err != nil {
			return err
		}
		tx.Bucket(bOutbox).SetSequence(2)
		return tx.Bucket(bMeta).Put(keySchema, u64(1))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	d, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("opening a version 1 database: %v", err)
	}
	defer d.Close()
	if v, _ := d.SchemaVersion(); v != SchemaVersion {
		t.Fatalf("schema version %d after Open, want %d", v, SchemaVersion)
	}
	for _, v := range rawOutbox(t, d) {
		if strings.Contains(string(v), "What happened.") {
			t.Errorf("a migrated entry still copies its article: %s", v)
		}
	}
	heads, err := d.Heads()
	if err != nil || len(heads) != 2 {
		t.Fatalf("Heads after migration = %+v, %v", heads, err)
	}
	due, _, err := d.Due(tgA, t0, 10)
	if err != nil || len(due) != 1 || due[0].Alerts[0].Article.Summary != a.Summary {
		t.Fatalf("Due(tgA) after migration = %+v, %v", due, err)
	}
	if h, _ := d.Head(tgB); h.Count != 1 || !h.Next.Equal(t0.Add(time.Hour)) {
		t.Errorf("the held entry's head after migration = %+v", h)
	}
	if got := pendingIDs(t, d); len(got) != 2 || got[0] != one.ID || got[1] != two.ID {
		t.Errorf("outbox after migration = %v", got)
	}
	three := alertDelivery(tgA, "new")
	if err := d.Enqueue(three); err != nil {
		t.Fatal(err)
	}
	if q, _ := d.Queued(tgA); len(q) != 2 || q[1].Seq <= two.Seq {
		t.Errorf("a new entry after migration = %+v, want a Seq after the migrated ones", q)
	}
	if _, err := d.Prune(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetArticle(a.ID); err != nil {
		t.Errorf("a migrated entry's article was pruned: %v", err)
	}
}
