package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// testdata/v1.db was written by schema version 1's code (commit 3d71aca):
//   - targets tgA (a DM) and dcC (a channel); subscriptions 1 and 3 of tgA,
//     2 of dcC;
//   - articles a-old (ingested t0-2 months, then updated with a new URL and
//     hash, so its first ones stay in art_keys naming it) in story s-old;
//     a-live1 (t0-2 months) and a-live2 (t0) in s-live (created t0-2
//     months, updated t0); a-new (t0) in s-new;
//   - alerts for tgA/s-old, sent at t0-2 months with button oldbuttontok1,
//     and dcC/s-new, sent at t0 with newbuttontok2; tgA/s-new queued;
//   - meta tg_offset = 42 and the state of one feed.
func openV1Copy(t *testing.T) *DB {
	t.Helper()
	raw, err := os.ReadFile("testdata/v1.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "herald.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return openTestAt(t, path, Options{})
}

func bucketKeys(t *testing.T, d *DB, bucket []byte) int {
	t.Helper()
	n := 0
	d.view(func(tx *bolt.Tx) error { n = tx.Bucket(bucket).Stats().KeyN; return nil })
	return n
}

func TestMigrateFromVersion1(t *testing.T) {
	defer func(n int) { migrateChunk = n }(migrateChunk)
	for _, chunk := range []int{5000, 1} { // in one step, and in many
		t.Run(fmt.Sprint("chunk=", chunk), func(t *testing.T) {
			migrateChunk = chunk
			d := openV1Copy(t)
			if v, err := d.SchemaVersion(); err != nil || v != SchemaVersion {
				t.Fatalf("SchemaVersion() = %d, %v", v, err)
			}
			if _, err := d.GetMeta(string(keyMigration)); !errors.Is(err, alerts.ErrNotFound) {
				t.Errorf("the migration's cursor stayed: %v", err)
			}
			checkV1Data(t, d)
			assertIndexMatchesLog(t, d)
			if n, m := bucketKeys(t, d, bArtKeysOf), bucketKeys(t, d, bArtKeys); n != m || n != 10 {
				t.Errorf("art_keys_of lists %d keys, art_keys has %d; want 10 each", n, m)
			}
			if n := bucketKeys(t, d, bExpiry); n != 3+2+2 {
				t.Errorf("expiry index has %d entries; want 3 stories, 2 log entries, 2 buttons", n)
			}

			// Pruning by the new indexes forgets exactly what sweeping did.
			n, err := d.Prune(t0.AddDate(0, -1, 0))
			if err != nil || n != 5 {
				t.Fatalf("Prune = %d, %v; want articles a-old and a-live1, story s-old, a log entry and its button", n, err)
			}
			for _, probe := range []alerts.Article{{GUID: "g-old"}, {URL: "https://example.com/draft"}, {ContentHash: "h-draft"},
				{URL: "https://example.com/final"}, {URL: "https://example.com/live1"}} {
				if _, seen, _ := d.Seen(&probe); seen {
					t.Errorf("%+v still seen after its article was pruned", probe)
				}
			}
			if n := bucketKeys(t, d, bArtKeys); n != 4 {
				t.Errorf("art_keys keeps %d keys; want the 4 of a-live2 and a-new", n)
			}
			if _, err := d.GetStory("s-old"); !errors.Is(err, alerts.ErrNotFound) {
				t.Errorf("story s-old survived: %v", err)
			}
			if _, err := d.LastSent(tgA); !errors.Is(err, alerts.ErrNotFound) {
				t.Errorf("tgA's pruned alert is still its last: %v", err)
			}
			if _, err := d.Button("oldbuttontok1"); !errors.Is(err, alerts.ErrNotFound) {
				t.Errorf("old button survived: %v", err)
			}
			for _, id := range []string{"s-live", "s-new"} {
				if _, err := d.GetStory(id); err != nil {
					t.Errorf("story %s: %v", id, err)
				}
			}
			if _, err := d.Button("newbuttontok2"); err != nil {
				t.Errorf("recent button: %v", err)
			}
			if ids := pendingIDs(t, d); len(ids) != 1 {
				t.Errorf("outbox: %v", ids)
			}
			assertIndexMatchesLog(t, d)
		})
	}
}

// checkV1Data checks that everything the version 1 file held reads the same.
func checkV1Data(t *testing.T, d *DB) {
	t.Helper()
	if tg, err := d.GetTarget(dcC); err != nil || tg.Title != "#news" {
		t.Errorf("GetTarget = %+v, %v", tg, err)
	}
	subs, err := d.ListSubscriptions(tgA)
	if err != nil || len(subs) != 2 || subs[0].Query != "ceasefire" || subs[1].ID != 3 {
		t.Errorf("ListSubscriptions = %+v, %v", subs, err)
	}
	if prev, seen, err := d.Seen(&alerts.Article{URL: "https://example.com/draft"}); err != nil || !seen || prev.Title != "Old talks (updated)" {
		t.Errorf("Seen by the first URL = %+v, %v, %v", prev, seen, err)
	}
	if s, err := d.Sent(tgA, alertFor(tgA, "s-old").Key()); err != nil || s.MessageID != "m1" {
		t.Errorf("Sent = %+v, %v", s, err)
	}
	if s, err := d.LastSent(dcC); err != nil || s.MessageID != "m2" {
		t.Errorf("LastSent = %+v, %v", s, err)
	}
	if b, err := d.Button("oldbuttontok1"); err != nil || b.Target != tgA {
		t.Errorf("Button = %+v, %v", b, err)
	}
	if ids := pendingIDs(t, d); !slices.Equal(ids, []string{alertFor(tgA, "s-new").Key()}) {
		t.Errorf("Pending = %v", ids)
	}
	if v, err := d.GetMeta("tg_offset"); err != nil || string(v) != "42" {
		t.Errorf("GetMeta = %q, %v", v, err)
	}
	if recent, err := d.RecentArticles(10); err != nil || len(recent) != 4 {
		t.Errorf("RecentArticles = %d, %v", len(recent), err)
	}
}

// A target that moves (a group that became a supergroup) takes its log
// entries to new keys; their expiry goes with them, and pruning leaves
// nothing behind.
func TestPruneAfterMoveTarget(t *testing.T) {
	d := openTest(t)
	if err := d.PutTarget(alerts.Target{ID: tgA, Kind: alerts.KindGroup, Active: true}); err != nil {
		t.Fatal(err)
	}
	dl := alertDelivery(tgA, "s1")
	if err := d.Enqueue(dl); err != nil {
		t.Fatal(err)
	}
	rec := sentFor(dl, "m1", t0)
	rec.ButtonToken = "tok"
	if err := d.CompleteAll([]alerts.Delivery{dl}, []alerts.Sent{rec}); err != nil {
		t.Fatal(err)
	}
	if err := d.MoveTarget(tgA, tgB); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Sent(tgB, alertFor(tgB, "s1").Key()); err != nil {
		t.Fatalf("moved entry: %v", err)
	}
	if n, err := d.Prune(t0.Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("Prune = %d, %v; want the log entry and its button", n, err)
	}
	for _, b := range [][]byte{bLog, bLogStory, bLogLast, bLogTarget, bButtons, bExpiry, bExpiryAt} {
		if n := bucketKeys(t, d, b); n != 0 {
			t.Errorf("bucket %s keeps %d keys", b, n)
		}
	}
}

// A version 8 file keyed its delivery log by the alert key alone (a hash
// of target and story). Version 9 keys it by target first; the upgrade
// re-keys every entry and what names it, step by step, and every reader
// finds the entries as before: "never twice" holds across the upgrade.
func TestMigrationKeysTheLogByChat(t *testing.T) {
	defer func(n int) { migrateChunk = n }(migrateChunk)
	migrateChunk = 2
	path := filepath.Join(t.TempDir(), "herald.db")
	d := openTestAt(t, path, Options{})
	sendAll(t, d, tgA, "s1", "s2", "s3")
	sendAll(t, d, tgB, "s1")
	dropped := alertDelivery(dcC, "s2")
	if err := d.Enqueue(dropped); err != nil {
		t.Fatal(err)
	}
	if err := d.Drop(dropped, "chat is gone"); err != nil {
		t.Fatal(err)
	}
	d.Close()
	// Make it what version 8 wrote, with an entry that does not decode.
	damaged := alertDelivery(tgA, "s-damaged")
	asVersion(t, path, 8, func(tx *bolt.Tx) error {
		log, byStory, last := tx.Bucket(bLog), tx.Bucket(bLogStory), tx.Bucket(bLogLast)
		type kv struct{ k, v []byte }
		var entries, stories, lasts, expiries []kv
		for _, w := range []struct {
			b   *bolt.Bucket
			out *[]kv
		}{{log, &entries}, {byStory, &stories}, {last, &lasts}, {tx.Bucket(bExpiry), &expiries}} {
			w.b.ForEach(func(k, v []byte) error { *w.out = append(*w.out, kv{bytes.Clone(k), bytes.Clone(v)}); return nil })
		}
		for _, e := range entries {
			log.Delete(e.k)
			log.Put([]byte(alertKeyOf(e.k)), e.v)
			delExpiry(tx, expLog, string(e.k))
		}
		for _, e := range stories {
			story, k, _ := bytes.Cut(e.k, []byte{0})
			byStory.Delete(e.k)
			byStory.Put(storyIndexKey(string(story), []byte(alertKeyOf(k))), nil)
		}
		for _, e := range lasts {
			last.Put(e.k, []byte(alertKeyOf(e.v)))
		}
		for _, e := range expiries {
			if e.k[8] == expLog {
				at := time.Unix(0, int64(binary.BigEndian.Uint64(e.k[:8])))
				setExpiry(tx, expLog, alertKeyOf(e.k[9:]), at, e.v)
			}
		}
		return log.Put([]byte(damaged.ID), []byte("{"))
	})
	d = openTestAt(t, path, Options{})
	if v, err := d.SchemaVersion(); err != nil || v != SchemaVersion {
		t.Fatalf("SchemaVersion() = %d, %v", v, err)
	}
	d.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bLog).ForEach(func(k, _ []byte) error {
			if bytes.IndexByte(k, 0) < 0 && string(k) != damaged.ID {
				t.Errorf("log entry %q kept its version 8 key", k)
			}
			return nil
		})
	})
	assertIndexMatchesLog(t, d)
	for _, tg := range []alerts.TargetID{tgA, tgB} {
		if s, err := d.Sent(tg, alerts.DeliveryKey(tg, "s1")); err != nil || s.MessageID != "m-s1" {
			t.Errorf("Sent(%s, s1) = %+v, %v", tg, s, err)
		}
	}
	if s, err := d.Sent(dcC, dropped.ID); err != nil || s.Dropped != "chat is gone" {
		t.Errorf("the dropped alert's entry = %+v, %v", s, err)
	}
	if got, err := d.SentForStory("s1"); err != nil || len(got) != 2 {
		t.Errorf("SentForStory(s1) = %d entries, %v; want 2", len(got), err)
	}
	if s, err := d.LastSent(tgA); err != nil || s.Story != "s3" {
		t.Errorf("LastSent = %+v, %v; want s3", s, err)
	}
	if got := recentStories(t, d, tgA, 10); !slices.Equal(got, []string{"s3", "s2", "s1"}) {
		t.Errorf("RecentSent = %v, want s3 s2 s1", got)
	}
	// Never twice: a sent alert queued again is not queued, nor one whose
	// entry was damaged before the upgrade (as version 8 did not).
	if err := d.Enqueue(alertDelivery(tgA, "s2"), alertDelivery(dcC, "s2"), damaged); err != nil {
		t.Fatal(err)
	}
	if ids := pendingIDs(t, d); len(ids) != 0 {
		t.Errorf("alerts logged before the upgrade were queued again: %v", ids)
	}
	if n := bucketKeys(t, d, bExpiry); n != 5 {
		t.Errorf("expiry index has %d entries; want the 5 log entries'", n)
	}
	// Pruning forgets them by their new keys, and what names them.
	if _, err := d.Prune(time.Now().Add(time.Hour)); err != nil { // Drop logs at the time it ran
		t.Fatal(err)
	}
	for b, want := range map[string]int{"log": 1, "log_story": 0, "log_last": 0, "log_target": 0, "expiry": 0, "expiry_at": 0} {
		if n := bucketKeys(t, d, []byte(b)); n != want {
			t.Errorf("%s holds %d keys after pruning; want %d", b, n, want)
		}
	}
}

// Between two steps of the upgrade the file is still version 8, so an
// older herald may open it and log alerts under their alert key, before
// the cursor too. The upgrade's second pass re-keys them.
func TestMigrationKeysTheLogByChatFindsEntriesAddedBetweenSteps(t *testing.T) {
	defer func(n int) { migrateChunk = n }(migrateChunk)
	migrateChunk = 1
	d := openTest(t)
	bare := func(tx *bolt.Tx, target alerts.TargetID, story string) error {
		dl := alertDelivery(target, story)
		return putJSON(tx.Bucket(bLog), []byte(dl.ID), sentFor(dl, "m-"+story, t0))
	}
	var cursors []string
	err := d.db.Update(func(tx *bolt.Tx) error {
		for _, st := range []string{"s1", "s2", "s3"} {
			if err := bare(tx, tgA, st); err != nil {
				return err
			}
		}
		var cursor []byte
		for step := 0; ; step++ {
			next, err := migrateLogByChat(tx, cursor)
			if err != nil {
				return err
			}
			if step == 0 { // an older herald logs two alerts meanwhile
				for _, st := range []string{"late1", "late2"} {
					if err := bare(tx, tgB, st); err != nil {
						return err
					}
				}
			}
			if next == nil {
				return nil
			}
			cursors = append(cursors, string(next[:1]))
			cursor = next
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cursors, "2") {
		t.Errorf("cursors %q: no second pass", cursors)
	}
	for _, st := range []string{"s1", "s2", "s3", "late1", "late2"} {
		tg := tgA
		if strings.HasPrefix(st, "late") {
			tg = tgB
		}
		if s, err := d.Sent(tg, alerts.DeliveryKey(tg, st)); err != nil || s.Story != st {
			t.Errorf("Sent(%s, %s) after the upgrade = %+v, %v", tg, st, s, err)
		}
	}
}
