package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/console"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage"
)

// writeTestDB writes a closed database that herald run and console can
// use: the console user's subscriptions, and articles over many pages.
func writeTestDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "herald.db")
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PutTarget(alerts.Target{ID: console.Target.ID, Kind: alerts.KindDM, Active: true}); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := db.AddSubscription(alerts.Subscription{Target: console.Target.ID, Query: fmt.Sprint("topic", i)}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	for i := range 120 {
		a := alerts.Article{ID: fmt.Sprint("a", i), URL: fmt.Sprint("https://example.com/", i), Title: "t",
			Body: strings.Repeat("text ", 300), StoryID: fmt.Sprint("s", i), Ingested: now.Add(-time.Duration(i) * time.Minute)}
		if err := db.Commit(a, alerts.Story{ID: a.StoryID, Created: a.Ingested, Updated: a.Ingested}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// The damage the tester did, done to a closed file.
var damages = []struct {
	name string
	do   func(t *testing.T, path string)
}{
	{"truncated to half", func(t *testing.T, path string) {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, st.Size()/2); err != nil {
			t.Fatal(err)
		}
	}},
	{"garbage over some pages", func(t *testing.T, path string) {
		// Every page that holds subscription 51 (the one in use, and
		// stale copies bbolt freed): the same damage whatever the layout.
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ps := os.Getpagesize()
		rng := rand.New(rand.NewPCG(7, 7))
		buf := make([]byte, ps)
		hit := 0
		for p := 2; (p+1)*ps <= len(data); p++ {
			if !bytes.Contains(data[p*ps:(p+1)*ps], []byte("topic50")) {
				continue
			}
			for i := range buf {
				buf[i] = byte(rng.Uint32())
			}
			writeAt(t, path, buf, int64(p*ps))
			hit++
		}
		if hit == 0 {
			t.Fatal("no page holds subscription 51")
		}
	}},
	{"bad meta checksums", func(t *testing.T, path string) {
		ps := int64(os.Getpagesize())
		writeAt(t, path, []byte{0xEE}, 16+48)    // meta page 0's txid
		writeAt(t, path, []byte{0xEE}, ps+16+48) // meta page 1's
	}},
}

func writeAt(t *testing.T, path string, b []byte, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// checkDamageMessage checks what the user sees: the file, that it is
// damaged, what to do, and no panic.
func checkDamageMessage(t *testing.T, out, path string) {
	t.Helper()
	for _, want := range []string{path, "is damaged", "herald check --repair", "restore a backup"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"panic:", "goroutine ", ".go:"} {
		if strings.Contains(out, bad) {
			t.Errorf("output shows %q:\n%s", bad, out)
		}
	}
}

func TestRunAndConsoleRefuseDamagedDatabase(t *testing.T) {
	for _, dmg := range damages {
		t.Run(dmg.name, func(t *testing.T) {
			path := writeTestDB(t)
			dmg.do(t, path)
			t.Run("run", func(t *testing.T) {
				t.Setenv("HERALD_DB", path)
				t.Setenv("HERALD_HTTP_ADDR", "127.0.0.1:0")
				var out, errb strings.Builder
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				if code := runService(ctx, nil, &out, &errb); code != 1 {
					t.Errorf("herald run: exit %d, want 1", code)
				}
				checkDamageMessage(t, errb.String(), path)
			})
			t.Run("console", func(t *testing.T) {
				var out, errb strings.Builder
				in := strings.NewReader("/list\n:quit\n")
				if code := runConsole(context.Background(), []string{"--db", path}, in, &out, &errb); code != 1 {
					t.Errorf("herald console: exit %d, want 1", code)
				}
				checkDamageMessage(t, out.String()+errb.String(), path)
			})
		})
	}
}

// Damage found while herald runs stops it with the same message, instead
// of a panic or of going on writing into a damaged file.
func TestServiceStopsOnDamageFoundInUse(t *testing.T) {
	s := startServe(t, map[string]string{"HERALD_DB": writeTestDB(t)})
	if err := os.Truncate(s.cfg.DB, int64(2*os.Getpagesize())); err != nil {
		t.Fatal(err)
	}
	body := `{"title":"Ceasefire talks resume","url":"https://news.example/a","body":"Envoys agreed.","source":"Example"}`
	if resp, err := testHTTP.Post("http://"+s.addr+"/v1/articles", "application/json", strings.NewReader(body)); err == nil {
		resp.Body.Close()
		if resp.StatusCode < 500 {
			t.Errorf("push into a damaged store: %d, want an error", resp.StatusCode)
		}
	}
	select {
	case <-s.ended:
	case <-time.After(testWait):
		t.Fatal("herald did not stop after finding the damage")
	}
	err := s.stop()
	s.stop = func() error { return nil } // the error is this test's to check
	if err == nil {
		t.Fatal("serve returned no error")
	}
	checkDamageMessage(t, err.Error(), s.cfg.DB)
}
