package bot

import (
	"archive/zip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
)

func TestReadZoneAnyCase(t *testing.T) {
	// Every zone Go knows, typed in lower case, reads back as its name.
	z, err := zip.OpenReader(runtime.GOROOT() + "/lib/time/zoneinfo.zip")
	if err != nil {
		t.Skip("no zoneinfo.zip in GOROOT:", err)
	}
	defer z.Close()
	n := 0
	for _, f := range z.File {
		if f.FileInfo().IsDir() {
			continue
		}
		n++
		if _, ok := readOffset(f.Name); ok {
			continue // GMT, GMT+0, UTC: read as offsets, the same zone
		}
		for _, typed := range []string{f.Name, strings.ToLower(f.Name), strings.ToUpper(f.Name)} {
			name, _, _, ok := readZone(typed)
			if !ok || name != f.Name {
				t.Errorf("readZone(%q) = %q, %v; want %s", typed, name, ok, f.Name)
			}
		}
	}
	if n < 300 {
		t.Fatalf("only %d zones in zoneinfo.zip", n)
	}
}

func TestReadZoneOffsets(t *testing.T) {
	for _, tc := range []struct {
		typed, want string
		offset      int
	}{
		{"UTC+3", "UTC+03:00", 3 * 3600},
		{"utc+03:00", "UTC+03:00", 3 * 3600},
		{"+03:00", "UTC+03:00", 3 * 3600},
		{"+3", "UTC+03:00", 3 * 3600},
		{"-0430", "UTC-04:30", -(4*3600 + 1800)},
		{"GMT-5", "UTC-05:00", -5 * 3600},
		{"UTC −3", "UTC-03:00", -3 * 3600},
		{"UTC+05:45", "UTC+05:45", 5*3600 + 45*60},
		{"UTC+14", "UTC+14:00", 14 * 3600},
		{"UTC-12:00", "UTC-12:00", -12 * 3600},
		{"UTC+0", "UTC", 0},
		{"gmt", "UTC", 0},
		{"Z", "UTC", 0},
	} {
		name, loc, _, ok := readZone(tc.typed)
		if !ok || name != tc.want {
			t.Errorf("readZone(%q) = %q, %v; want %q", tc.typed, name, ok, tc.want)
			continue
		}
		if _, off := timeIn(loc); off != tc.offset {
			t.Errorf("readZone(%q): offset %d, want %d", tc.typed, off, tc.offset)
		}
	}
	for _, bad := range []string{"UTC+15", "UTC-13", "+3:0", "+123", "UTC+3:75", "+", "Local", "local", "", "Mars/Olympus", "a/b/c/d"} {
		if name, _, _, ok := readZone(bad); ok {
			t.Errorf("readZone(%q) = %q, want refused", bad, name)
		}
	}
}

func timeIn(loc *time.Location) (string, int) {
	return time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC).In(loc).Zone()
}

// FuzzReadZone: any input is read or refused, never a panic, and what is
// read loads again from its stored name.
func FuzzReadZone(f *testing.F) {
	for _, s := range []string{"Europe/Kyiv", "europe/kyiv", "UTC+3", "+05:30", "-0430", "GMT-5", "us/eastern", "UTC −3", "Z", "+99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, loc, _, ok := readZone(s)
		if !ok {
			return
		}
		again, err := alerts.LoadZone(name)
		if err != nil || again.String() != loc.String() {
			t.Fatalf("readZone(%q) = %q, which loads as %v, %v", s, name, again, err)
		}
	})
}

// FuzzParseDuration: any input is read or refused with an error, and a
// duration read is within the bounds.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30m", "1.5h", "2 days", "1h30m", "1w", "3y", "0.5m", "1e9h", ".h", "1..5h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration("en", s)
		if err == nil && (d < time.Minute || d > 365*24*time.Hour) {
			t.Fatalf("parseDuration(%q) = %s, out of bounds", s, d)
		}
	})
}
