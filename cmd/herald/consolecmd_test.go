package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runConsoleLines runs herald console with args on the typed lines and returns
// what it printed.
func runConsoleLines(t *testing.T, args []string, lines ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	args = append([]string{"--db", filepath.Join(t.TempDir(), "herald.db")}, args...)
	in := strings.NewReader(strings.Join(append(lines, ":quit"), "\n") + "\n")
	if code := runConsole(context.Background(), args, in, &lockedWriter{w: &out}, &errb); code != 0 {
		t.Fatalf("herald console: exit %d: %s", code, errb.String())
	}
	return out.String()
}

func TestConsoleIsTheOperator(t *testing.T) {
	feed := rssServer(t, "Wire")
	more := rssServer(t, "Agency")
	var lines []string
	for range 25 { // past the chat users' 20 commands a minute
		lines = append(lines, "/list")
	}
	lines = append(lines, "/sources", "/sources add "+more, "/sources")
	out := runConsoleLines(t, []string{feed}, lines...)
	if strings.Contains(out, "Slow down") {
		t.Errorf("the console's own user was rate limited:\n%s", out)
	}
	if !strings.Contains(out, "Polling 1 feed; its current items") {
		t.Errorf("no start-up line about the one feed:\n%s", out)
	}
	for _, bad := range []string{"no feeds configured", "Ask the operator", "ask them"} {
		if strings.Contains(out, bad) {
			t.Errorf("the console said %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "1 source:\n1. ") || !strings.Contains(out, feed) {
		t.Errorf("/sources does not list the polled feed:\n%s", out)
	}
	if !strings.Contains(out, "Added ") || !strings.Contains(out, "2 sources:") {
		t.Errorf("/sources add did not add the feed:\n%s", out)
	}
}

func TestConsoleWithoutFeedsCanAddOne(t *testing.T) {
	feed := rssServer(t, "Wire")
	out := runConsoleLines(t, nil, "/sources", "/sources add "+feed, "/sources")
	if strings.Contains(out, "Polling") {
		t.Errorf("a console without feeds announced polling:\n%s", out)
	}
	if !strings.Contains(out, "No feeds yet. Add one with /sources add URL.") || !strings.Contains(out, "1 source:") {
		t.Errorf("/sources in a console started without feeds:\n%s", out)
	}
}

func TestConsoleUnsubscribeAllAsksFirst(t *testing.T) {
	out := runConsoleLines(t, nil, "/subscribe ceasefire", "/unsubscribe all", "/list", "/unsubscribe all confirm", "/list")
	for _, want := range []string{"Stop following the 1 topic, everything this chat follows? Confirm with /unsubscribe all confirm.",
		"This chat follows 1 topic (", "Unsubscribed from the 1 topic", "This chat follows nothing yet"} {
		if !strings.Contains(out, want) {
			t.Errorf("the console lacks %q:\n%s", want, out)
		}
	}
}

func TestConsoleFormat(t *testing.T) {
	article := filepath.Join(t.TempDir(), "article.txt")
	os.WriteFile(article, []byte("Envoys meet in Geneva for ceasefire talks\n\nEnvoys agreed to resume ceasefire talks in Geneva on Monday, officials said.\n"), 0o600)
	out := runConsoleLines(t, nil, "/subscribe ceasefire", "/format", "/format >> {title} | {matched}", ":ingest "+article, "/format")
	for _, want := range []string{
		"This chat's alerts use Herald's layout.", "── preview ──", // /format alone, before any alert: a sample
		"Alerts here now use your template.",
		// The preview after :ingest is the alert (or, were it not sent
		// yet, the article) laid out by the template.
		"use the template:\n>> {title} | {matched}", ">> Envoys meet in Geneva for ceasefire talks | ceasefire",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the console lacks %q:\n%s", want, out)
		}
	}
}

func TestConsoleExportImport(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "setup.txt")
	os.WriteFile(file, []byte("# mine\nherald export 1\ntimezone Europe/Kyiv\nsubscribe sanctions\nsubscribe ceasefire\n"), 0o600)
	out := runConsoleLines(t, nil, "/subscribe ceasefire", "/export", "/import "+file, "/import "+filepath.Join(dir, "missing.txt"), "/list")
	for _, want := range []string{
		"── herald-console-local.txt ──\n# Herald export of \"console\" (console:local)", "herald export 1\nsubscribe ceasefire\n",
		"Imported: 1 subscription added, 1 already here, 0 lines with errors.", "line 5: already following that as #1",
		"error: open " + filepath.Join(dir, "missing.txt"), "#2  sanctions", "Time zone: Europe/Kyiv.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the console lacks %q:\n%s", want, out)
		}
	}
}
