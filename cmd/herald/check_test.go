package main

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// repairRow returns the saved and lost counts of a kind in repair output.
func repairRow(t *testing.T, out, kind string) (saved, lost int) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(kind) + `\s+(\d+)\s+(\d+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q row in:\n%s", kind, out)
	}
	saved, _ = strconv.Atoi(m[1])
	lost, _ = strconv.Atoi(m[2])
	return saved, lost
}

func TestCheckAndRepairCommand(t *testing.T) {
	for _, tc := range []struct {
		damage string
		// what the repair must save of the 100 subscriptions: all, or
		// some with the rest counted lost
		allSubs bool
	}{
		{"bad meta checksums", true},
		{"garbage over some pages", false},
	} {
		t.Run(tc.damage, func(t *testing.T) {
			path := writeTestDB(t)
			for _, d := range damages {
				if d.name == tc.damage {
					d.do(t, path)
				}
			}
			var out, errb strings.Builder
			if code := runCheck([]string{path}, &out, &errb); code != 1 {
				t.Fatalf("check: exit %d, want 1\n%s%s", code, out.String(), errb.String())
			}
			for _, want := range []string{"Damage found", "herald check --repair " + path} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("check output does not say %q:\n%s", want, out.String())
				}
			}

			before, _ := os.ReadFile(path)
			out.Reset()
			if code := runCheck([]string{"--repair", path}, &out, &errb); code != 0 {
				t.Fatalf("check --repair: exit %d\n%s%s", code, out.String(), errb.String())
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the repair changed the damaged file")
			}
			saved, lost := repairRow(t, out.String(), "subscriptions")
			if tc.allSubs && (saved != 100 || lost != 0) || !tc.allSubs && (saved+lost != 100 || saved == 0) {
				t.Errorf("subscriptions saved %d, lost %d:\n%s", saved, lost, out.String())
			}
			if saved, _ := repairRow(t, out.String(), "targets"); saved != 1 {
				t.Errorf("the console's target was not saved:\n%s", out.String())
			}
			if !strings.Contains(out.String(), "mv "+path+" "+path+".damaged") {
				t.Errorf("repair output does not say how to use the new file:\n%s", out.String())
			}
			out.Reset()
			if code := runCheck([]string{path + ".repaired"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "No damage found") {
				t.Errorf("check of the repaired file: exit %d\n%s", code, out.String())
			}
			out.Reset()
			if code := runCheck([]string{"--repair", path}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "exists") {
				t.Errorf("a second repair over the first: exit %d, %s", code, errb.String())
			}
		})
	}
}

func TestRepairOfATruncatedFileSaysToRestoreABackup(t *testing.T) {
	path := writeTestDB(t)
	damages[0].do(t, path)
	var out, errb strings.Builder
	if code := runCheck([]string{"--repair", path}, &out, &errb); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errb.String(), "restore a backup") {
		t.Errorf("output: %s", errb.String())
	}
	if _, err := os.Stat(path + ".repaired"); err == nil {
		t.Error("an empty repaired file was left")
	}
}

func TestCheckWhileHeraldRuns(t *testing.T) {
	s := startServe(t, nil)
	var out, errb strings.Builder
	if code := runCheck([]string{s.cfg.DB}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "in use") {
		t.Errorf("check of a running herald's database: exit %d, %q", code, errb.String())
	}
}
