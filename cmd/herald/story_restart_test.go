package main

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage"
)

// TestStoryAloneIsRebuiltAfterRestart: the store keeps no record of a
// story its one article opened, and after a restart a second report of
// the event still joins that story, which then names both sources.
func TestStoryAloneIsRebuiltAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	first := alerts.Article{ID: "quake-reuters", Source: "Reuters", Lang: "en", Ingested: now.Add(-time.Hour), Published: now.Add(-time.Hour),
		Title: "Magnitude 7.7 earthquake strikes Myanmar near Mandalay",
		Body: "A magnitude 7.7 earthquake struck central Myanmar near Mandalay on Friday, killing at least 144 people, " +
			"the junta said. Tremors were felt in Bangkok, where a 30-storey tower under construction collapsed."}
	second := alerts.Article{ID: "quake-ap", Source: "AP", Lang: "en", Ingested: now, Published: now.Add(-30 * time.Minute),
		Title: "Myanmar earthquake of magnitude 7.7 near Mandalay kills 144",
		Body: "At least 144 people were killed when a magnitude 7.7 earthquake hit central Myanmar near Mandalay, " +
			"the junta said. In Bangkok a 30-storey tower under construction collapsed."}

	before, err := newCore(config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sim := before.clusterer.Similarity(&first, &second); sim < 0.36 {
		t.Fatalf("the two reports score %.2f: not one story to begin with", sim)
	}
	s, joined := before.clusterer.Assign(&first)
	if joined {
		t.Fatal("the first report joined a story")
	}
	if err := db.Commit(first, s, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetStory(s.ID); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("the story of one article was stored (%v)", err)
	}

	after, err := newCore(config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := after.seedStories(db, now); err != nil || n != 1 {
		t.Fatalf("seedStories = %d, %v", n, err)
	}
	got, joined := after.clusterer.Assign(&second)
	if !joined || got.ID != s.ID || !slices.Equal(got.Sources, []string{"Reuters", "AP"}) || got.FirstArticle != first.ID {
		t.Fatalf("after the restart the second report got %+v (joined %v), want story %s with both sources", got, joined, s.ID)
	}
	if err := db.Commit(second, got, nil); err != nil {
		t.Fatal(err)
	}
	if st, err := db.GetStory(s.ID); err != nil || len(st.Sources) != 2 {
		t.Errorf("the joined story: %+v, %v; want it stored with both sources", st, err)
	}
}
