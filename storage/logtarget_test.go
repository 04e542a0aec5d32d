package storage

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// recentStories returns the stories of RecentSent(target, n), newest first.
func recentStories(t *testing.T, d *DB, target alerts.TargetID, n int) []string {
	t.Helper()
	got, err := d.RecentSent(target, n)
	if err != nil {
		t.Fatalf("RecentSent(%s, %d): %v", target, n, err)
	}
	var out []string
	for _, s := range got {
		if s.Target != target {
			t.Errorf("RecentSent(%s) returned an entry of %s", target, s.Target)
		}
		out = append(out, s.Story)
	}
	return out
}

// sendAll queues and completes one alert per story for target, a minute
// apart from t0.
func sendAll(t *testing.T, d *DB, target alerts.TargetID, stories ...string) {
	t.Helper()
	for i, st := range stories {
		dl := alertDelivery(target, st)
		if err := d.Enqueue(dl); err != nil {
			t.Fatal(err)
		}
		if err := d.CompleteAll([]alerts.Delivery{dl}, []alerts.Sent{sentFor(dl, "m-"+st, t0.Add(time.Duration(i)*time.Minute))}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecentSentNewestFirstPerTarget(t *testing.T) {
	d := openTest(t)
	sendAll(t, d, tgA, "s1", "s2", "s3")
	sendAll(t, d, tgB, "other") // tgA's ID is a prefix of tgB's
	if got := recentStories(t, d, tgA, 10); !slices.Equal(got, []string{"s3", "s2", "s1"}) {
		t.Errorf("RecentSent(tgA) = %v, want s3 s2 s1", got)
	}
	if got := recentStories(t, d, tgA, 2); !slices.Equal(got, []string{"s3", "s2"}) {
		t.Errorf("RecentSent(tgA, 2) = %v", got)
	}
	if got := recentStories(t, d, tgB, 10); !slices.Equal(got, []string{"other"}) {
		t.Errorf("RecentSent(tgB) = %v", got)
	}
	if got := recentStories(t, d, dcC, 10); len(got) != 0 {
		t.Errorf("RecentSent of a target never sent to = %v", got)
	}

	// An entry written again (an edit) is where its new time puts it, once.
	dl := alertDelivery(tgA, "s1")
	if err := d.CompleteAll(nil, []alerts.Sent{sentFor(dl, "m-s1", t0.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if got := recentStories(t, d, tgA, 10); !slices.Equal(got, []string{"s1", "s3", "s2"}) {
		t.Errorf("after s1 was written again: %v, want s1 s3 s2", got)
	}

	// A dropped alert was not sent: /why does not count it.
	dropped := alertDelivery(tgA, "gave-up")
	if err := d.Enqueue(dropped); err != nil {
		t.Fatal(err)
	}
	if err := d.Drop(dropped, "chat gone"); err != nil {
		t.Fatal(err)
	}
	if got := recentStories(t, d, tgA, 10); slices.Contains(got, "gave-up") {
		t.Errorf("a dropped alert is among the recent ones: %v", got)
	}
}

func TestRecentSentFollowsPruneAndMove(t *testing.T) {
	d := openTest(t)
	sendAll(t, d, tgA, "s1", "s2", "s3")
	if _, err := d.Prune(t0.Add(90 * time.Second)); err != nil { // s1 and s2 are older
		t.Fatal(err)
	}
	if got := recentStories(t, d, tgA, 10); !slices.Equal(got, []string{"s3"}) {
		t.Errorf("after Prune: %v, want s3", got)
	}
	if err := d.PutTarget(alerts.Target{ID: tgA, Kind: alerts.KindGroup}); err != nil {
		t.Fatal(err)
	}
	if err := d.MoveTarget(tgA, dcC); err != nil {
		t.Fatal(err)
	}
	if got := recentStories(t, d, tgA, 10); len(got) != 0 {
		t.Errorf("the old ID still has %v", got)
	}
	if got := recentStories(t, d, dcC, 10); !slices.Equal(got, []string{"s3"}) {
		t.Errorf("after MoveTarget the new ID has %v, want s3", got)
	}
	assertIndexMatchesLog(t, d)
}

// A database written before the index existed (schema version 1) gets it
// when it is opened.
func TestMigrationIndexesTheDeliveryLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	d := openTestAt(t, path, Options{})
	sendAll(t, d, tgA, "s1", "s2")
	sendAll(t, d, tgB, "other")
	d.Close()
	// Make it what version 1 wrote: no log_target bucket.
	asVersion(t, path, 1, func(tx *bolt.Tx) error { return tx.DeleteBucket(bLogTarget) })

	d = openTestAt(t, path, Options{})
	if v, err := d.SchemaVersion(); err != nil || v != SchemaVersion {
		t.Fatalf("after migration SchemaVersion() = %d, %v", v, err)
	}
	if got := recentStories(t, d, tgA, 10); !slices.Equal(got, []string{"s2", "s1"}) {
		t.Errorf("RecentSent after migration = %v, want s2 s1", got)
	}
	assertIndexMatchesLog(t, d)
}

// assertIndexMatchesLog checks that log_target has one key per log entry
// with a target, and nothing else.
func assertIndexMatchesLog(t *testing.T, d *DB) {
	t.Helper()
	err := d.db.View(func(tx *bolt.Tx) error {
		want := map[string]bool{}
		tx.Bucket(bLog).ForEach(func(k, v []byte) error {
			var p logPlace
			if jsonUnmarshal(v, &p) == nil && p.Target != "" {
				if !bytes.Equal(k, logKey(p.Target, p.Key)) {
					t.Errorf("log entry %q is not keyed by its target and alert key", k)
				}
				want[string(p.indexKey())] = true
			}
			return nil
		})
		n := 0
		tx.Bucket(bLogTarget).ForEach(func(k, _ []byte) error {
			n++
			if !want[string(k)] {
				t.Errorf("log_target has %q, which no log entry makes", k)
			}
			return nil
		})
		if n != len(want) {
			t.Errorf("log_target has %d keys for %d log entries", n, len(want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// asVersion makes the closed database at path look as an older version
// wrote it: change rewrites what that version had otherwise, in the
// transaction that stamps the version.
func asVersion(t *testing.T, path string, version uint64, change func(tx *bolt.Tx) error) {
	t.Helper()
	stampWith(t, path, u64(version), change)
}
