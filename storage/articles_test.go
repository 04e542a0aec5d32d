package storage

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

func commitArticle(t *testing.T, d *DB, a alerts.Article) {
	t.Helper()
	if err := d.Commit(a, alerts.Story{}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestSeen(t *testing.T) {
	d := openTest(t)
	stored := alerts.Article{ID: "a1", GUID: "urn:x:1", URL: "https://example.com/1", Title: "First",
		ContentHash: "h1", Ingested: t0}
	commitArticle(t, d, stored)
	// An article with only some keys indexes only those.
	commitArticle(t, d, alerts.Article{ID: "a2", URL: "https://example.com/2", Title: "Second", Ingested: t0})

	tests := []struct {
		name     string
		probe    alerts.Article
		wantSeen bool
		wantID   string
	}{
		{"same ID", alerts.Article{ID: "a1"}, true, "a1"},
		{"same GUID", alerts.Article{ID: "b", GUID: "urn:x:1"}, true, "a1"},
		{"same URL", alerts.Article{ID: "b", URL: "https://example.com/1"}, true, "a1"},
		{"same content", alerts.Article{ID: "b", ContentHash: "h1"}, true, "a1"},
		{"URL only article", alerts.Article{ID: "b", URL: "https://example.com/2"}, true, "a2"},
		{"one key matches", alerts.Article{ID: "b", GUID: "urn:x:9", URL: "https://example.com/9", ContentHash: "h1"}, true, "a1"},
		{"new", alerts.Article{ID: "b", GUID: "urn:x:2", URL: "https://example.com/3", ContentHash: "h2"}, false, ""},
		{"keys do not cross", alerts.Article{ID: "b", GUID: "https://example.com/1", URL: "h1"}, false, ""},
		{"empty", alerts.Article{}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev, seen, err := d.Seen(&tt.probe)
			if err != nil {
				t.Fatal(err)
			}
			if seen != tt.wantSeen || prev.ID != tt.wantID {
				t.Fatalf("Seen = %q, %v; want %q, %v", prev.ID, seen, tt.wantID, tt.wantSeen)
			}
			if seen && tt.wantID == "a1" && (prev.Title != "First" || !prev.Ingested.Equal(t0)) {
				t.Errorf("Seen returned %+v, not the stored article", prev)
			}
		})
	}
}

func TestCommitUpdateKeepsIngestTime(t *testing.T) {
	d := openTest(t)
	first := alerts.Article{ID: "a1", URL: "https://example.com/old", Title: "Draft", Ingested: t0, StoryID: "s1"}
	commitArticle(t, d, first)
	upd := first
	upd.Title, upd.URL, upd.Ingested = "Final", "https://example.com/new", t0.Add(time.Hour)
	commitArticle(t, d, upd)

	got, err := d.GetArticle("a1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Final" || !got.Ingested.Equal(t0) {
		t.Errorf("after the update GetArticle = %q ingested %v; want \"Final\" ingested %v", got.Title, got.Ingested, t0)
	}
	recent, _ := d.RecentArticles(10)
	if len(recent) != 1 || recent[0].ID != "a1" {
		t.Errorf("an update must not add a second entry: RecentArticles = %v", articleIDs(recent))
	}
	// Both URLs still lead to it.
	for _, u := range []string{first.URL, upd.URL} {
		if prev, seen, _ := d.Seen(&alerts.Article{URL: u}); !seen || prev.ID != "a1" {
			t.Errorf("Seen(URL %s) = %q, %v", u, prev.ID, seen)
		}
	}
	if _, err := d.GetArticle("zz"); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("GetArticle(zz) error = %v, want ErrNotFound", err)
	}
	if err := d.Commit(alerts.Article{Title: "no ID"}, alerts.Story{}, nil); err == nil {
		t.Error("Commit of an article without an ID succeeded")
	}
}

func articleIDs(as []alerts.Article) []string {
	var ids []string
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	return ids
}

func TestRecentArticles(t *testing.T) {
	d := openTest(t)
	for _, i := range []int{3, 0, 4, 1, 2} {
		commitArticle(t, d, alerts.Article{ID: fmt.Sprintf("a%d", i), Title: "t", Ingested: t0.Add(time.Duration(i) * time.Minute)})
	}
	tests := []struct {
		n    int
		want string
	}{
		{0, ""},
		{-1, ""},
		{1, "a4"},
		{3, "a4 a3 a2"},
		{5, "a4 a3 a2 a1 a0"},
		{50, "a4 a3 a2 a1 a0"},
	}
	for _, tt := range tests {
		got, err := d.RecentArticles(tt.n)
		if err != nil {
			t.Fatal(err)
		}
		if s := strings.Join(articleIDs(got), " "); s != tt.want {
			t.Errorf("RecentArticles(%d) = %q, want %q", tt.n, s, tt.want)
		}
	}
}

func TestCommitWithoutIngestTime(t *testing.T) {
	d := openTest(t)
	old := t0.AddDate(-5, 0, 0)
	commitArticle(t, d, alerts.Article{ID: "old", Title: "t", Ingested: old})
	commitArticle(t, d, alerts.Article{ID: "undated", Title: "t"}) // ingested now
	commitArticle(t, d, alerts.Article{ID: "ancient", Title: "t", Ingested: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)})

	got, _ := d.RecentArticles(3)
	if s := strings.Join(articleIDs(got), " "); s != "undated old ancient" {
		t.Errorf("RecentArticles = %q, want \"undated old ancient\"", s)
	}
	if a, _ := d.GetArticle("undated"); a.Ingested.IsZero() {
		t.Error("an article committed without an ingest time kept a zero one")
	}
	// Pruning what is older than a year keeps the article ingested now.
	if _, err := d.Prune(time.Now().AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	got, _ = d.RecentArticles(3)
	if s := strings.Join(articleIDs(got), " "); s != "undated" {
		t.Errorf("after Prune RecentArticles = %q, want \"undated\"", s)
	}
}

func TestArticleBodyCap(t *testing.T) {
	const limit = 10
	d := openTestAt(t, filepath.Join(t.TempDir(), "herald.db"), Options{ArticleBodyCap: limit})
	tests := []struct {
		name, body, want string
	}{
		{"short", "short", "short"},
		{"exact", "0123456789", "0123456789"},
		{"ascii", "0123456789abc", "0123456789"},
		{"two-byte runes", "ééééééé", "ééééé"},                                  // 14 bytes; cut between runes
		{"two-byte off by one", "xéééééé", "xéééé"},                             // byte 10 is a continuation byte
		{"three-byte runes", "€€€€€", "€€€"},                                    // 15 bytes → 9
		{"four-byte runes", "🗞🗞🗞🗞", "🗞🗞"},                                       // 16 bytes → 8
		{"mixed", "ab€dé🗞zz", "ab€dé"},                                          // the emoji straddles the cap
		{"cyrillic", "Зеленский сказал", "Зелен"},                               // 2-byte runes
		{"combining", "e\u0301e\u0301e\u0301e\u0301", "e\u0301e\u0301e\u0301e"}, // a rune boundary, not a grapheme one
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprint("a", i)
			commitArticle(t, d, alerts.Article{ID: id, Title: "t", Body: tt.body, Ingested: t0})
			got, err := d.GetArticle(id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Body != tt.want {
				t.Errorf("stored body %q, want %q", got.Body, tt.want)
			}
			if !utf8.ValidString(got.Body) || !strings.HasPrefix(tt.body, got.Body) || len(got.Body) > limit {
				t.Errorf("stored body %q is not a valid prefix of at most %d bytes", got.Body, limit)
			}
			if prev, _, _ := d.Seen(&alerts.Article{ID: id}); prev.Body != got.Body {
				t.Errorf("Seen returned body %q", prev.Body)
			}
		})
	}
}

func TestStories(t *testing.T) {
	d := openTest(t)
	s := alerts.Story{ID: "s1", FirstArticle: "a1", Title: "Talks", Sources: []string{"Reuters"}, Created: t0, Updated: t0}
	if err := d.Commit(alerts.Article{ID: "a1", Title: "Talks", StoryID: "s1", Ingested: t0}, s, nil); err != nil {
		t.Fatal(err)
	}
	s.Sources, s.Updated = append(s.Sources, "AP"), t0.Add(time.Minute)
	if err := d.Commit(alerts.Article{ID: "a2", Title: "Talks", StoryID: "s1", Ingested: t0.Add(time.Minute)}, s, nil); err != nil {
		t.Fatal(err)
	}
	got, err := d.GetStory("s1")
	if err != nil || got.FirstArticle != "a1" || len(got.Sources) != 2 || !got.Updated.Equal(s.Updated) {
		t.Errorf("GetStory = %+v, %v", got, err)
	}
	if _, err := d.GetStory("s9"); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("GetStory(s9) error = %v, want ErrNotFound", err)
	}
}

func TestPruneForgetsStaleArticleKeys(t *testing.T) {
	d := openTest(t)
	a := alerts.Article{ID: "a1", URL: "https://example.com/draft", ContentHash: "h-draft", Title: "t", Ingested: t0}
	commitArticle(t, d, a)
	a.URL, a.ContentHash = "https://example.com/final", "h-final"
	commitArticle(t, d, a)
	a.ContentHash = "h-draft" // back to a key of the first version
	commitArticle(t, d, a)
	commitArticle(t, d, alerts.Article{ID: "keep", URL: "https://example.com/keep", Title: "t", Ingested: t0.Add(time.Hour)})
	assertKeysFindable(t, d)

	n, err := d.Prune(t0.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	for _, probe := range []alerts.Article{{ID: "a1"}, {URL: "https://example.com/draft"}, {ContentHash: "h-draft"},
		{URL: "https://example.com/final"}, {ContentHash: "h-final"}} {
		if prev, seen, err := d.Seen(&probe); seen || err != nil {
			t.Errorf("Seen(%+v) after Prune = %q, %v, %v; want forgotten", probe, prev.ID, seen, err)
		}
	}
	if prev, seen, _ := d.Seen(&alerts.Article{URL: "https://example.com/keep"}); !seen || prev.ID != "keep" {
		t.Errorf("Prune forgot the newer article: %q, %v", prev.ID, seen)
	}
	if n, m := bucketKeys(t, d, bArtKeys), bucketKeys(t, d, bArtKeysOf); n != 1 || m != 0 {
		t.Errorf("after Prune art_keys holds %d keys and art_keys_of %d; want the 1 of the newer article, none listed", n, m)
	}
}

// assertKeysFindable checks that Prune finds every identity key naming a
// stored article: its record names it, or it is listed under its ID.
func assertKeysFindable(t *testing.T, d *DB) {
	t.Helper()
	d.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bArtKeys).ForEach(func(k, id []byte) error {
			rec := tx.Bucket(bArticles).Get(id)
			if rec == nil {
				return nil
			}
			listed := tx.Bucket(bArtKeysOf).Get(append(append(bytes.Clone(id), 0), k...)) != nil
			if !listed && !slices.ContainsFunc(recordKeys(rec), func(n []byte) bool { return bytes.Equal(n, k) }) {
				t.Errorf("key %q of article %s is neither in its record nor listed: Prune would leave it", k, id)
			}
			return nil
		})
	})
}

// TestCommitKeepsNoRecordOfAnArticlesOwnStory: the story an article opened
// and is alone in is not written (the clusterer rebuilds it from the
// article after a restart); once another source joins, the story is
// stored, and a repair counts none of them lost.
func TestCommitKeepsNoRecordOfAnArticlesOwnStory(t *testing.T) {
	d := openTest(t)
	own := func(a alerts.Article, sources ...string) alerts.Story {
		return alerts.Story{ID: alerts.OwnStoryID(a.ID), FirstArticle: a.ID, Title: a.Title, Sources: sources, Created: t0, Updated: t0}
	}
	a1 := alerts.Article{ID: "a1", Title: "Talks resume", Source: "Wire", Ingested: t0}
	a1.StoryID = alerts.OwnStoryID(a1.ID)
	quoted := alerts.Article{ID: "q1", Title: "Rates rise", Source: "Wire", Outlet: "Bloomberg", Ingested: t0}
	quoted.StoryID = alerts.OwnStoryID(quoted.ID)
	bare := alerts.Article{ID: "b1", Title: "Storm", Ingested: t0}
	bare.StoryID = alerts.OwnStoryID(bare.ID)
	for _, c := range []alerts.ArticleCommit{{Article: a1, Story: own(a1, "Wire")}, {Article: quoted, Story: own(quoted, "Bloomberg")},
		{Article: bare, Story: own(bare)}} {
		if err := d.Commit(c.Article, c.Story, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := d.GetStory(c.Story.ID); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("%s: its own story was stored (%v)", c.Article.ID, err)
		}
	}
	if n := bucketKeys(t, d, bExpiry); n != 0 {
		t.Errorf("expiry has %d entries; want none for stories not stored", n)
	}
	// Not its own: another source named, another first article, or
	// another ID.
	other := alerts.Article{ID: "o1", Title: "Talks resume", Source: "AP", Ingested: t0, StoryID: a1.StoryID}
	joined := own(a1, "Wire", "AP")
	odd := alerts.Article{ID: "o2", Title: "Flood", Source: "AP", Ingested: t0, StoryID: "s-odd"}
	for _, c := range []alerts.ArticleCommit{{Article: other, Story: joined},
		{Article: odd, Story: alerts.Story{ID: "s-odd", FirstArticle: "o2", Title: "Flood", Sources: []string{"AP"}}}} {
		if err := d.Commit(c.Article, c.Story, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := d.GetStory(c.Story.ID); err != nil || len(got.Sources) != len(c.Story.Sources) {
			t.Errorf("%s: story %+v, %v; want it stored", c.Article.ID, got, err)
		}
	}
	// Once stored, the story is written whatever joins it.
	again := own(a1, "Wire")
	again.Updated = t0.Add(time.Hour)
	if err := d.Commit(a1, again, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.GetStory(a1.StoryID); !got.Updated.Equal(again.Updated) {
		t.Errorf("a stored story was not updated: %+v", got)
	}
	d.Close()
	r, err := Repair(d.Path(), filepath.Join(t.TempDir(), "repaired.db"))
	if err != nil {
		t.Fatal(err)
	}
	if c := countOf(r, "stories"); c.Saved != 2 || c.Lost != 0 {
		t.Errorf("repair: stories %+v; want 2 saved, none lost", c)
	}
}

// TestPageWritesCountsCommits: herald_db_page_writes_total moves with what
// commits write, and reads leave it alone.
func TestPageWritesCountsCommits(t *testing.T) {
	d := openTest(t)
	before := d.PageWrites()
	a := alerts.Article{ID: "p1", URL: "https://example.com/p1", Title: "Paged", ContentHash: "hp1", Ingested: t0}
	commitArticle(t, d, a)
	one := d.PageWrites() - before
	if one < 2 {
		t.Fatalf("one article's commit wrote %d pages; want its data and a meta page at least", one)
	}
	if _, _, err := d.Seen(&a); err != nil {
		t.Fatal(err)
	}
	if got := d.PageWrites() - before; got != one {
		t.Fatalf("a read moved the page writes from %d to %d", one, got)
	}
	for i := range 50 {
		commitArticle(t, d, alerts.Article{ID: fmt.Sprintf("q%d", i), Title: strings.Repeat("long ", 400), Ingested: t0})
	}
	if got := d.PageWrites() - before - one; got < 50*2 {
		t.Fatalf("50 commits wrote %d pages; want at least 2 each", got)
	}
}

// TestGUIDsNamedWithinTheirSource: feeds number their items, so a GUID
// that is no URL or URN ("1") names an article only within its source,
// while one that is ("urn:…") names it everywhere. Keys written the old
// way, with the GUID alone, no longer make another source's item a copy,
// and pruning still deletes them.
func TestGUIDsNamedWithinTheirSource(t *testing.T) {
	d := openTest(t)
	commitArticle(t, d, alerts.Article{ID: "one-1", GUID: "1", Source: "One News", Title: "First of One", Ingested: t0})
	commitArticle(t, d, alerts.Article{ID: "one-urn", GUID: "urn:one:7", Source: "One News", Title: "Syndicated", Ingested: t0})
	tests := []struct {
		name   string
		probe  alerts.Article
		wantID string // "" for not seen
	}{
		{"same source, same number", alerts.Article{ID: "x", GUID: "1", Source: "One News"}, "one-1"},
		{"another source, same number", alerts.Article{ID: "x", GUID: "1", Source: "Two News"}, ""},
		{"no source, same number", alerts.Article{ID: "x", GUID: "1"}, ""},
		{"another source, same URN", alerts.Article{ID: "x", GUID: "urn:one:7", Source: "Two News"}, "one-urn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev, seen, err := d.Seen(&tt.probe)
			if err != nil || seen != (tt.wantID != "") || seen && prev.ID != tt.wantID {
				t.Errorf("Seen = %s, %v, %v; want %q", prev.ID, seen, err, tt.wantID)
			}
		})
	}

	// A key as Herald wrote it until 2026-12, beside the article's record.
	old := alerts.Article{ID: "old-5", GUID: "5", Source: "One News", Title: "Old", Ingested: t0.Add(-time.Hour)}
	commitArticle(t, d, old)
	if err := d.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bArtKeys).Put([]byte("g:5"), []byte(old.ID)) }); err != nil {
		t.Fatal(err)
	}
	if _, seen, err := d.Seen(&alerts.Article{ID: "y", GUID: "5", Source: "Two News"}); err != nil || seen {
		t.Errorf("another source's item 5 beside an old key: seen %v, %v", seen, err)
	}
	if _, err := d.Prune(t0.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	d.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bArtKeys).Get([]byte("g:5")); v != nil {
			t.Errorf("pruning the old article left its old key naming %s", v)
		}
		return nil
	})
}

// TestDerivedKeyNotStored: an article whose ID came from one of its
// identities (a feed's item: from its GUID, else its URL) does not store
// that identity's key, and every other article carrying that identity
// still finds it; an ID given by the caller keeps every key.
func TestDerivedKeyNotStored(t *testing.T) {
	d := openTest(t)
	byURL := alerts.Article{URL: "https://one.example/a", ContentHash: "ha", Title: "By URL", Ingested: t0}
	byURL.ID = alerts.DerivedID(&byURL)
	byGUID := alerts.Article{GUID: "urn:one:b", URL: "https://one.example/b", ContentHash: "hb", Title: "By GUID", Ingested: t0}
	byGUID.ID = alerts.DerivedID(&byGUID)
	given := alerts.Article{ID: "given", GUID: "urn:one:c", URL: "https://one.example/c", Title: "Given", Ingested: t0}
	for _, a := range []alerts.Article{byURL, byGUID, given} {
		commitArticle(t, d, a)
	}
	var stored []string
	d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bArtKeys).ForEach(func(k, _ []byte) error { stored = append(stored, string(k)); return nil })
	})
	slices.Sort(stored)
	want := []string{"g:urn:one:c", "h:ha", "h:hb", "u:https://one.example/b", "u:https://one.example/c"}
	if !slices.Equal(stored, want) {
		t.Errorf("stored keys %q, want %q", stored, want)
	}
	for _, tt := range []struct {
		name   string
		probe  alerts.Article
		wantID string
	}{
		{"a pushed copy by URL", alerts.Article{ID: "p1", URL: byURL.URL}, byURL.ID},
		{"a feed item with a GUID and that URL", alerts.Article{ID: "p2", GUID: "urn:two:9", URL: byURL.URL}, byURL.ID},
		{"the same GUID from another feed", alerts.Article{ID: "p3", GUID: byGUID.GUID, Source: "Two"}, byGUID.ID},
		{"the given ID's GUID", alerts.Article{ID: "p4", GUID: given.GUID}, "given"},
		{"nothing shared", alerts.Article{ID: "p5", URL: "https://one.example/z", ContentHash: "hz"}, ""},
	} {
		prev, seen, err := d.Seen(&tt.probe)
		if err != nil || seen != (tt.wantID != "") || seen && prev.ID != tt.wantID {
			t.Errorf("%s: Seen = %s, %v, %v; want %q", tt.name, prev.ID, seen, err, tt.wantID)
		}
	}
	// A key left naming an article that is gone (damage kept it from being
	// pruned) does not hide the article whose ID the key derives.
	if err := d.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bArtKeys).Put([]byte("u:"+byURL.URL), []byte("gone"))
	}); err != nil {
		t.Fatal(err)
	}
	if prev, seen, err := d.Seen(&alerts.Article{ID: "p7", URL: byURL.URL}); err != nil || !seen || prev.ID != byURL.ID {
		t.Errorf("beside a stale key: Seen = %s, %v, %v; want %s", prev.ID, seen, err, byURL.ID)
	}
	// Once pruned, no identity finds it.
	if _, err := d.Prune(t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, seen, err := d.Seen(&alerts.Article{ID: "p6", URL: byURL.URL}); err != nil || seen {
		t.Errorf("after pruning: seen %v, %v", seen, err)
	}
}
