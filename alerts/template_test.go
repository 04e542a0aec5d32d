package alerts_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/herald-news/herald/alerts"
)

func runes(s alerts.Segment) int { return utf8.RuneCountInString(s.Text) }

func join(segs []alerts.Segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.Field != "" {
			b.WriteString("[" + s.Field + ":" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

func TestParseTemplate(t *testing.T) {
	values := map[string]string{"title": "Truce holds", "summary": "Both sides kept to it.", "source": "Reuters",
		"url": "https://example.com/a", "time": "25 Nov 10:04 UTC", "matched": "truce"}
	tests := []struct {
		src, want, err string
	}{
		{src: "{title}", want: "[title:Truce holds]"},
		{src: "🔥 {TITLE} ({source})\\n{url}", want: "🔥 [title:Truce holds] ([source:Reuters])\n[url:https://example.com/a]"},
		{src: "{{literal}} {time}", want: "{literal} [time:25 Nov 10:04 UTC]"},
		{src: "{ matched }: {summary}", want: "[matched:truce]: [summary:Both sides kept to it.]"},
		{src: "no placeholders at all", want: "no placeholders at all"},
		{src: "{title} {link}", err: "unknown placeholder {link} at column 9; use {title} {summary}"},
		{src: "{title", err: "unclosed { at column 1"},
		{src: "ok } no", err: "a } without { at column 4"},
		{src: strings.Repeat("x", 1001), err: "at most 1000 characters"},
		{src: "a\xffb", err: "invalid UTF-8 at column 2"},
	}
	for _, tc := range tests {
		tpl, err := alerts.ParseTemplate(tc.src)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseTemplate(%q) error = %v, want %q", tc.src, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", tc.src, err)
			continue
		}
		if got := join(tpl.Expand(values, 10000, runes)); got != tc.want {
			t.Errorf("ParseTemplate(%q) expands to %q, want %q", tc.src, got, tc.want)
		}
		if tpl.String() != tc.src {
			t.Errorf("String() = %q", tpl.String())
		}
	}
}

func TestExpandFitsTheLimit(t *testing.T) {
	tpl, _ := alerts.ParseTemplate("{title}\n{summary}\n{summary}\nfrom {source}")
	values := map[string]string{"title": strings.Repeat("T", 100), "summary": strings.Repeat("s", 500), "source": "Reuters"}
	for _, max := range []int{2000, 400, 150, 30, 5, 0} {
		segs := tpl.Expand(values, max, runes)
		n := 0
		for _, s := range segs {
			n += runes(s)
		}
		if n > max {
			t.Errorf("max %d: %d characters: %q", max, n, join(segs))
		}
		if max == 400 && (!strings.Contains(join(segs), strings.Repeat("T", 100)) || !strings.Contains(join(segs), "from [source:Reuters]")) {
			t.Errorf("max 400: the summary should give way first: %q", join(segs))
		}
	}
}

// FuzzParseTemplate: any input parses or is refused with an error, and
// what parses expands within any limit.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"{title}\\n{summary}", "{{x}}", "{title", "}", "{url} {time} {matched} {source}", "{TITLE}"} {
		f.Add(s, 100)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		tpl, err := alerts.ParseTemplate(s)
		if err != nil {
			return
		}
		if max < 0 || max > 5000 {
			max = 100
		}
		values := map[string]string{}
		for _, p := range alerts.Placeholders {
			values[p] = strings.Repeat(p, 30)
		}
		n := 0
		for _, seg := range tpl.Expand(values, max, runes) {
			n += runes(seg)
		}
		if n > max {
			t.Fatalf("%q expands to %d characters, over %d", s, n, max)
		}
	})
}
