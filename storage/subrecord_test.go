package storage

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

func TestSubRecordRoundTrip(t *testing.T) {
	for _, s := range []alerts.Subscription{
		{ID: 1, Target: tgA, Query: "ceasefire", Created: t0},
		{ID: 1 << 40, Target: dcC, Query: `"peace deal" OR Зеленский -sport`, Created: t0, MutedUntil: t0.Add(8 * time.Hour)},
		{ID: 7, Target: tgB},
	} {
		got, err := decodeSub(u64(s.ID), appendSub(nil, s))
		if err != nil || got.ID != s.ID || got.Target != s.Target || got.Query != s.Query ||
			!got.Created.Equal(s.Created) || !got.MutedUntil.Equal(s.MutedUntil) {
			t.Errorf("round trip of %+v = %+v, %v", s, got, err)
		}
	}
	// A record is a fraction of its JSON.
	s := alerts.Subscription{ID: 123456, Target: "telegram:5000012345", Query: "drone OR missile", Created: t0}
	js, _ := json.Marshal(s)
	if n := len(appendSub(nil, s)); n*2 > len(js) {
		t.Errorf("record of %d bytes for %d of JSON", n, len(js))
	}
}

func FuzzSubRecord(f *testing.F) {
	f.Add(appendSub(nil, alerts.Subscription{ID: 3, Target: tgA, Query: "ceasefire", Created: t0, MutedUntil: t0}))
	f.Add([]byte{subFormat, 200})
	f.Add([]byte(`{"id":3,"target":"telegram:1","query":"x"}`))
	f.Fuzz(func(t *testing.T, v []byte) {
		s, err := decodeSub(u64(3), v) // never panics
		if err != nil || len(v) == 0 || v[0] != subFormat {
			return
		}
		// What decodes is written back as a record that decodes the same.
		again, err := decodeSub(u64(3), appendSub(nil, s))
		if err != nil || again.ID != s.ID || again.Target != s.Target || again.Query != s.Query ||
			!again.Created.Equal(s.Created) || !again.MutedUntil.Equal(s.MutedUntil) {
			t.Errorf("decoded %+v from %x; written back it reads %+v, %v", s, v, again, err)
		}
	})
}

// A database whose subscriptions are JSON (schema version 2) has them
// rewritten when it is opened, and reads the same before and after.
func TestMigrationCompactsSubscriptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	d := openTestAt(t, path, Options{})
	want := map[uint64]alerts.Subscription{}
	for i, q := range []string{"ceasefire", `"peace deal"`, "drone OR missile", "Зеленский"} {
		target := []alerts.TargetID{tgA, tgB}[i%2]
		s, err := d.AddSubscription(alerts.Subscription{Target: target, Query: q, Created: t0.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			s.MutedUntil = t0.Add(time.Hour)
			if err := d.PutSubscription(s); err != nil {
				t.Fatal(err)
			}
		}
		want[s.ID] = s
	}
	d.Close()
	// Make it what version 2 wrote: every subscription as JSON, stamped 2.
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		for id, s := range want {
			raw, _ := json.Marshal(s)
			if err := tx.Bucket(bSubs).Put(u64(id), raw); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(keySchema, u64(2))
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}

	d = openTestAt(t, path, Options{})
	if v, _ := d.SchemaVersion(); v != SchemaVersion {
		t.Fatalf("SchemaVersion() = %d after the migration", v)
	}
	err = d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSubs).ForEach(func(k, v []byte) error {
			if v[0] != subFormat {
				t.Errorf("subscription %x is still %q", k, v)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	same := func(how string, got alerts.Subscription) {
		t.Helper()
		w := want[got.ID]
		if got.Target != w.Target || got.Query != w.Query || !got.Created.Equal(w.Created) || !got.MutedUntil.Equal(w.MutedUntil) {
			t.Errorf("%s: %+v, want %+v", how, got, w)
		}
	}
	n := 0
	d.ForEachSubscription(func(s alerts.Subscription) error { n++; same("ForEachSubscription", s); return nil })
	if n != len(want) {
		t.Errorf("ForEachSubscription saw %d of %d", n, len(want))
	}
	for _, target := range []alerts.TargetID{tgA, tgB} {
		subs, err := d.ListSubscriptions(target)
		if err != nil || len(subs) != 2 {
			t.Errorf("ListSubscriptions(%s) = %v, %v", target, subs, err)
		}
		for _, s := range subs {
			same("ListSubscriptions", s)
		}
	}
}
