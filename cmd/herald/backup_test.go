package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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

// herald backup finds the running herald through the address it writes
// beside the database, whatever HERALD_HTTP_ADDR says where backup runs,
// and replaces an existing file only when told to.
func TestBackupFindsRunningHeraldAndKeepsFiles(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	s := startService(t, map[string]string{"HERALD_DB": db}) // on a random port
	s.command(t, "/subscribe ceasefire")
	t.Setenv("HERALD_DB", db)
	t.Setenv("HERALD_HTTP_ADDR", "")
	os.Unsetenv("HERALD_HTTP_ADDR")

	dst := filepath.Join(dir, "copy.db")
	var out, errb strings.Builder
	if code := runBackup(context.Background(), []string{dst}, &out, &errb); code != 0 {
		t.Fatalf("backup without HERALD_HTTP_ADDR: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "from the running herald at "+s.addr) {
		t.Errorf("output: %q", out.String())
	}
	first, _ := os.ReadFile(dst)

	out.Reset()
	errb.Reset()
	if code := runBackup(context.Background(), []string{dst}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--force") {
		t.Errorf("backup over an existing file: exit %d, %q", code, errb.String())
	}
	if now, _ := os.ReadFile(dst); !bytes.Equal(now, first) {
		t.Error("the existing file was changed without --force")
	}
	if code := runBackup(context.Background(), []string{"--force", dst}, &out, &errb); code != 0 {
		t.Errorf("backup --force: exit %d, %s", code, errb.String())
	}
	if code := runBackup(context.Background(), []string{"--force", db}, &out, &errb); code != 2 {
		t.Errorf("backup onto the database itself: exit %d, want 2", code)
	}

	// Stopped, it leaves no address behind, and backup copies the file.
	s.stop()
	if _, err := os.Stat(db + ".http-addr"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("address file left after stop: %v", err)
	}
	if code := runBackup(context.Background(), []string{"--force", dst}, &out, &errb); code != 0 {
		t.Errorf("backup of a stopped herald: exit %d, %s", code, errb.String())
	}
}

// A backup client that stops reading holds back no push: the copy is made
// to a temporary file before it is sent. (Before, the backup streamed from
// a bbolt read transaction, and the first push that needed the file to
// grow waited for the client.)
func TestStalledBackupHoldsNoPushBack(t *testing.T) {
	if testing.Short() {
		t.Skip("a 30 MB database and a hundred pushes")
	}
	db := filepath.Join(t.TempDir(), "herald.db")
	fillJustUnderMap(t, db)
	s := startService(t, map[string]string{"HERALD_DB": db})
	token, err := readAdminToken(db)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/backup HTTP/1.1\r\nHost: herald\r\nAuthorization: Bearer %s\r\n\r\n", token)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("backup: %v, %v", resp, err)
	}
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	// The client reads no more. Push large articles: the file must grow.
	client := &http.Client{Timeout: 5 * time.Second}
	body := strings.Repeat("Envoys met again to discuss the corridor and the exchange of prisoners. ", 260) // 19 KB: more than an article keeps (16 KiB)
	before, _ := os.Stat(db)
	var slowest time.Duration
	for i := range 100 {
		art := fmt.Sprintf(`{"title":"Report %d on the talks","url":"https://news.example/%d","body":%q,"source":"Example"}`, i, i, fmt.Sprint(i, body))
		start := time.Now()
		resp, err := client.Post("http://"+s.addr+"/v1/articles", "application/json", strings.NewReader(art))
		took := time.Since(start)
		if err != nil {
			t.Fatalf("push %d: %v (after %s)", i, err, took)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("push %d: %s", i, resp.Status)
		}
		slowest = max(slowest, took)
		if took > time.Second {
			t.Errorf("push %d took %s while a backup stalled", i, took)
		}
	}
	after, _ := os.Stat(db)
	t.Logf("100 pushes, slowest %s; file %d -> %d bytes", slowest, before.Size(), after.Size())
	if after.Size() <= before.Size() {
		t.Errorf("the file did not grow (%d bytes): the test proves nothing", after.Size())
	}
	// The stalled backup is whole when its client reads on.
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(dst, append(head, rest...), 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := storage.Check(dst); err != nil || !r.OK() {
		t.Errorf("the backup does not check out: %+v, %v", r, err)
	}
}

// fillJustUnderMap writes a database of about 31 MB whose file ends where
// its pages do: bbolt maps it in 32 MB, and a little more data makes the
// map grow, which waits for every open read transaction. The padding goes
// into buckets of its own (herald ignores them), one value each, so that
// each step adds only its own pages.
func fillJustUnderMap(t *testing.T, path string) {
	t.Helper()
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	const low, high = 31 << 20, 31<<20 + 512<<10
	var used int64
	for i := 0; ; i++ {
		size := 1 << 20
		if used > low-2<<20 {
			size = 32 << 10
		}
		err := bdb.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte(fmt.Sprint("test-padding-", i)))
			if err != nil {
				return err
			}
			if err := b.Put([]byte("pad"), bytes.Repeat([]byte{byte(i)}, size)); err != nil {
				return err
			}
			used = tx.Size() // pages in use before this commit
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		bdb.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
		if used >= low {
			break
		}
	}
	bdb.Close()
	if used > high {
		t.Fatalf("overshot: %d bytes in use", used)
	}
	if err := os.Truncate(path, used); err != nil {
		t.Fatal(err)
	}
}
