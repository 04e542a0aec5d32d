package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
	queries := []string{"ceasefire", `"peace deal"`, "drone OR missile", "Зеленский"}
	for i := range 2000 {
		queries = append(queries, fmt.Sprintf("topic%d OR other%d", i, i))
	}
	var subs []alerts.Subscription
	for i, q := range queries {
		subs = append(subs, alerts.Subscription{Target: []alerts.TargetID{tgA, tgB}[i%2], Query: q, Created: t0.Add(time.Duration(i) * time.Minute)})
	}
	subs[3].MutedUntil = t0.Add(time.Hour)
	subs[5].Role, subs[5].RoleName = "900000000000000001", "Editors"
	added, err := d.AddSubscriptions(subs)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range added {
		want[s.ID] = s
	}
	d.Close()
	// Make it what version 2 wrote: every subscription as JSON, indexed
	// by one subs_by_tgt key (target, 0, ID) each.
	asVersion(t, path, 2, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bTargetSubs); err != nil {
			return err
		}
		idx, err := tx.CreateBucket(bSubsByTgt)
		if err != nil {
			return err
		}
		for id, s := range want {
			raw, _ := json.Marshal(s)
			if err := tx.Bucket(bSubs).Put(u64(id), raw); err != nil {
				return err
			}
			if err := idx.Put(binary.BigEndian.AppendUint64(append([]byte(s.Target), 0), id), nil); err != nil {
				return err
			}
		}
		return nil
	})

	before := fileSize(t, path)
	d = openTestAt(t, path, Options{})
	if v, _ := d.SchemaVersion(); v != SchemaVersion {
		t.Fatalf("SchemaVersion() = %d after the migration", v)
	}
	if after := fileSize(t, path); after >= before {
		t.Errorf("the upgraded file has %d bytes, the old one %d", after, before)
	}
	if _, err := os.Stat(path + ".upgrade"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the upgrade's copy is left behind: %v", err)
	}
	err = d.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bSubsByTgt) != nil {
			t.Error("subs_by_tgt is still there")
		}
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
		if got.Target != w.Target || got.Query != w.Query || !got.Created.Equal(w.Created) || !got.MutedUntil.Equal(w.MutedUntil) ||
			got.Role != w.Role || got.RoleName != w.RoleName {
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
		if err != nil || len(subs) != len(want)/2 {
			t.Errorf("ListSubscriptions(%s) = %v, %v", target, subs, err)
		}
		for _, s := range subs {
			same("ListSubscriptions", s)
		}
	}
}

// A target's list stays in ID order whatever the order subscriptions join
// it in, and a target whose last subscription went has no list left.
func TestTargetListsStayInOrder(t *testing.T) {
	d := openTest(t)
	var ids []uint64
	for i, target := range []alerts.TargetID{tgA, tgB, tgB, tgA} {
		s, err := d.AddSubscription(alerts.Subscription{Target: target, Query: fmt.Sprint("q", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}
	first, _ := d.GetSubscription(ids[0])
	first.Target = tgB
	if err := d.PutSubscription(first); err != nil {
		t.Fatal(err)
	}
	subs, err := d.ListSubscriptions(tgB)
	if err != nil || len(subs) != 3 || subs[0].ID != ids[0] || subs[1].ID != ids[1] || subs[2].ID != ids[2] {
		t.Fatalf("ListSubscriptions(tgB) = %+v, %v; want IDs %v", subs, err, ids[:3])
	}
	if err := d.DeleteSubscription(ids[3]); err != nil {
		t.Fatal(err)
	}
	d.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bTargetSubs).Get([]byte(tgA)); v != nil {
			t.Errorf("tgA, with no subscription left, still has a list %x", v)
		}
		return nil
	})
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// Every field of alerts.Subscription survives its record: a field added to
// the type but not to the record would be lost, silently, the first time
// the subscription is written.
func TestSubRecordKeepsEveryField(t *testing.T) {
	var s alerts.Subscription
	v := reflect.ValueOf(&s).Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch {
		case f.Kind() == reflect.String:
			f.SetString("value of " + name)
		case f.Kind() == reflect.Uint64:
			f.SetUint(uint64(1000 + i))
		case f.Type() == reflect.TypeOf(time.Time{}):
			f.Set(reflect.ValueOf(t0.Add(time.Duration(i) * time.Hour)))
		default:
			t.Fatalf("alerts.Subscription.%s is a %s: add it to the record (subrecord.go) and to this test", name, f.Type())
		}
	}
	got, err := decodeSub(u64(s.ID), appendSub(nil, s))
	if err != nil || !reflect.DeepEqual(got, s) {
		t.Errorf("the record gives back\n%+v, %v\nfor\n%+v", got, err, s)
	}
}
