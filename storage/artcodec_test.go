package storage

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// storedArticle is an article as the tests commit it, with a real body.
func storedArticle(t testing.TB, file, id string) alerts.Article {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	title, rest, _ := strings.Cut(string(body), "\n")
	return alerts.Article{ID: id, Title: title, Body: strings.TrimSpace(rest), URL: "https://example.com/" + id,
		GUID: "guid-" + id, ContentHash: alerts.ContentID("hash", id), Source: "Example", Lang: "en",
		Summary: "A summary.", StoryID: alerts.OwnStoryID(id), Published: t0, Ingested: t0.Add(time.Minute)}
}

func rawArticle(t testing.TB, d *DB, id string) []byte {
	t.Helper()
	var raw []byte
	if err := d.db.View(func(tx *bolt.Tx) error {
		raw = bytes.Clone(tx.Bucket(bArticles).Get([]byte(id)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return raw
}

// An article is stored compressed, smaller than its JSON, and reads back
// as it was committed through every reader.
func TestArticleRecordsAreCompressed(t *testing.T) {
	d := openTest(t)
	for _, tc := range []struct{ file, id string }{{"article-en.txt", "en1"}, {"article-ru.txt", "ru1"}} {
		a := storedArticle(t, tc.file, tc.id)
		for _, err := range d.CommitAll([]alerts.ArticleCommit{{Article: a}}) {
			if err != nil {
				t.Fatal(err)
			}
		}
		raw := rawArticle(t, d, a.ID)
		js, _ := json.Marshal(a)
		if !bytes.HasPrefix(raw, []byte(zstdMagic)) || len(raw) > len(js)*3/4 {
			t.Errorf("%s: stored %d bytes (JSON %d), starting %q: want a zstd frame at most 3/4 of the JSON", tc.file, len(raw), len(js), raw[:min(4, len(raw))])
		}
		got, err := d.GetArticle(a.ID)
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("%s: GetArticle = %+v, %v\nwant %+v", tc.file, got, err, a)
		}
		dup := alerts.Article{ID: "other", URL: a.URL}
		if prev, seen, err := d.Seen(&dup); err != nil || !seen || prev.Title != a.Title {
			t.Errorf("%s: Seen by URL = %q, %v, %v", tc.file, prev.Title, seen, err)
		}
	}
	recent, err := d.RecentArticles(5)
	if err != nil || len(recent) != 2 || recent[0].Body == "" {
		t.Errorf("RecentArticles = %d articles, %v", len(recent), err)
	}
}

// Records an earlier version stored as plain JSON are read as they are,
// updated in the new form, and pruned with their identity keys.
func TestArticleRecordsInJSONStillRead(t *testing.T) {
	d := openTest(t)
	a := storedArticle(t, "article-en.txt", "old1")
	js, _ := json.Marshal(a)
	if err := d.db.Update(func(tx *bolt.Tx) error {
		for _, k := range articleKeys(&a) {
			if err := tx.Bucket(bArtKeys).Put(k, []byte(a.ID)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bArtTime).Put(timeKey(a.Ingested, a.ID), nil); err != nil {
			return err
		}
		return tx.Bucket(bArticles).Put([]byte(a.ID), js)
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := d.GetArticle(a.ID); err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("GetArticle of a JSON record = %+v, %v", got, err)
	}
	byHash := alerts.Article{ID: "x", ContentHash: a.ContentHash}
	if _, seen, err := d.Seen(&byHash); err != nil || !seen {
		t.Fatalf("Seen by hash = %v, %v", seen, err)
	}

	edited := a
	edited.Title, edited.URL = "Edited title", "https://example.com/moved"
	edited.Ingested = time.Time{}
	for _, err := range d.CommitAll([]alerts.ArticleCommit{{Article: edited}}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if raw := rawArticle(t, d, a.ID); !bytes.HasPrefix(raw, []byte(zstdMagic)) {
		t.Errorf("the updated record starts %q, want a zstd frame", raw[:4])
	}
	got, err := d.GetArticle(a.ID)
	if err != nil || got.Title != "Edited title" || !got.Ingested.Equal(a.Ingested) {
		t.Fatalf("after the update: %q ingested %v, %v; want the new title and the first ingest time", got.Title, got.Ingested, err)
	}

	if n, err := d.Prune(a.Ingested.Add(time.Hour)); err != nil || n == 0 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	for _, k := range []string{a.URL, edited.URL} {
		probe := alerts.Article{ID: "y", URL: k}
		if _, seen, err := d.Seen(&probe); err != nil || seen {
			t.Errorf("after pruning, Seen(%s) = %v, %v", k, seen, err)
		}
	}
}

// A damaged compressed record is an error that says so, never a panic or
// other text; and a record that would expand without bound is refused.
func TestDamagedArticleRecord(t *testing.T) {
	a := storedArticle(t, "article-ru.txt", "d1")
	rec, err := encodeArticle(&a)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(zstdMagic); i < len(rec); i += max(1, len(rec)/40) {
		bad := bytes.Clone(rec)
		bad[i] ^= 0x5a
		var got alerts.Article
		if err := decodeArticle(bad, &got); err == nil && !reflect.DeepEqual(got, a) {
			t.Errorf("byte %d flipped: decoded without error to another article", i)
		}
	}
	enc, _ := articleCodec()
	bomb := enc.EncodeAll(bytes.Repeat([]byte{'a'}, maxArticleRecord+1), nil)
	var got alerts.Article
	if err := decodeArticle(bomb, &got); err == nil || !strings.Contains(err.Error(), "decompress") {
		t.Errorf("a record expanding to %d bytes: err = %v, want a refusal", maxArticleRecord+1, err)
	}

	d := openTest(t)
	for _, err := range d.CommitAll([]alerts.ArticleCommit{{Article: a}}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := d.db.Update(func(tx *bolt.Tx) error {
		bad := bytes.Clone(tx.Bucket(bArticles).Get([]byte(a.ID)))
		bad[len(bad)/2] ^= 0xff
		return tx.Bucket(bArticles).Put([]byte(a.ID), bad)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetArticle(a.ID); err == nil {
		t.Error("GetArticle of a damaged record: no error")
	}
}

func FuzzDecodeArticle(f *testing.F) {
	a := storedArticle(f, "article-en.txt", "f1")
	rec, _ := encodeArticle(&a)
	js, _ := json.Marshal(a)
	f.Add(rec)
	f.Add(js)
	f.Add([]byte(zstdMagic))
	f.Add(append([]byte(zstdMagic), 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, v []byte) {
		var got alerts.Article
		if decodeArticle(v, &got) != nil {
			return
		}
		again, err := encodeArticle(&got)
		if err != nil {
			t.Fatal(err)
		}
		var back alerts.Article
		if err := decodeArticle(again, &back); err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("re-encoded record reads %+v, %v; want %+v", back, err, got)
		}
	})
}
