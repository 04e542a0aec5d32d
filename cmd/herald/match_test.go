package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeArticle(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "article.txt")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const sampleArticle = "Trump’s envoy sought to convince Putin on terms of ceasefire deal – Bloomberg\n\nVladimir Zelensky’s declaration that Kiev would never recognize Crimea.\n"

func TestRunMatch(t *testing.T) {
	t.Setenv("HERALD_ACTORS", "")
	file := writeArticle(t, sampleArticle)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"match explains", []string{"-q", "Zelensky ceasefire", file}, 0,
			[]string{"Zelensky → ", "MATCH", "Zelensky’s", "ceasefire", "title"}, ""},
		{"no match", []string{"-q", "Rasputin", file}, 1, []string{"no match"}, ""},
		{"any query matching is enough", []string{"-q", "Rasputin", "-q", "Kyiv", file}, 0, []string{"no match", "MATCH", "Kiev"}, ""},
		{"flags after files", []string{file, "-q", "Putin"}, 0, []string{"MATCH"}, ""},
		{"malformed query", []string{"-q", "ceasefire AND (Putin))", file}, 2, nil, `unexpected ")" at column 22`},
		{"missing file", []string{"-q", "x", filepath.Join(t.TempDir(), "nope.txt")}, 2, nil, "nope.txt"},
		{"no query", []string{file}, 2, nil, "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := runMatch(tt.args, &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tt.code, out.String(), errb.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			if tt.stderr != "" && !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", errb.String(), tt.stderr)
			}
		})
	}
}

func TestRunMatchJSON(t *testing.T) {
	file := writeArticle(t, sampleArticle)
	var out, errb bytes.Buffer
	if code := runMatch([]string{"--json", "-q", "title:ceasefire", "-q", `"peace deal"`, file}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per article and query, got %q", out.String())
	}
	var l matchLine
	if err := json.Unmarshal([]byte(lines[0]), &l); err != nil {
		t.Fatal(err)
	}
	if !l.Matched || len(l.Terms) != 1 || l.Terms[0].Field != "title" || l.Terms[0].Matched != "ceasefire" {
		t.Errorf("line = %+v", l)
	}
	json.Unmarshal([]byte(lines[1]), &l)
	if l.Matched {
		t.Errorf("\"peace deal\" matched: %+v", l)
	}
}

func TestRunMatchActorsEnv(t *testing.T) {
	dir := t.TempDir()
	extra := filepath.Join(dir, "actors.txt")
	os.WriteFile(extra, []byte("# extra\nSteve Witkoff | Witkoff | Виткофф | Special Envoy Witkoff\nAcme Corp | Acme | Акме\n"), 0o644)
	t.Setenv("HERALD_ACTORS", extra)
	file := writeArticle(t, "Talks\n\nВиткофф и Акме прибыли.\n")
	var out, errb bytes.Buffer
	if code := runMatch([]string{"-q", "Witkoff Acme", file}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	os.WriteFile(extra, []byte("Broken | | x\n"), 0o644)
	if code := runMatch([]string{"-q", "x", file}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "actors.txt:1") {
		t.Errorf("bad actors file: exit %d, stderr %q", code, errb.String())
	}
}

// TestRunMatchTopics: a bare word naming a topic matches its forms in
// the other languages, the output names the form that fired and its
// topic, and HERALD_TOPICS adds topics in the built-in file's format.
func TestRunMatchTopics(t *testing.T) {
	t.Setenv("HERALD_TOPICS", "")
	file := writeArticle(t, "Стороны договорились о соблюдении перемирия\n\nПереговоры продолжатся.\n")
	var out, errb bytes.Buffer
	if code := runMatch([]string{"-q", "ceasefire", file}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	for _, want := range []string{"ceasefire → topic ceasefire: truce", "MATCH", "перемирия → ceasefire"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := runMatch([]string{"-q", `"ceasefire"`, file}, &out, &errb); code != 1 {
		t.Errorf("a quoted word matched another form: exit %d\n%s", code, out.String())
	}
	extra := filepath.Join(t.TempDir(), "topics.txt")
	os.WriteFile(extra, []byte("[sport]\nfootball transfer | transfer window | трансферное окно | трансферне вікно\n"), 0o644)
	t.Setenv("HERALD_TOPICS", extra)
	file = writeArticle(t, "Трансферное окно закрылось\n\nКлубы подвели итоги.\n")
	out.Reset()
	if code := runMatch([]string{"-q", "football transfer", file}, &out, &errb); code != 0 || !strings.Contains(out.String(), "→ football transfer") {
		t.Errorf("HERALD_TOPICS topic: exit %d\n%s%s", code, out.String(), errb.String())
	}
	os.WriteFile(extra, []byte("[sport\nx | y\n"), 0o644)
	if code := runMatch([]string{"-q", "x", file}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "HERALD_TOPICS") || !strings.Contains(errb.String(), "topics.txt:1") {
		t.Errorf("bad topics file: exit %d, stderr %q", code, errb.String())
	}
}

func TestRunBench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a workload")
	}
	var out, errb bytes.Buffer
	code := runBench([]string{"--subs", "300", "--json", "--docs", "20", "--duration", "50ms", "--seed", "3"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"engine", "subs", "docs_per_s", "mb_per_s", "p50_us", "p99_us", "bytes_per_sub", "allocs_per_doc", "add_p99_us", "checksum"} {
			if _, ok := r[k]; !ok {
				t.Errorf("line lacks %s: %s", k, line)
			}
		}
		sums[r["engine"].(string)] = r["checksum"].(string)
	}
	for _, eng := range []string{"engine", "brute", "regexp", "floor", "naive"} {
		if _, ok := sums[eng]; !ok {
			t.Errorf("no %s row: %v", eng, sums)
		}
	}
	if sums["engine"] == "" || sums["engine"] != sums["brute"] {
		t.Errorf("engine and brute force disagree, or an engine is missing: %v", sums)
	}
	if code := runBench([]string{"--subs", "ten"}, &out, &errb); code != 2 {
		t.Errorf("bad --subs: exit %d", code)
	}
}
