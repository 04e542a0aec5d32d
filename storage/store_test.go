package storage

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// openTest opens a fresh database in t.TempDir and closes it when the test
// ends, like bbolt's btesting.MustCreateDB.
func openTest(t testing.TB) *DB {
	t.Helper()
	return openTestAt(t, filepath.Join(t.TempDir(), "herald.db"), Options{})
}

// openTestAt opens the database at path and closes it when the test ends
// (closing twice is harmless, so a test may close it itself).
func openTestAt(t testing.TB, path string, opts Options) *DB {
	t.Helper()
	d, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Fixtures shared by the tests.
var (
	tgA = alerts.NewTargetID(alerts.PlatformTelegram, "1")
	tgB = alerts.NewTargetID(alerts.PlatformTelegram, "10") // tgA's ID is a prefix of it
	dcC = alerts.NewTargetID(alerts.PlatformDiscord, "777")
	t0  = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
)

func alertFor(target alerts.TargetID, story string) alerts.Alert {
	return alerts.Alert{
		Target:  target,
		Story:   story,
		Article: alerts.Article{ID: story, Title: "Title of " + story},
		Matches: []alerts.Match{{Sub: 1, Query: "ceasefire"}},
		Sources: []string{"Reuters"},
	}
}

// alertDelivery is what the planner queues for one target and story.
func alertDelivery(target alerts.TargetID, story string) alerts.Delivery {
	a := alertFor(target, story)
	return alerts.Delivery{ID: a.Key(), Kind: alerts.DeliverAlert, Target: target, Alerts: []alerts.Alert{a}, Created: t0}
}

func sentFor(d alerts.Delivery, msgID string, at time.Time) alerts.Sent {
	a := d.Alerts[0]
	return alerts.Sent{Key: a.Key(), Target: d.Target, Story: a.Story, MessageID: msgID, At: at, Sources: a.Sources, Alert: a}
}

func pendingIDs(t *testing.T, d *DB) []string {
	t.Helper()
	ds, err := d.Pending(1 << 20)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	ids := make([]string, 0, len(ds))
	for _, dl := range ds {
		ids = append(ids, dl.ID)
	}
	return ids
}

func TestOpenCreatesBucketsAndSchema(t *testing.T) {
	d := openTest(t)
	v, err := d.SchemaVersion()
	if err != nil || v != SchemaVersion || SchemaVersion != len(migrations) {
		t.Fatalf("SchemaVersion() = %d, %v; want %d", v, err, SchemaVersion)
	}
	err = d.db.View(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("bucket %s missing", name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.Path() == "" || filepath.Base(d.Path()) != "herald.db" {
		t.Errorf("Path() = %q", d.Path())
	}
}

func TestReopenKeepsSchemaAndData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	d := openTestAt(t, path, Options{})
	if err := d.PutMeta("tg_offset", []byte("41")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTestAt(t, path, Options{})
	if v, err := d.SchemaVersion(); err != nil || v != SchemaVersion {
		t.Fatalf("after reopen SchemaVersion() = %d, %v", v, err)
	}
	if got, err := d.GetMeta("tg_offset"); err != nil || string(got) != "41" {
		t.Fatalf("after reopen GetMeta = %q, %v", got, err)
	}
}

// stamp writes a raw schema version into a closed database file, the way an
// older or newer herald would have left it.
func stamp(t *testing.T, path string, raw []byte) {
	t.Helper()
	stampWith(t, path, raw, func(*bolt.Tx) error { return nil })
}

// stampWith is stamp with more changes in its transaction.
func stampWith(t *testing.T, path string, raw []byte, change func(tx *bolt.Tx) error) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bolt.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(keySchema, raw)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesUnknownSchema(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		want []string
	}{
		{"future version", u64(SchemaVersion + 1), []string{fmt.Sprintf("schema version %d", SchemaVersion+1), "upgrade herald"}},
		{"far future", u64(1 << 40), []string{"upgrade herald"}},
		{"malformed stamp", []byte("v1"), []string{"malformed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "herald.db")
			d, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			d.Close()
			stamp(t, path, tt.raw)

			d, err = Open(path, Options{})
			if err == nil {
				d.Close()
				t.Fatal("Open succeeded on a database with an unknown schema")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			// The refusal must not have rewritten the stamp or kept the lock.
			bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatalf("file still locked after a failed Open: %v", err)
			}
			defer bdb.Close()
			bdb.View(func(tx *bolt.Tx) error {
				if got := tx.Bucket(bMeta).Get(keySchema); !bytes.Equal(got, tt.raw) {
					t.Errorf("stamp changed to %x", got)
				}
				return nil
			})
		})
	}
}

func TestPutMetaCannotOverwriteSchema(t *testing.T) {
	d := openTest(t)
	if err := d.PutMeta("schema_version", u64(99)); err == nil {
		t.Fatal("PutMeta(schema_version) succeeded")
	}
	if v, _ := d.SchemaVersion(); v != SchemaVersion {
		t.Fatalf("SchemaVersion() = %d after PutMeta", v)
	}
}

func checkInUse(t *testing.T, err error, path string) {
	t.Helper()
	if err == nil {
		t.Fatal("second Open succeeded while the database was held")
	}
	if !errors.Is(err, ErrInUse) {
		t.Errorf("error %q is not ErrInUse", err)
	}
	for _, w := range []string{"is in use by another herald process", path} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestOpenLockedInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	first := openTestAt(t, path, Options{})

	second, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		second.Close()
	}
	checkInUse(t, err, path)

	// The holder is unaffected, and once it closes the file opens again.
	if err := first.PutMeta("k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	first.Close()
	third := openTestAt(t, path, Options{LockTimeout: 100 * time.Millisecond})
	if v, err := third.GetMeta("k"); err != nil || string(v) != "v" {
		t.Fatalf("GetMeta after reopen = %q, %v", v, err)
	}
}

// The helper process: when the test binary is re-executed with
// helperEnv set, TestHelperProcess opens the database named by it, acts
// on the mode, and reports "ready".
const (
	helperEnv     = "HERALD_STORAGE_HELPER_DB"
	helperModeEnv = "HERALD_STORAGE_HELPER_MODE"
	helperCount   = 25
)

func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestOpenLockedByAnotherProcess and TestCrashKeepsOutbox")
	}
	d, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	switch os.Getenv(helperModeEnv) {
	case "hold":
		// Hold the lock until the parent closes our stdin.
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
		d.Close()
		os.Exit(0)
	case "crash":
		// Queue deliveries one transaction each, then die without Close.
		for i := range helperCount {
			dl := alertDelivery(tgA, fmt.Sprintf("story-%02d", i))
			if err := d.Enqueue(dl); err != nil {
				fmt.Fprintln(os.Stderr, "helper:", err)
				os.Exit(2)
			}
		}
		fmt.Println("ready")
		os.Exit(3)
	}
	os.Exit(2)
}

// startHelper re-executes the test binary as TestHelperProcess and waits
// for its "ready" line.
func startHelper(t *testing.T, path, mode string) (cmd *exec.Cmd, release func()) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path, helperModeEnv+"="+mode)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			stdin.Close()
			cmd.Wait()
		})
	}
	t.Cleanup(release)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if sc.Text() == "ready" {
			go func() { // drain, so the child never blocks on a full pipe
				for sc.Scan() {
				}
			}()
			return cmd, release
		}
	}
	release()
	t.Fatalf("helper process (%s) never got ready: %s", mode, stderr.String())
	return nil, nil
}

func TestOpenLockedByAnotherProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("in the helper")
	}
	path := filepath.Join(t.TempDir(), "herald.db")
	// Create the file first so the helper only opens it.
	d := openTestAt(t, path, Options{})
	d.Close()

	_, release := startHelper(t, path, "hold")
	d, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		d.Close()
	}
	checkInUse(t, err, path)

	release()
	d = openTestAt(t, path, Options{LockTimeout: time.Second})
	if v, err := d.SchemaVersion(); err != nil || v != SchemaVersion {
		t.Fatalf("after the helper exited: SchemaVersion() = %d, %v", v, err)
	}
}

func TestCrashKeepsOutbox(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("in the helper")
	}
	path := filepath.Join(t.TempDir(), "herald.db")
	cmd, release := startHelper(t, path, "crash")
	release()
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("helper exited with %d, want 3 (killed without Close)", code)
	}
	d := openTestAt(t, path, Options{})
	ds, err := d.Pending(1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != helperCount {
		t.Fatalf("after the crash Pending has %d entries, want %d", len(ds), helperCount)
	}
	for i, dl := range ds {
		if want := alertDelivery(tgA, fmt.Sprintf("story-%02d", i)).ID; dl.ID != want {
			t.Errorf("Pending[%d].ID = %s, want %s", i, dl.ID, want)
		}
	}
}

func TestCloseReopenKeepsOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	d := openTestAt(t, path, Options{})
	var want []string
	for i := range 10 {
		dl := alertDelivery(dcC, fmt.Sprintf("s%d", i))
		dl.Attempts = i
		if i%2 == 0 {
			if err := d.Enqueue(dl); err != nil {
				t.Fatal(err)
			}
		} else {
			art := alerts.Article{ID: fmt.Sprintf("s%d", i), Title: "t", Ingested: t0}
			if err := d.Commit(art, alerts.Story{ID: art.ID}, []alerts.Delivery{dl}); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, dl.ID)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTestAt(t, path, Options{})
	if got := pendingIDs(t, d); !equalStrings(got, want) {
		t.Fatalf("after reopen Pending = %v\nwant %v", got, want)
	}
	ds, _ := d.Pending(100)
	for i, dl := range ds {
		if dl.Attempts != i || dl.Target != dcC || len(dl.Alerts) != 1 || !dl.Created.Equal(t0) {
			t.Errorf("Pending[%d] = %+v: not as queued", i, dl)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBackupWhileWriting(t *testing.T) {
	d := openTest(t)
	if err := d.PutTarget(alerts.Target{ID: tgA, Kind: alerts.KindGroup, Active: true, Title: "Backup me"}); err != nil {
		t.Fatal(err)
	}
	const seeded = 20
	for i := range seeded {
		if _, err := d.AddSubscription(alerts.Subscription{Target: tgA, Query: fmt.Sprintf("q%d", i)}); err != nil {
			t.Fatal(err)
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := d.AddSubscription(alerts.Subscription{Target: tgA, Query: fmt.Sprintf("w%d", i)}); err != nil {
				writeErr = err
				return
			}
			if err := d.Enqueue(alertDelivery(tgA, fmt.Sprintf("w%d", i))); err != nil {
				writeErr = err
				return
			}
		}
	})

	dir := t.TempDir()
	var buf bytes.Buffer
	n, err := d.Backup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup = %d, %v (buffer %d bytes)", n, err, buf.Len())
	}
	streamed := filepath.Join(dir, "streamed.db")
	if err := os.WriteFile(streamed, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(dir, "copied.db")
	n, err = d.BackupFile(copied)
	if err != nil || n == 0 {
		t.Fatalf("BackupFile = %d, %v", n, err)
	}
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("writer: %v", writeErr)
	}
	if _, err := os.Stat(copied + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("BackupFile left its temporary file: %v", err)
	}

	live, _ := d.ListSubscriptions(tgA)
	for _, path := range []string{streamed, copied} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b := openTestAt(t, path, Options{})
			if v, err := b.SchemaVersion(); err != nil || v != SchemaVersion {
				t.Fatalf("backup SchemaVersion() = %d, %v", v, err)
			}
			if tg, err := b.GetTarget(tgA); err != nil || tg.Title != "Backup me" {
				t.Fatalf("backup GetTarget = %+v, %v", tg, err)
			}
			subs, err := b.ListSubscriptions(tgA) // fails if the index and the records disagree
			if err != nil {
				t.Fatal(err)
			}
			if len(subs) < seeded || len(subs) > len(live) {
				t.Fatalf("backup has %d subscriptions, want between %d and %d", len(subs), seeded, len(live))
			}
			for i, s := range subs {
				if s.ID != live[i].ID || s.Query != live[i].Query {
					t.Fatalf("backup subscription %d = %+v, live has %+v", i, s, live[i])
				}
			}
			if err := b.db.View(func(tx *bolt.Tx) error {
				var first error
				for err := range tx.Check() {
					first = cmp.Or(first, err)
				}
				return first
			}); err != nil {
				t.Fatalf("backup fails its consistency check: %v", err)
			}
		})
	}
}

func TestBackupFileBadPath(t *testing.T) {
	d := openTest(t)
	_, err := d.BackupFile(filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"))
	if err == nil {
		t.Fatal("BackupFile into a missing directory succeeded")
	}
}

func TestConcurrentUse(t *testing.T) {
	d := openTest(t)
	const workers, each = 8, 15
	targets := make([]alerts.TargetID, workers)
	for w := range workers {
		targets[w] = alerts.NewTargetID(alerts.PlatformDiscord, fmt.Sprint(w))
		if err := d.PutTarget(alerts.Target{ID: targets[w], Kind: alerts.KindChannel, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, workers*3)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			tid := targets[w]
			for i := range each {
				if _, err := d.AddSubscription(alerts.Subscription{Target: tid, Query: fmt.Sprint(i)}); err != nil {
					errs <- err
					return
				}
				dl := alertDelivery(tid, fmt.Sprintf("story-%d", i))
				if err := d.Enqueue(dl); err != nil {
					errs <- err
					return
				}
				if _, err := d.Pending(10); err != nil {
					errs <- err
					return
				}
				if err := d.CompleteAll([]alerts.Delivery{dl}, []alerts.Sent{sentFor(dl, fmt.Sprint(i), t0.Add(time.Duration(i)*time.Second))}); err != nil {
					errs <- fmt.Errorf("CompleteAll %s: %w", dl.ID, err)
					return
				}
				if _, err := d.LastSent(tid); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() { // a reader alongside each writer
			for range each {
				if err := d.ForEachSubscription(func(alerts.Subscription) error { return nil }); err != nil {
					errs <- err
					return
				}
				if _, err := d.ListTargets(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	seen := map[uint64]bool{}
	for _, tid := range targets {
		subs, err := d.ListSubscriptions(tid)
		if err != nil || len(subs) != each {
			t.Fatalf("ListSubscriptions(%s) = %d, %v; want %d", tid, len(subs), err, each)
		}
		for i, s := range subs {
			if seen[s.ID] {
				t.Errorf("subscription ID %d assigned twice", s.ID)
			}
			seen[s.ID] = true
			if i > 0 && s.ID <= subs[i-1].ID {
				t.Errorf("%s: IDs out of order: %d after %d", tid, s.ID, subs[i-1].ID)
			}
			if s.Query != fmt.Sprint(i) {
				t.Errorf("%s: subscription %d is %q", tid, i, s.Query)
			}
		}
		last, err := d.LastSent(tid)
		if err != nil || last.MessageID != fmt.Sprint(each-1) {
			t.Errorf("LastSent(%s) = %+v, %v", tid, last, err)
		}
	}
	if ids := pendingIDs(t, d); len(ids) != 0 {
		t.Errorf("outbox not empty: %v", ids)
	}
}

// A backup read slowly, or not at all, holds no write back: bbolt cannot
// grow its map while a read transaction is open, and a backup streamed
// from one kept every write that needed room waiting for the reader.
func TestStalledBackupHoldsNoWriteBack(t *testing.T) {
	d := openTest(t)
	pr, pw := io.Pipe()
	backupDone := make(chan error, 1)
	go func() {
		_, err := d.Backup(pw)
		pw.CloseWithError(err)
		backupDone <- err
	}()
	if _, err := io.ReadFull(pr, make([]byte, 4096)); err != nil { // started, then stalled
		t.Fatal(err)
	}
	// 64 MiB written while the backup waits: the map must grow several times.
	value := bytes.Repeat([]byte("x"), 1<<20)
	for i := range 64 {
		done := make(chan error, 1)
		go func() { done <- d.PutMeta(fmt.Sprint("pad:", i), value) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			pr.Close() // let the backup fail, and the write through
			t.Fatalf("write %d waited for the stalled backup", i)
		}
	}
	if _, err := io.Copy(io.Discard, pr); err != nil {
		t.Fatal(err)
	}
	if err := <-backupDone; err != nil {
		t.Fatal(err)
	}
}

// TestOneSnapshotAtATime: a second backup asked for while the first is
// still being sent is refused with a reason, not written beside it (each
// copy takes the database's size on disk); once the first is closed the
// next one goes ahead.
func TestOneSnapshotAtATime(t *testing.T) {
	d := openTest(t)
	first, _, err := d.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Snapshot(); !errors.Is(err, ErrBackupRunning) {
		t.Fatalf("second snapshot while the first is open: %v; want ErrBackupRunning", err)
	}
	first.Close()
	first.Close() // twice is harmless
	next, n, err := d.Snapshot()
	if err != nil {
		t.Fatalf("snapshot after the first was closed: %v", err)
	}
	defer next.Close()
	if n == 0 {
		t.Error("the next snapshot is empty")
	}
}
