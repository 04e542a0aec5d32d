package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// mapValue is the value stored under key i: its own bytes, so that a read
// served from the wrong page or a zeroed one shows.
func mapValue(i, size int) []byte {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(i))
	b := make([]byte, size)
	rand.NewChaCha8(seed).Read(b)
	return b
}

func mapKey(i int) string { return fmt.Sprintf("maptest:%06d", i) }

// putMapValues stores keys from..to-1 in one transaction.
func putMapValues(t testing.TB, d *DB, from, to, size int) {
	t.Helper()
	kv := make(map[string][]byte, to-from)
	for i := from; i < to; i++ {
		kv[mapKey(i)] = mapValue(i, size)
	}
	if err := d.PutMetas(kv); err != nil {
		t.Fatalf("PutMetas: %v", err)
	}
}

// checkMapValues reads keys 0..n-1 back and compares them.
func checkMapValues(t testing.TB, d *DB, n, size int) {
	t.Helper()
	for i := range n {
		got, err := d.GetMeta(mapKey(i))
		if err != nil {
			t.Fatalf("GetMeta(%s): %v", mapKey(i), err)
		}
		if !bytes.Equal(got, mapValue(i, size)) {
			t.Fatalf("GetMeta(%s) after a release: %d bytes, not what was stored", mapKey(i), len(got))
		}
	}
}

// Releases while a writer grows the file (so bbolt remaps it several
// times) and readers read: every read returns what was stored, and
// nothing deadlocks. Run it with -race.
func TestReleaseMapWhileFileGrows(t *testing.T) {
	d := openTestAt(t, filepath.Join(t.TempDir(), "herald.db"), Options{MapLimit: -1})
	const size, batch = 4 << 10, 50
	batches := 40
	if testing.Short() {
		batches = 15
	}
	putMapValues(t, d, 0, batch, size)
	var stored atomic.Int64 // keys below it are committed
	stored.Store(batch)
	wrote := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(wrote)
		for b := 1; b < batches; b++ {
			putMapValues(t, d, b*batch, (b+1)*batch, size)
			stored.Store(int64((b + 1) * batch))
		}
	})
	var releases atomic.Int64
	wg.Go(func() {
		for {
			if err := d.releaseMap(); err != nil {
				t.Errorf("releaseMap: %v", err)
				return
			}
			releases.Add(1)
			select {
			case <-wrote:
				return
			default:
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for {
				checkMapValues(t, d, int(stored.Load()), size)
				select {
				case <-wrote:
					return
				default:
				}
			}
		})
	}
	wg.Wait()
	if err := d.releaseMap(); err != nil {
		t.Fatalf("releaseMap: %v", err)
	}
	checkMapValues(t, d, batches*batch, size)
	t.Logf("%d releases while %d MiB were written", releases.Load(), batches*batch*size>>20)
}

// What a user sees: the process's RSS stops counting the database's
// pages once they pass the limit, and reads after the release are right.
func TestMapWatchReleasesResidentPages(t *testing.T) {
	if !canReleaseMap {
		t.Skip("the map's pages are released on Linux only")
	}
	const size, n, limit = 16 << 10, 2048, 16 << 20 // 32 MiB of values
	d := openTestAt(t, filepath.Join(t.TempDir(), "herald.db"), Options{MapLimit: limit})
	d.stopMapWatch() // the test takes the goroutine's steps itself
	w := d.mapWatch
	for i := 0; i < n; i += 256 {
		putMapValues(t, d, i, i+256, size)
	}
	base, ok := residentFile()
	if !ok {
		t.Skip("/proc/self/statm cannot be read")
	}
	below := base
	if released, err := d.checkMap(w, &below); released || err != nil || below > base {
		t.Fatalf("checkMap below the limit = %v, %v, base %d -> %d; want no release", released, err, base, below)
	}

	checkMapValues(t, d, n, size) // maps every page of the values
	read, _ := residentFile()
	if read-base < n*size*3/4 {
		t.Fatalf("reading %d MiB mapped %d MiB more of the file; the test's premise fails", n*size>>20, (read-base)>>20)
	}
	after := base
	if released, err := d.checkMap(w, &after); err != nil || !released {
		t.Fatalf("checkMap past the limit = %v, %v; want a release", released, err)
	}
	if w.releases.Load() != 1 || d.MapReleases() != 1 {
		t.Fatalf("releases = %d past the limit, want 1", w.releases.Load())
	}
	// The test binary's own code may be paged in meanwhile: some slack.
	if after > base+limit/2 {
		t.Fatalf("resident file pages %d MiB before the reads, %d MiB after them, %d MiB after the release; want them back near the first",
			base>>20, read>>20, after>>20)
	}
	checkMapValues(t, d, n, size)
}

func TestCloseStopsMapWatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int64
		runs  bool
	}{
		{"default", 0, canReleaseMap},
		{"off", -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := openTestAt(t, filepath.Join(t.TempDir(), "herald.db"), Options{MapLimit: tc.limit})
			if runs := d.mapWatch != nil; runs != tc.runs {
				t.Fatalf("MapLimit %d on %s: watch running %v, want %v", tc.limit, runtime.GOOS, runs, tc.runs)
			}
			if err := d.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if !tc.runs {
				return
			}
			select {
			case <-d.mapWatch.done:
			default:
				t.Fatal("the watch goroutine is still running after Close")
			}
		})
	}
}
