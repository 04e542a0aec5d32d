package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage"
)

// gendb writes the subscriptions and chats it is asked for, each query one
// the matcher reads, and never overwrites a file.
func TestGenDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gen.db")
	var out, errs bytes.Buffer
	if code := run([]string{"gendb", "--subs", "3000", "--targets", "300", path}, nil, &out, &errs); code != 0 {
		t.Fatalf("gendb exited %d: %s", code, errs.String())
	}
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	perTarget := map[alerts.TargetID]int{}
	c, err := newCore(config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.ForEachSubscription(func(s alerts.Subscription) error {
		perTarget[s.Target]++
		if _, err := c.parse(s.Query); err != nil {
			t.Errorf("subscription %d: %q does not parse: %v", s.ID, s.Query, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	targets, err := db.ListTargets()
	if err != nil || len(targets) != 300 || len(perTarget) != 300 {
		t.Fatalf("%d targets stored, %d with subscriptions, want 300 (%v)", len(targets), len(perTarget), err)
	}
	for id, n := range perTarget {
		if n != 10 {
			t.Errorf("%s has %d subscriptions, want 10", id, n)
		}
	}
	db.Close()
	if code := run([]string{"gendb", "--subs", "10", path}, nil, &out, &errs); code == 0 || !strings.Contains(errs.String(), "exists") {
		t.Errorf("gendb over an existing file exited %d: %s", code, errs.String())
	}
}
