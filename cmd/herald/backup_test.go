package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-news/herald/storage"
)

func TestBackupWhileRunningAndStopped(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	s := startService(t, map[string]string{"HERALD_DB": db})
	s.command(t, "/subscribe ceasefire")
	t.Setenv("HERALD_DB", db)
	t.Setenv("HERALD_HTTP_ADDR", s.addr)

	check := func(path string) {
		t.Helper()
		copyDB, err := storage.Open(path, storage.Options{})
		if err != nil {
			t.Fatalf("backup does not open: %v", err)
		}
		defer copyDB.Close()
		subs, err := copyDB.ListSubscriptions("console:local")
		if err != nil || len(subs) != 1 || subs[0].Query != "ceasefire" {
			t.Fatalf("backup holds %v, %v; want the subscription", subs, err)
		}
	}
	var out, errb strings.Builder
	hot := filepath.Join(dir, "hot.db")
	if code := runBackup(context.Background(), []string{hot}, &out, &errb); code != 0 {
		t.Fatalf("backup of a running herald: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "from the running herald") {
		t.Errorf("output: %q", out.String())
	}
	check(hot)

	s.stop()
	cold := filepath.Join(dir, "cold.db")
	out.Reset()
	if code := runBackup(context.Background(), []string{cold}, &out, &errb); code != 0 {
		t.Fatalf("backup of a stopped herald: exit %d: %s", code, errb.String())
	}
	check(cold)

	if code := runBackup(context.Background(), nil, &out, &errb); code != 2 {
		t.Errorf("backup without FILE: exit %d, want 2", code)
	}
}
