package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// recordCases are outbox entries of every shape the bot queues.
func recordCases() map[string]outboxRecord {
	alert := alertDelivery(tgA, "0123456789abcdef01234567")
	alert.Alerts[0].Matches = []alerts.Match{
		{Sub: 7, Query: `"peace deal" OR Zelensky`, Role: "role1", Terms: []alerts.TermHit{
			{Term: "Zelensky", Matched: "Зеленский", Field: alerts.FieldTitle, Entry: "zelensky"},
			{Term: `"peace deal"`, Matched: `"peace deal"`, Field: alerts.FieldBody},
		}},
		{Sub: 1 << 40, Query: "ceasefire"},
	}
	alert.Alerts[0].Sources = []string{"Reuters", "AP"}
	alert.NotBefore, alert.Held, alert.Attempts, alert.LastError = t0.Add(time.Hour), true, 3, "429: slow down"
	digest := alerts.Delivery{ID: "digest:1:2026-11-01", Kind: alerts.DeliverDigest, Target: dcC, Created: t0,
		Alerts: []alerts.Alert{alertFor(dcC, "s1"), alertFor(tgB, "s2")}}
	edit := alertDelivery(tgB, "s3")
	edit.ID, edit.Kind, edit.MessageID = edit.ID+":edit", alerts.DeliverEdit, "msg-42"
	held := func(string) bool { return true }
	inline := func(string) bool { return false }
	return map[string]outboxRecord{
		"alert by reference":           alerts.StoreDelivery(alert, held),
		"digest":                       alerts.StoreDelivery(digest, held),
		"edit with its article inline": alerts.StoreDelivery(edit, inline),
		"no alerts":                    {Delivery: alerts.Delivery{ID: "ABC", Kind: "custom", Target: tgA}},
	}
}

// An outbox entry reads back as it was written, whatever it holds.
func TestOutboxRecordRoundTrip(t *testing.T) {
	for name, rec := range recordCases() {
		t.Run(name, func(t *testing.T) {
			rec.Seq = 99
			raw, err := encodeRecord(rec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeRecord(99, raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, rec) {
				t.Errorf("read back\n%+v\nwant\n%+v", got, rec)
			}
			// The JSON of schema versions 3 to 5 reads the same.
			js, _ := json.Marshal(rec)
			if old, err := decodeRecord(99, js); err != nil || !reflect.DeepEqual(old.Bare(), rec.Bare()) {
				t.Errorf("JSON read back as %+v, %v", old, err)
			}
			if len(raw) >= len(js)/2 {
				t.Errorf("the record takes %d bytes, its JSON %d", len(raw), len(js))
			}
		})
	}
}

// The binary record writes a fixed list of fields, where JSON kept every
// field: a field added to a queued delivery's types must be added to the
// codec too (or here, with why it is not stored), or it would be lost for
// every delivery that waits in the outbox.
func TestOutboxRecordKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		t      reflect.Type
		stored string // in encodeRecord's order, or why not
	}{
		{reflect.TypeFor[alerts.Delivery](), "ID Kind Target MessageID Created NotBefore Held Attempts LastError Alerts Seq(its_key)"},
		{reflect.TypeFor[alerts.Alert](), "Target Article(inline_or_by_ID) Story Matches Sources"},
		{reflect.TypeFor[alerts.Match](), "Sub Query Role Terms"},
		{reflect.TypeFor[alerts.TermHit](), "Term Matched Field Entry"},
	} {
		var want []string
		for f := range strings.FieldsSeq(c.stored) {
			name, _, _ := strings.Cut(f, "(")
			want = append(want, name)
		}
		var got []string
		for i := range c.t.NumField() {
			got = append(got, c.t.Field(i).Name)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s has fields %v; the outbox record stores %v: add the new ones to encodeRecord and decodeRecord", c.t, got, want)
		}
	}
}

func TestOutboxRecordRefusesDamage(t *testing.T) {
	raw, _ := encodeRecord(recordCases()["alert by reference"])
	for _, v := range [][]byte{nil, {9}, raw[:len(raw)-1], append(bytes.Clone(raw), 0), {outboxFormat, 0xff}} {
		if _, err := decodeRecord(1, v); !errors.Is(err, errOutboxRecord) {
			t.Errorf("decodeRecord(%x) = %v, want a malformed entry", v, err)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, rec := range recordCases() {
		raw, _ := encodeRecord(rec)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		rec, err := decodeRecord(1, v)
		if err != nil || len(v) == 0 || v[0] != outboxFormat {
			return
		}
		// The queue's quick read agrees with the whole one.
		tg, e, ok, err := peekQueue(1, v, "")
		if err != nil || !ok || tg != rec.Target || e != entryOf(rec, 1) {
			t.Fatalf("peekQueue = %s %+v %v %v; the record is for %s at %+v", tg, e, ok, err, rec.Target, entryOf(rec, 1))
		}
		if _, _, ok, _ := peekQueue(1, v, rec.Target); !ok {
			t.Fatalf("peekQueue for its own target %s passed the record by", rec.Target)
		}
		if _, _, ok, _ := peekQueue(1, v, rec.Target+"x"); ok {
			t.Fatalf("peekQueue for another target took the record for %s", rec.Target)
		}
		raw, err := encodeRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeRecord(1, raw)
		if err != nil || !reflect.DeepEqual(again, rec) {
			t.Fatalf("%+v written again reads %+v, %v", rec, again, err)
		}
	})
}

// A version 5 database (JSON entries, a key per entry in outbox_due and
// per reference in outbox_refs, outbox_ids keyed by ID alone) opens with its outbox intact, in steps:
// entries are binary records, each target's queue is rebuilt, references
// are counted per article, and Prune keeps an article exactly as long as
// an entry refers to it.
func TestMigrationToBinaryOutbox(t *testing.T) {
	defer func(n int) { migrateChunk = n }(migrateChunk)
	migrateChunk = 2
	path := filepath.Join(t.TempDir(), "herald.db")
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := alerts.Article{ID: "art1", Title: "Ceasefire agreed", Summary: "What happened.", Ingested: t0}
	var planned []alerts.Delivery
	for i := range 5 {
		dl := alertDelivery(alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(100+i)), "s1")
		dl.Alerts[0].Article = a
		planned = append(planned, dl)
	}
	held := alertDelivery(tgA, "s2")
	held.NotBefore, held.Held = t0.Add(time.Hour), true
	planned = append(planned, held)
	if err := d.Commit(a, alerts.Story{ID: "s1"}, planned); err != nil {
		t.Fatal(err)
	}
	d.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Version 5's layout, written from the records: JSON, a key per
	// reference, a key per entry in outbox_due, and outbox_count.
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bOutboxArts, bOutboxTail, bOutboxDue, bOutboxIDs} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		ids, err := tx.CreateBucket(bOutboxIDs)
		if err != nil {
			return err
		}
		refs, err := tx.CreateBucket(bOutboxRefs)
		if err != nil {
			return err
		}
		due, err := tx.CreateBucket(bOutboxDue)
		if err != nil {
			return err
		}
		counts, err := tx.CreateBucket(bOutboxCount)
		if err != nil {
			return err
		}
		ob := tx.Bucket(bOutbox)
		err = ob.ForEach(func(k, v []byte) error {
			rec, err := decodeRecord(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			for _, a := range rec.Alerts {
				if a.ArticleID != "" {
					if err := refs.Put(append(append([]byte(a.ArticleID), 0), k...), nil); err != nil {
						return err
					}
				}
			}
			if err := ids.Put([]byte(rec.ID), k); err != nil {
				return err
			}
			if err := due.Put(chunkKey(rec.Target, entryOf(rec, rec.Seq)), nil); err != nil {
				return err
			}
			n := uint64(1)
			if v := counts.Get([]byte(rec.Target)); v != nil {
				n += binary.BigEndian.Uint64(v)
			}
			if err := counts.Put([]byte(rec.Target), u64(n)); err != nil {
				return err
			}
			js, _ := json.Marshal(rec)
			return ob.Put(k, js)
		})
		if err != nil {
			return err
		}
		if err := tx.Bucket(bMeta).Delete(keyOutboxIndexed); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(keySchema, u64(5))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	d = openTestAt(t, path, Options{})
	if v, _ := d.SchemaVersion(); v != SchemaVersion {
		t.Fatalf("schema version %d after Open, want %d", v, SchemaVersion)
	}
	for _, v := range rawOutbox(t, d) {
		if v[0] != outboxFormat {
			t.Errorf("an entry is still JSON: %s", v)
		}
	}
	d.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bOutboxRefs, bOutboxCount} {
			if tx.Bucket(name) != nil {
				t.Errorf("%s is still there", name)
			}
		}
		if n, _ := binary.Uvarint(tx.Bucket(bOutboxArts).Get([]byte(a.ID))); n != 5 {
			t.Errorf("art1 counts %d references, want 5", n)
		}
		return nil
	})
	if got := pendingIDs(t, d); len(got) != len(planned) {
		t.Fatalf("outbox after migration = %v", got)
	}
	due, h, err := d.Due(planned[2].Target, t0, 10)
	if err != nil || len(due) != 1 || h.Count != 1 || due[0].Alerts[0].Article.Summary != a.Summary {
		t.Fatalf("Due after migration = %+v, head %+v, %v", due, h, err)
	}
	if h, _ := d.Head(tgA); h.Count != 1 || !h.Next.Equal(held.NotBefore) {
		t.Errorf("the held entry's head after migration = %+v", h)
	}
	for i, dl := range planned[:5] {
		if _, err := d.Prune(t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := d.GetArticle(a.ID); err != nil {
			t.Fatalf("Prune forgot an article %d entries refer to: %v", 5-i, err)
		}
		if err := d.CompleteAll([]alerts.Delivery{dl}, []alerts.Sent{sentFor(dl, "m", t0)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Prune(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetArticle(a.ID); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("the article outlived every entry that referred to it: %v", err)
	}
}
