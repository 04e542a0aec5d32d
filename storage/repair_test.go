package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-news/herald/alerts"
	bolt "go.etcd.io/bbolt"
)

func TestCheck(t *testing.T) {
	ps := os.Getpagesize()
	for _, tc := range []struct {
		name     string
		damage   func(t *testing.T, path string)
		ok       bool
		says     string // in a problem, or a note when ok
		subsRead bool   // every subscription was readable
	}{
		{"sound", func(*testing.T, string) {}, true, "", true},
		{"one meta page broken by a crash", func(t *testing.T, p string) { breakMeta(t, p, 1) }, true, "meta page 1", true},
		{"truncated to half", truncateHalf, false, "truncated", false},
		{"garbage over the subscriptions", func(t *testing.T, p string) { writeOver(t, p, bucketPages(t, p, bSubs), ps) }, false, "bucket subs: page", false},
		{"both meta pages broken", func(t *testing.T, p string) { breakMeta(t, p, 0, 1) }, false, "both meta pages", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filledDB(t)
			tc.damage(t, path)
			r, err := Check(path)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() != tc.ok {
				t.Errorf("OK() = %v, want %v; problems %q", r.OK(), tc.ok, r.Problems)
			}
			found := strings.Join(append(r.Problems, r.Notes...), "\n")
			if !strings.Contains(found, tc.says) {
				t.Errorf("report does not say %q:\n%s", tc.says, found)
			}
			if got := r.Records[string(bSubs)] == 400; got != tc.subsRead {
				t.Errorf("%d subscriptions read", r.Records[string(bSubs)])
			}
		})
	}
}

func TestCheckRefusesAFileInUse(t *testing.T) {
	d := openTest(t)
	if _, err := Check(d.Path()); !errors.Is(err, ErrInUse) {
		t.Fatalf("Check of an open database: %v; want ErrInUse", err)
	}
}

func countOf(r RepairReport, kind string) RepairCount {
	for _, c := range r.Counts {
		if c.Kind == kind {
			return c
		}
	}
	return RepairCount{Kind: kind + " (missing)"}
}

func TestRepairSavesWhatCanBeRead(t *testing.T) {
	path := filledDB(t)
	writeOver(t, path, leafPages(t, path, bSubs)[:2], os.Getpagesize())
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "repaired.db")
	r, err := Repair(path, dst)
	if err != nil {
		t.Fatal(err)
	}
	subs, targets, arts := countOf(r, "subscriptions"), countOf(r, "targets"), countOf(r, "articles")
	if subs.Saved+subs.Lost != 400 || subs.Lost == 0 || subs.Saved == 0 {
		t.Errorf("subscriptions: %+v; want the 400 split between saved and lost", subs)
	}
	if targets.Saved != 20 || targets.Lost != 0 || arts.Saved != 300 || arts.Lost != 0 {
		t.Errorf("targets %+v, articles %+v; want all 20 and 300 saved", targets, arts)
	}
	if len(r.Unreadable) == 0 || !strings.Contains(r.Unreadable[0], "bucket subs") {
		t.Errorf("Unreadable = %q", r.Unreadable)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("Repair changed the damaged file")
	}

	// The new file is whole and works: its indexes agree with its records,
	// and a new subscription does not reuse a lost one's ID.
	if c, err := Check(dst); err != nil || !c.OK() {
		t.Fatalf("Check(repaired) = %+v, %v", c, err)
	}
	d := openTestAt(t, dst, Options{})
	targetList, err := d.ListTargets()
	if err != nil || len(targetList) != 20 {
		t.Fatalf("ListTargets: %d, %v", len(targetList), err)
	}
	n := 0
	for _, tg := range targetList {
		list, err := d.ListSubscriptions(tg.ID)
		if err != nil {
			t.Fatal(err)
		}
		n += len(list)
	}
	if err := d.ForEachSubscription(func(alerts.Subscription) error { n--; return nil }); err != nil || n > 0 {
		t.Errorf("the subscription index names %d more than there are (%v)", n, err)
	}
	s, err := d.AddSubscription(alerts.Subscription{Target: tgA, Query: "new"})
	if err != nil || s.ID <= 400 {
		t.Errorf("new subscription got ID %d, %v; want one past the old ones", s.ID, err)
	}
	if a, err := d.GetArticle("a299"); err != nil || a.StoryID != "s299" {
		t.Errorf("article: %+v, %v", a, err)
	}
	if _, seen, err := d.Seen(&alerts.Article{URL: "https://example.com/7"}); !seen || err != nil {
		t.Errorf("an article is not found by its URL after the repair: %v, %v", seen, err)
	}
	if _, err := Repair(path, dst); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("Repair over an existing file: %v", err)
	}
}

// In a file cut in half the root page, written at every commit, is
// usually past the cut: nothing is reachable, and Repair says so instead of
// writing an empty file.
func TestRepairTruncatedFile(t *testing.T) {
	path := filledDB(t)
	truncateHalf(t, path)
	dst := filepath.Join(t.TempDir(), "repaired.db")
	_, err := Repair(path, dst)
	if err == nil || !strings.Contains(err.Error(), "nothing can be read") || !strings.Contains(err.Error(), "restore a backup") {
		t.Fatalf("Repair of a file cut before its root: %v", err)
	}
	if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an empty repaired file was left: %v", err)
	}
}

// With both meta pages failing their checksums, bbolt cannot open the
// file at all; a meta page whose numbers still fit the file is taken at
// its word, and everything is saved.
func TestRepairBothMetaPagesBroken(t *testing.T) {
	path := filledDB(t)
	breakMeta(t, path, 0, 1)
	dst := filepath.Join(t.TempDir(), "repaired.db")
	r, err := Repair(path, dst)
	if err != nil {
		t.Fatal(err)
	}
	for kind, want := range map[string]int{"targets": 20, "subscriptions": 400, "articles": 300, "stories": 300} {
		if c := countOf(r, kind); c.Saved != want || c.Lost != 0 {
			t.Errorf("%s: %+v, want %d saved", kind, c, want)
		}
	}
	if c, err := Check(dst); err != nil || !c.OK() {
		t.Errorf("Check(repaired) = %+v, %v", c, err)
	}
}

// A repaired file holds every kind of record as the original did, with
// every index rebuilt to agree with them: the schema-1 fixture as it is
// (JSON subscriptions, outbox entries with their articles inline) and as
// upgraded (compact subscriptions, outbox references and counts,
// log_target, the expiry index).
func TestRepairKeepsEveryKindOfRecord(t *testing.T) {
	for _, upgraded := range []bool{false, true} {
		t.Run(fmt.Sprint("upgraded=", upgraded), func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "herald.db")
			raw, err := os.ReadFile("testdata/v1.db")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(src, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			if upgraded {
				d, err := Open(src, Options{})
				if err != nil {
					t.Fatal(err)
				}
				d.Close()
			}
			dst := filepath.Join(t.TempDir(), "repaired.db")
			r, err := Repair(src, dst)
			if err != nil {
				t.Fatal(err)
			}
			for kind, want := range map[string]int{"targets": 2, "subscriptions": 3, "stories": 3, "articles": 4,
				"queued alerts": 1, "delivery log entries": 2, "buttons": 2} {
				if c := countOf(r, kind); c.Saved != want || c.Lost != 0 {
					t.Errorf("%s: %+v, want %d saved", kind, c, want)
				}
			}
			d := openTestAt(t, dst, Options{})
			checkV1Data(t, d)
			assertIndexMatchesLog(t, d)
			heads, err := d.Heads()
			if err != nil || len(heads) != 1 || heads[0].Target != tgA || heads[0].Count != 1 {
				t.Errorf("Heads = %+v, %v; want tgA's one queued alert", heads, err)
			}
			if n := bucketKeys(t, d, bExpiry); n != 3+2+2 {
				t.Errorf("expiry index has %d entries; want 3 stories, 2 log entries, 2 buttons", n)
			}
			assertKeysFindable(t, d)
			// Pruning the repaired file forgets what it forgets in the
			// upgraded original; the queued alert keeps its article.
			if n, err := d.Prune(t0.AddDate(0, -1, 0)); err != nil || n != 5 {
				t.Errorf("Prune = %d, %v; want 5 as in the upgraded original", n, err)
			}
			if ids := pendingIDs(t, d); len(ids) != 1 {
				t.Errorf("outbox after pruning: %v", ids)
			}
			if ds, err := d.Pending(10); err != nil || len(ds) != 1 || len(ds[0].Alerts) != 1 || ds[0].Alerts[0].Article.Title == "" {
				t.Errorf("the queued alert lost its article: %+v, %v", ds, err)
			}
		})
	}
}

// TestRepairLeavesNoMigrationCursor: a file that stopped in the middle of
// an upgrade carries how far the upgrade got; the repaired file is at the
// current schema with nothing under way, so a later migration starts at
// its beginning instead of skipping records.
func TestRepairLeavesNoMigrationCursor(t *testing.T) {
	src := filledDB(t)
	d := openTestAt(t, src, Options{})
	if err := d.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).Put(keyMigration, []byte(`{"step":2,"key":"x"}`))
	}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	dst := filepath.Join(t.TempDir(), "repaired.db")
	if _, err := Repair(src, dst); err != nil {
		t.Fatal(err)
	}
	r := openTestAt(t, dst, Options{})
	if err := r.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(keyMigration); v != nil {
			t.Errorf("the repaired file carries the old file's migration cursor %q", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestRepairDropsQueuedAlertsWhoseArticleIsLost: a queued alert refers to
// its article; when the article could not be read, the alert would go out
// with no headline and no link, so the repair counts it lost instead.
func TestRepairDropsQueuedAlertsWhoseArticleIsLost(t *testing.T) {
	src := filepath.Join(t.TempDir(), "herald.db")
	d := openTestAt(t, src, Options{})
	for _, id := range []string{"kept", "lost"} {
		a := alerts.Article{ID: id, Title: "Title of " + id, Ingested: t0}
		al := alerts.Alert{Target: tgA, Story: "s-" + id, Article: a, Matches: []alerts.Match{{Sub: 1, Query: "ceasefire"}}}
		dl := alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: tgA, Alerts: []alerts.Alert{al}, Created: t0}
		if err := d.Commit(a, alerts.Story{ID: "s-" + id}, []alerts.Delivery{dl}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.update(func(tx *bolt.Tx) error { return tx.Bucket(bArticles).Delete([]byte("lost")) }); err != nil {
		t.Fatal(err)
	}
	d.Close()
	r, err := Repair(src, filepath.Join(t.TempDir(), "repaired.db"))
	if err != nil {
		t.Fatal(err)
	}
	if c := countOf(r, "queued alerts"); c.Saved != 1 || c.Lost != 1 {
		t.Errorf("queued alerts: %+v; want the one whose article is there saved, the other lost", c)
	}
}
