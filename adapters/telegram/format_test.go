package telegram

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/telegram/telegramtest"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

var published = time.Date(2026, 11, 25, 9, 41, 0, 0, time.UTC)

func alertFor(title, summary string) alerts.Alert {
	return alerts.Alert{
		Target: "telegram:42",
		Story:  "s1",
		Article: alerts.Article{
			ID: "a1", URL: "https://example.com/news/1", Title: title, Summary: summary,
			Source: "example.com", Published: published,
		},
		Matches: []alerts.Match{{Sub: 1, Query: "ceasefire", Terms: []alerts.TermHit{{Term: "ceasefire", Matched: "Ceasefires", Field: alerts.FieldTitle}}}},
		Sources: []string{"example.com"},
	}
}

func single(a alerts.Alert) bot.Message {
	return bot.Message{Kind: alerts.DeliverAlert, Alerts: []alerts.Alert{a}}
}

func TestFormatAlertLayout(t *testing.T) {
	a := alertFor("Ceasefire agreed", "Both sides agreed to a ceasefire.")
	a.Article.Outlet = "Reuters"
	a.Sources = []string{"example.com", "Reuters", "AP", "BBC"}
	got := format(single(a), time.UTC, "en")
	want := `<b><a href="https://example.com/news/1">Ceasefire agreed</a></b>
<i>Reuters via example.com · 25 Nov 09:41 UTC</i>

Both sides agreed to a ceasefire.

🔎 <code>ceasefire</code> ceasefire → Ceasefires
<i>Also reported by AP, BBC</i>`
	if got != want {
		t.Errorf("Format =\n%s\nwant\n%s", got, want)
	}
}

func TestFormat(t *testing.T) {
	long := strings.Repeat("word ", 3000)
	emoji := strings.Repeat("🕊️ peace ", 1500)
	many := make([]alerts.Alert, 120)
	for i := range many {
		many[i] = alertFor(fmt.Sprintf("Story number %d with a <tag> & an ampersand", i), "")
	}
	tests := []struct {
		name string
		msg  bot.Message
		loc  *time.Location
		// visible must contain these (what the user reads) …
		visible []string
		// … and the raw HTML these.
		raw    []string
		notRaw []string
	}{
		{
			name:    "markup in the title is shown, not applied",
			msg:     single(alertFor("<b>Breaking</b> & more", "x < y && y > z")),
			visible: []string{"<b>Breaking</b> & more", "x < y && y > z"},
			raw:     []string{"&lt;b&gt;Breaking&lt;/b&gt; &amp; more", "x &lt; y &amp;&amp; y &gt; z"},
		},
		{
			name: "quotes in the URL stay inside href",
			msg: single(func() alerts.Alert {
				a := alertFor("Quoted", "")
				a.Article.URL = `https://example.com/?q="x"&r=<1>`
				return a
			}()),
			raw:    []string{`href="https://example.com/?q=&quot;x&quot;&amp;r=&lt;1&gt;"`},
			notRaw: []string{`q="x"`},
		},
		{
			name: "no link for a non-web URL",
			msg: single(func() alerts.Alert {
				a := alertFor("Script", "")
				a.Article.URL = "javascript:alert(1)"
				return a
			}()),
			visible: []string{"Script"},
			notRaw:  []string{"<a ", "javascript"},
		},
		{
			name:    "long summary is cut, terms survive",
			msg:     single(alertFor("Long", long)),
			visible: []string{"word…", "ceasefire → Ceasefires"},
		},
		{
			name:    "emoji counted in UTF-16",
			msg:     single(alertFor(strings.Repeat("🕊️", 1000), emoji)),
			visible: []string{"🔎 ceasefire"},
		},
		{
			name:    "time in the target's zone",
			msg:     single(alertFor("Kyiv", "")),
			loc:     time.FixedZone("EET", 2*3600),
			visible: []string{"25 Nov 11:41 EET"},
		},
		{
			name:    "control characters and broken UTF-8 removed",
			msg:     single(alertFor("Bad\x00\x07 \xff title", "line\r\n\n\n\nnext")),
			visible: []string{"Bad \uFFFD title", "line\n\nnext"},
		},
		{
			name:    "digest lists stories and says how many more",
			msg:     bot.Message{Kind: alerts.DeliverDigest, Alerts: many},
			visible: []string{"Digest: 120 new stories", "• Story number 0 with a <tag> & an ampersand", "more stories."},
		},
		{
			name:    "empty title still readable",
			msg:     single(alertFor("", "")),
			visible: []string{"(untitled)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := tt.loc
			if loc == nil {
				loc = time.UTC
			}
			html := format(tt.msg, loc, "en")
			vis, err := telegramtest.ParseHTML(html)
			if err != nil {
				t.Fatalf("Telegram would reject the message: %v\n%s", err, html)
			}
			if n := telegramtest.UTF16Len(vis); n > MaxMessageLen {
				t.Errorf("visible length %d > %d", n, MaxMessageLen)
			}
			if got := visibleLen(html); got != telegramtest.UTF16Len(vis) {
				t.Errorf("visibleLen = %d, Telegram counts %d", got, telegramtest.UTF16Len(vis))
			}
			for _, s := range tt.visible {
				if !strings.Contains(vis, s) {
					t.Errorf("visible text lacks %q:\n%s", s, vis)
				}
			}
			for _, s := range tt.raw {
				if !strings.Contains(html, s) {
					t.Errorf("HTML lacks %q:\n%s", s, html)
				}
			}
			for _, s := range tt.notRaw {
				if strings.Contains(html, s) {
					t.Errorf("HTML has %q:\n%s", s, html)
				}
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"hello world again", 12, "hello world…"},
		{"abcdefghijklmnop", 5, "abcd…"},
		{"😀😀😀", 4, "😀…"}, // a surrogate pair is never split
		{"x", 0, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if n := utf16Len(truncate(tt.in, tt.max)); n > tt.max {
			t.Errorf("truncate(%q, %d) has length %d", tt.in, tt.max, n)
		}
	}
}

func TestSplitText(t *testing.T) {
	text := strings.Repeat("line of text\n", 1000)
	parts := splitText(text, MaxMessageLen)
	if len(parts) < 2 {
		t.Fatalf("got %d parts", len(parts))
	}
	if got := strings.Join(parts, "\n"); strings.Count(got, "line of text") != 1000 {
		t.Errorf("split lost text: %d lines", strings.Count(got, "line of text"))
	}
	for _, p := range parts {
		if utf16Len(p) > MaxMessageLen {
			t.Errorf("part of %d units", utf16Len(p))
		}
	}
}

func FuzzFormat(f *testing.F) {
	f.Add("<b>Breaking</b> & more", "summary & <i>", "https://example.com/?a=\"1\"", "Reuters", "ceasefire", "Ceasefire")
	f.Add("🕊️", strings.Repeat("é😀", 500), "javascript:x", "", "", "")
	f.Add("a&amp;b", "&#x27; &lt; &", "http://[::1]/", "<src>", `"peace deal"`, "</code>")
	f.Fuzz(func(t *testing.T, title, summary, link, source, term, matched string) {
		a := alertFor(title, summary)
		a.Article.URL, a.Article.Source, a.Article.Outlet = link, source, source+"x"
		a.Matches[0].Query, a.Matches[0].Terms[0].Term, a.Matches[0].Terms[0].Matched = term, term, matched
		a.Sources = []string{source, matched, title}
		for _, m := range []bot.Message{single(a), {Kind: alerts.DeliverDigest, Alerts: []alerts.Alert{a, a}}} {
			html := format(m, time.UTC, "en")
			vis, err := telegramtest.ParseHTML(html)
			if err != nil {
				t.Fatalf("invalid Telegram HTML: %v\n%q", err, html)
			}
			if n := telegramtest.UTF16Len(vis); n > MaxMessageLen {
				t.Fatalf("visible length %d > %d", n, MaxMessageLen)
			}
			if want := truncate(cleanLine(title), 20); want != "" && !strings.Contains(vis, strings.TrimSuffix(want, "…")) {
				t.Fatalf("title %q not shown in %q", want, vis)
			}
		}
	})
}

// The layout's own words and its dates follow the chat's language; what
// came from the article stays as it was.
func TestFormatSpeaksTheChatsLanguage(t *testing.T) {
	a := alertFor("Ceasefire agreed", "Both sides agreed to a ceasefire.")
	a.Article.Outlet = "Reuters"
	a.Sources = []string{"example.com", "Reuters", "AP"}
	untitled := alertFor("", "")
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"ru", []string{"Reuters через example.com · 25 нояб. 09:41 UTC", "Также сообщили AP", "(без заголовка)", "Сводка: 2 новые истории"}},
		{"uk", []string{"Reuters через example.com · 25 лист. 09:41 UTC", "Також повідомили AP", "(без заголовка)", "Зведення: 2 нові історії"}},
		{"en", []string{"Reuters via example.com · 25 Nov 09:41 UTC", "Also reported by AP", "(untitled)", "Digest: 2 new stories"}},
	} {
		alert := format(single(a), time.UTC, tc.lang)
		digest := format(bot.Message{Kind: alerts.DeliverDigest, Alerts: []alerts.Alert{a, untitled}}, time.UTC, tc.lang)
		va, err := telegramtest.ParseHTML(alert)
		if err != nil {
			t.Fatal(err)
		}
		vd, err := telegramtest.ParseHTML(digest)
		if err != nil {
			t.Fatal(err)
		}
		got := va + "\n" + vd
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: no %q in\n%s", tc.lang, w, got)
			}
		}
		if !strings.Contains(got, "Ceasefire agreed") || !strings.Contains(got, "Both sides agreed to a ceasefire.") {
			t.Errorf("%s: the article's own text changed:\n%s", tc.lang, got)
		}
	}
	// A chat's own template shows {time} in its language too.
	tpl, err := alerts.ParseTemplate("{title} · {time}")
	if err != nil {
		t.Fatal(err)
	}
	if got := formatTemplate(a, tpl, time.UTC, "uk", MaxMessageLen); !strings.Contains(got, "25 лист. 09:41 UTC") {
		t.Errorf("template in Ukrainian: %s", got)
	}
}
