package storage

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// filledDB writes a closed database with targets, subscriptions and
// articles over many pages, and returns its path. It writes in one
// transaction: the tests that use it damage the file, and a thousand
// commits would make them slow.
func filledDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "herald.db")
	d := openTestAt(t, path, Options{})
	err := d.update(func(tx *bolt.Tx) error {
		for i := range 20 {
			tg := alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(i))
			if err := putJSON(tx.Bucket(bTargets), []byte(tg), alerts.Target{ID: tg, Kind: alerts.KindDM, Active: true}); err != nil {
				return err
			}
			for j := range 20 {
				id, _ := tx.Bucket(bSubs).NextSequence()
				s := alerts.Subscription{ID: id, Target: tg, Query: fmt.Sprintf("query number %d of chat %d", j, i)}
				if err := putSub(tx.Bucket(bSubs), s); err != nil {
					return err
				}
				if err := addSubTo(tx, tg, id); err != nil {
					return err
				}
			}
		}
		for i := range 300 {
			a := alerts.Article{ID: fmt.Sprint("a", i), URL: fmt.Sprint("https://example.com/", i), Title: "t",
				Body: strings.Repeat("text ", 300), StoryID: fmt.Sprint("s", i), Ingested: t0.Add(time.Duration(i) * time.Minute)}
			if err := d.putArticle(tx, a, nil); err != nil {
				return err
			}
			if err := putStory(tx, alerts.Story{ID: a.StoryID, Created: a.Ingested, Updated: a.Ingested}, a.Ingested); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Two small writes, so that both meta pages name the whole data (bbolt
	// writes them in turn): a test that breaks one falls back to the other.
	for _, v := range []string{"1", "2"} {
		if err := d.PutMeta("tg_offset", []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// bucketPages returns the pages of a bucket's tree in a closed file.
func bucketPages(t *testing.T, path string, bucket []byte) []uint64 {
	t.Helper()
	bf, err := openBoltFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer bf.Close()
	w := newWalker(bf, func(b string, err error) { t.Fatalf("bucket %s: %v", b, err) })
	var value []byte
	w.bucket("(root)", nil, func(e element) {
		if e.bucket && bytes.Equal(e.key, bucket) {
			value = e.value
		}
	})
	before := maps.Clone(w.seen)
	w.bucket(string(bucket), value, func(element) {})
	var pages []uint64
	for id := range w.seen {
		if !before[id] {
			pages = append(pages, id)
		}
	}
	if len(pages) == 0 {
		t.Fatalf("bucket %s has no pages of its own", bucket)
	}
	return pages
}

// leafPages returns the leaf pages of a bucket in a closed file, in order.
func leafPages(t *testing.T, path string, bucket []byte) []uint64 {
	t.Helper()
	bf, err := openBoltFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer bf.Close()
	var leaves []uint64
	for _, id := range bucketPages(t, path, bucket) {
		if _, err := bf.page(id, flagLeaf); err == nil {
			leaves = append(leaves, id)
		}
	}
	slices.Sort(leaves)
	if len(leaves) < 3 {
		t.Fatalf("bucket %s has %d leaf pages; the test needs more", bucket, len(leaves))
	}
	return leaves
}

// writeOver puts random bytes over whole pages of a closed file.
func writeOver(t *testing.T, path string, pages []uint64, pageSize int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, pageSize)
	for _, id := range pages {
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		if _, err := f.WriteAt(buf, int64(id)*int64(pageSize)); err != nil {
			t.Fatal(err)
		}
	}
}

// breakMeta changes a byte of a meta page's transaction ID, so that its
// checksum no longer matches.
func breakMeta(t *testing.T, path string, pages ...int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range pages {
		if _, err := f.WriteAt([]byte{0xEE}, int64(p*os.Getpagesize()+pageHeaderSize+48)); err != nil {
			t.Fatal(err)
		}
	}
}

func truncateHalf(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()/2); err != nil {
		t.Fatal(err)
	}
}

// checkDamageError checks the message a user sees: the file, that it is
// damaged, and what to do.
func checkDamageError(t *testing.T, err error, path string) {
	t.Helper()
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("error = %v; want ErrDamaged", err)
	}
	msg := err.Error()
	for _, want := range []string{path, "is damaged", "herald check --repair " + path, "restore a backup"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
}

func TestOpenRefusesDamagedFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		says   string
	}{
		{"truncated to half", truncateHalf, "truncated"},
		{"both meta pages written over", func(t *testing.T, path string) { breakMeta(t, path, 0, 1) }, "both meta pages"},
		{"a meta page and the subscriptions written over", func(t *testing.T, path string) {
			writeOver(t, path, bucketPages(t, path, bSubs), os.Getpagesize())
			breakMeta(t, path, 1)
		}, "meta page 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filledDB(t)
			tc.damage(t, path)
			d, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
			if err == nil {
				d.Close()
				t.Fatal("Open accepted a damaged file")
			}
			checkDamageError(t, err, path)
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("message %q does not say %q", err, tc.says)
			}
			// Refused without keeping the file locked.
			if _, err := Open(path, Options{LockTimeout: 100 * time.Millisecond}); !errors.Is(err, ErrDamaged) {
				t.Errorf("opening again: %v; want the same refusal", err)
			}
		})
	}
}

func TestOpenRefusesNotABoltFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feeds.txt")
	if err := os.WriteFile(path, bytes.Repeat([]byte("https://example.com/rss\n"), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{})
	if err == nil || errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "not a Herald database") {
		t.Fatalf("Open(a text file) = %v; want 'not a Herald database'", err)
	}
}

// One broken meta page with a sound file is what a crash in the middle of
// writing that page leaves: bbolt goes back one transaction, and so does
// Herald, with a warning.
func TestOpenOneBrokenMetaPageWarns(t *testing.T) {
	path := filledDB(t)
	breakMeta(t, path, 0)
	var logged bytes.Buffer
	d := openTestAt(t, path, Options{Log: slog.New(slog.NewTextHandler(&logged, nil))})
	if !strings.Contains(logged.String(), "meta page") || !strings.Contains(logged.String(), path) {
		t.Errorf("no warning naming the file: %q", logged.String())
	}
	subs, err := d.ListSubscriptions(alerts.NewTargetID(alerts.PlatformTelegram, "3"))
	if err != nil || len(subs) != 20 {
		t.Errorf("after the fallback: %d subscriptions, %v", len(subs), err)
	}
	if err := d.PutMeta("after", []byte("x")); err != nil {
		t.Errorf("writing after the fallback: %v", err)
	}
}

func TestDamageFoundInUseIsAnError(t *testing.T) {
	path := filledDB(t)
	writeOver(t, path, bucketPages(t, path, bSubs), os.Getpagesize())
	d := openTestAt(t, path, Options{})
	err := d.ForEachSubscription(func(alerts.Subscription) error { return nil })
	checkDamageError(t, err, path)
	select {
	case <-d.Damaged():
	default:
		t.Fatal("Damaged() not closed")
	}
	// Every later call gets the same error, the readable parts too: the
	// service must stop, not go on writing into a damaged file.
	if _, err := d.GetArticle("a1"); !errors.Is(err, ErrDamaged) {
		t.Errorf("GetArticle after damage: %v", err)
	}
	if err := d.PutMeta("k", []byte("v")); !errors.Is(err, ErrDamaged) {
		t.Errorf("PutMeta after damage: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// A file cut short under the running store makes reading its mapped pages
// fault; that is damage too, not a crash.
func TestFileTruncatedInUse(t *testing.T) {
	path := filledDB(t)
	d := openTestAt(t, path, Options{})
	if err := os.Truncate(path, int64(2*os.Getpagesize())); err != nil {
		t.Fatal(err)
	}
	_, err := d.RecentArticles(300)
	checkDamageError(t, err, path)
}

func TestPanicInCallerIsNotDamage(t *testing.T) {
	d := openTest(t)
	if _, err := d.AddSubscription(alerts.Subscription{Target: tgA, Query: "q"}); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != "caller's bug" {
				t.Errorf("recovered %v; want the caller's own panic", r)
			}
		}()
		d.ForEachSubscription(func(alerts.Subscription) error { panic("caller's bug") })
	}()
	if err := d.Err(); err != nil {
		t.Errorf("a caller's panic marked the store damaged: %v", err)
	}
}

// A panic raised in storage's own code (a bug, not the file) is an error
// that says so, and the store stays usable: it must not send the operator
// to herald check --repair over a sound file.
func TestPanicInStorageCodeIsNotDamage(t *testing.T) {
	d := openTest(t)
	err := d.guard(func() error {
		var m map[string]int
		m["a bug"]++ // a plain bug of ours: writing to a nil map
		return nil
	})
	if err == nil || errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("a panic in storage's code: %v; want an internal error, not damage", err)
	}
	if err := d.Err(); err != nil {
		t.Errorf("the store was marked damaged: %v", err)
	}
	if _, err := d.AddSubscription(alerts.Subscription{Target: tgA, Query: "q"}); err != nil {
		t.Errorf("the store is not usable after the bug: %v", err)
	}
}

// herald migrate copies the delivery log through ForEachSent. An entry
// that does not decode stops it with an error that names the entry and
// says how to save the rest, rather than a bare JSON error, or a copy
// without the entry that could send its alert again.
func TestForEachSentNamesADamagedEntry(t *testing.T) {
	d := openTest(t)
	sendAll(t, d, tgA, "s1")
	key := alerts.DeliveryKey(tgA, "s2")
	if err := d.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bLog).Put(logKey(tgA, key), []byte("{")) }); err != nil {
		t.Fatal(err)
	}
	err := d.ForEachSent(func(alerts.Sent) error { return nil })
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "herald check --repair") {
		t.Fatalf("ForEachSent over a damaged entry = %v", err)
	}
}
