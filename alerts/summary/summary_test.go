package summary

import (
	"html"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "One thing happened. Then another! Did it? Yes.", []string{"One thing happened.", "Then another!", "Did it?", "Yes."}},
		{"titles", "Mr. Smith met Dr. Jones in St. Louis. They talked.", []string{"Mr. Smith met Dr. Jones in St. Louis.", "They talked."}},
		{"acronyms", "The U.S. envoy met the U.N. chief on Monday. Talks ended.", []string{"The U.S. envoy met the U.N. chief on Monday.", "Talks ended."}},
		{"initials", "J. R. R. Tolkien wrote it. В. Путин ответил. Всё.", []string{"J. R. R. Tolkien wrote it.", "В. Путин ответил.", "Всё."}},
		{"numbers", "Growth was 3.5% in Q1. Prices rose 2.1 per cent.", []string{"Growth was 3.5% in Q1.", "Prices rose 2.1 per cent."}},
		{"quotes", `"We are close," he said. "Very close." It ended.`, []string{`"We are close," he said.`, `"Very close."`, "It ended."}},
		{"curly quotes", "He said: “It is over.” The crowd left.", []string{"He said: “It is over.”", "The crowd left."}},
		{"lowercase after period", "He visited the site vs. the plant today.", []string{"He visited the site vs. the plant today."}},
		{"cyrillic", "Переговоры продолжатся. Об этом сообщил г. Лавров, т.е. министр. Все.", []string{"Переговоры продолжатся.", "Об этом сообщил г. Лавров, т.е. министр.", "Все."}},
		{"lines", "A headline without a stop\nThe first sentence. The second.", []string{"A headline without a stop", "The first sentence.", "The second."}},
		{"ellipsis", "He paused… Then he spoke.", []string{"He paused…", "Then he spoke."}},
		{"domain", "Visit example.com for more. Done.", []string{"Visit example.com for more.", "Done."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range splitSentences(tt.in) {
				got = append(got, tt.in[s.start:s.end])
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	envoy, err := os.ReadFile("testdata/envoy.txt")
	if err != nil {
		t.Fatal(err)
	}
	grain, err := os.ReadFile("testdata/grain-ru.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, title, body string
		max               int
		has               []string // must appear
		hasNot            []string // must not appear
	}{
		{
			name: "lead of a news story", title: "Trump’s envoy sought to convince Putin on terms of ceasefire deal",
			body: string(envoy), has: []string{"Witkoff sought to persuade Russian President Vladimir Putin"},
			hasNot: []string{"Oh, I think so"},
		},
		{
			name: "russian", title: "Россия и Турция договорились продолжить переговоры о зерновом коридоре",
			body: string(grain), has: []string{"Министры иностранных дел России и Турции"},
		},
		{
			name: "boilerplate skipped", title: "Storm closes ports",
			body:   "Sign up for our newsletter to get the latest news. Storm closes ports. Heavy storms closed three ports on the northern coast on Tuesday, halting grain exports for a second day. © 2025 Example News. All rights reserved.",
			has:    []string{"Heavy storms closed three ports"},
			hasNot: []string{"newsletter", "All rights reserved", "Storm closes ports."},
		},
		{
			name: "title repeated", title: "Fed holds rates steady",
			body:   "Fed holds rates steady. The Federal Reserve kept its benchmark rate unchanged on Wednesday and signalled two cuts later this year.",
			has:    []string{"The Federal Reserve kept"},
			hasNot: []string{"Fed holds rates steady."},
		},
		{
			name: "one long sentence is cut", title: "x", max: 80,
			body: strings.Repeat("The delegation discussed grain exports and shipping insurance ", 5) + "at length.",
			has:  []string{"…"},
		},
		{name: "empty", title: "x", body: ""},
		{name: "only noise", title: "x", body: "Read more\n\nClick here to subscribe."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := tt.max
			if max == 0 {
				max = DefaultMax
			}
			got := Summarize(tt.title, tt.body, tt.max)
			if n := utf8.RuneCountInString(got); n > max {
				t.Errorf("summary has %d characters, max %d: %q", n, max, got)
			}
			if tt.body != "" && len(tt.has) > 0 && got == "" {
				t.Fatal("empty summary")
			}
			for _, h := range tt.has {
				if !strings.Contains(got, h) {
					t.Errorf("summary lacks %q: %q", h, got)
				}
			}
			for _, h := range tt.hasNot {
				if strings.Contains(got, h) {
					t.Errorf("summary has %q: %q", h, got)
				}
			}
			if strings.HasSuffix(got, "…") && strings.HasSuffix(strings.TrimSuffix(got, "…"), " ") {
				t.Errorf("cut leaves a space before the ellipsis: %q", got)
			}
		})
	}
}

func TestWhySentence(t *testing.T) {
	body := "Talks resumed in Doha on Monday. The ceasefires announced in March collapsed within days, officials said. " +
		"Zelensky said a peace deal was not close. Зеленский заявил о прекращении огня."
	tests := []struct {
		name   string
		terms  []string
		want   string
		marked []string
	}{
		{"inflection", []string{"ceasefire"}, "The ceasefires announced in March collapsed within days, officials said.", []string{"ceasefires"}},
		{"phrase and word", []string{`"peace deal"`, "zelensky"}, "Zelensky said a peace deal was not close.", []string{"Zelensky", "peace deal"}},
		{"most terms win", []string{"talks", "doha", "march"}, "Talks resumed in Doha on Monday.", []string{"Talks", "Doha"}},
		{"cyrillic stem", []string{"Зеленского"}, "Зеленский заявил о прекращении огня.", []string{"Зеленский"}},
		{"whole words only", []string{"resume", "ali"}, "Talks resumed in Doha on Monday.", []string{"resumed"}},
		{"none", []string{"putin"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, marks := WhySentence(body, tt.terms)
			if got != tt.want {
				t.Fatalf("sentence %q, want %q", got, tt.want)
			}
			var marked []string
			for _, m := range marks {
				marked = append(marked, got[m[0]:m[1]])
			}
			if strings.Join(marked, "|") != strings.Join(tt.marked, "|") {
				t.Errorf("marked %q, want %q", marked, tt.marked)
			}
		})
	}
}

func TestMark(t *testing.T) {
	s, marks := WhySentence("Russia & Ukraine <agreed> a ceasefire.", []string{"ceasefire", "ukraine"})
	got := Mark(s, marks, "<b>", "</b>", html.EscapeString)
	want := "Russia &amp; <b>Ukraine</b> &lt;agreed&gt; a <b>ceasefire</b>."
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzSummarize(f *testing.F) {
	for _, p := range []string{"testdata/envoy.txt", "testdata/grain-ru.txt"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add("title", string(b), 320)
		}
	}
	f.Add("", "Mr. X. Y.\n\n\n…!?", 1)
	f.Add("a", "\xff\xfe. Hello world again here.", 5)
	f.Fuzz(func(t *testing.T, title, body string, max int) {
		max = max % 2000
		got := Summarize(title, body, max)
		limit := max
		if limit <= 0 {
			limit = DefaultMax
		}
		if utf8.ValidString(body) && !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 summary %q", got)
		}
		if utf8.RuneCountInString(got) > limit {
			t.Fatalf("summary of %d characters exceeds %d", utf8.RuneCountInString(got), limit)
		}
		s, marks := WhySentence(body, strings.Fields(title))
		for _, m := range marks {
			if m[0] < 0 || m[1] > len(s) || m[0] >= m[1] {
				t.Fatalf("bad mark %v in %q", m, s)
			}
		}
	})
}

func BenchmarkSummarize(b *testing.B) {
	body, err := os.ReadFile("testdata/envoy.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		Summarize("Trump’s envoy sought to convince Putin on terms of ceasefire deal", string(body), DefaultMax)
	}
}
