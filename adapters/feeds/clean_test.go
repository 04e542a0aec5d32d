package feeds

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/summary"
)

// noiseMarkers must never survive cleaning, whatever the page.
var noiseMarkers = []string{
	"ARTICLE AD BOX", "ADVERTISEMENT", "Read Entire Article", "Continue reading",
	"hours ago", "min read", "Sign up for", "cookie", "Follow us", "Реклама", "РЕКЛАМА",
	"Читайте также", "Читайте також", "часов назад", "години тому", "Подписывайтесь",
	"Підписуйтесь", "Читать далее", "Читати далі",
}

// shownSummary is the summary an alert shows of a cleaned article: the
// feed's description, else the extract of the body that ingest makes for
// an article that reaches a chat.
func shownSummary(a alerts.Article) string {
	if a.Summary != "" {
		return a.Summary
	}
	return summary.Summarize(a.Title, a.Body, 0)
}

func assertClean(t *testing.T, a alerts.Article) {
	t.Helper()
	for _, f := range []struct{ name, text string }{{"title", a.Title}, {"body", a.Body}, {"summary", a.Summary}} {
		if !utf8.ValidString(f.text) {
			t.Errorf("%s is not valid UTF-8: %q", f.name, f.text)
		}
		for _, m := range noiseMarkers {
			if strings.Contains(strings.ToLower(f.text), strings.ToLower(m)) {
				t.Errorf("%s still carries noise %q:\n%s", f.name, m, f.text)
			}
		}
		for line := range strings.SplitSeq(f.text, "\n") {
			if classifyLine(line) != notNoise {
				t.Errorf("%s keeps a noise line %q", f.name, line)
			}
		}
	}
}

func TestReadArticlesFixtures(t *testing.T) {
	tests := []struct {
		file    string
		title   string
		outlet  string
		lang    string
		url     string
		keep    []string // article text that must stay
		dropped []string // teasers and noise specific to the page
	}{
		{
			file: "../../../../shared/samples/scraped-article.txt", title: "Trump’s envoy sought to convince Putin on terms of ceasefire deal",
			outlet: "Bloomberg", lang: "en",
			keep:    []string{"Steve Witkoff met the Russian president", "Kremlin spokesman Dmitry Peskov", "“Oh, I think so, yeah,” he replied."},
			dropped: []string{"Putin-Witkoff talks", "Yury Ushakov", "Read more", "5 hours ago"},
		},
		{
			file: "bbc-doha-talks.txt", title: "Ceasefire talks resume in Doha as negotiators close in on hostage deal",
			outlet: "BBC News", lang: "en",
			keep:    []string{"Negotiators from Israel and Hamas resumed", "Majed al-Ansari", `"We are closer than we have ever been,"`},
			dropped: []string{"Gaza aid convoy", "Who are the hostages", "What we know", "Getty Images", "Image caption", "Published", "Share", "Accept all", "Morning Briefing"},
		},
		{
			file: "reuters-fed-rates.txt", title: "Fed holds rates steady, signals two cuts later this year",
			outlet: "Reuters", lang: "en",
			keep:    []string{"The Federal Reserve held interest rates steady", "well positioned to wait", "Treasury yields edged lower after the decision and stocks trimmed earlier losses."},
			dropped: []string{"Oil prices jump", "Howard Schneider", "14 comments", "1.2K shares", "Breaking News alerts", "Scroll to continue"},
		},
		{
			file: "tass-grain-ru.txt", title: "Россия и Турция договорились продолжить переговоры о зерновом коридоре",
			outlet: "ТАСС", lang: "ru",
			keep:    []string{"Министры иностранных дел России и Турции", "Россельхозбанк"},
			dropped: []string{"Песков: Кремль", "2 мин чтения", "Telegram", "cookie"},
		},
		{
			file: "pravda-energy-uk.txt", title: "Укренерго запровадило графіки відключень у восьми областях після масованої атаки",
			outlet: "Українська правда", lang: "uk",
			keep:    []string{"Національна енергетична компанія «Укренерго»", "Ремонтні бригади вже працюють на місцях."},
			dropped: []string{"Зеленський закликав", "Telegram"},
		},
		{
			file: "rt-quote-title.txt", title: "Putin-Witkoff talks ‘constructive’ – Russian presidential aide",
			outlet: "", lang: "en",
			keep:    []string{"were constructive and useful", "must be well prepared."},
			dropped: []string{"Lavrov", "Black Sea deal", "12 Apr", "Share"},
		},
		{
			file: "reuters-page.html", title: "Nvidia shares hit record as AI chip demand soars",
			outlet: "Reuters", lang: "en", url: "https://www.reuters.com/technology/nvidia-shares-record-2025-06-18",
			keep:    []string{"Shares of Nvidia & its suppliers rose", "supply through next year", "world’s most valuable listed firm.\nAnalysts said", "Jensen Huang"},
			dropped: []string{"Home", "dataLayer", "display: none", "Apple unveils", "Microsoft cuts", "All rights reserved", "newsletter"},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			path := tt.file
			if !strings.Contains(path, "/") {
				path = filepath.Join("testdata", "clean", path)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Skipf("fixture: %v", err)
			}
			as, err := ReadArticles(path, data)
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != 1 {
				t.Fatalf("got %d articles, want 1", len(as))
			}
			a := as[0]
			if a.Summary != "" {
				t.Errorf("summary %q set at ingest: only a feed's own description is", a.Summary)
			}
			a.Summary = shownSummary(a)
			if a.Title != tt.title {
				t.Errorf("title = %q, want %q", a.Title, tt.title)
			}
			if a.Outlet != tt.outlet {
				t.Errorf("outlet = %q, want %q", a.Outlet, tt.outlet)
			}
			if a.Lang != tt.lang {
				t.Errorf("lang = %q, want %q", a.Lang, tt.lang)
			}
			if tt.url != "" && a.URL != tt.url {
				t.Errorf("url = %q, want %q", a.URL, tt.url)
			}
			if a.ID == "" || a.ContentHash == "" {
				t.Errorf("ID %q, ContentHash %q: want both set", a.ID, a.ContentHash)
			}
			if a.Summary == "" || len(a.Summary) > 4*320 || !strings.Contains(a.Body, strings.TrimSuffix(a.Summary, "…")[:20]) {
				t.Errorf("summary %q is not an extract of the body", a.Summary)
			}
			for _, k := range tt.keep {
				if !strings.Contains(a.Body, k) {
					t.Errorf("body lost %q:\n%s", k, a.Body)
				}
			}
			for _, d := range tt.dropped {
				if strings.Contains(a.Body, d) || strings.Contains(a.Summary, d) {
					t.Errorf("body keeps %q:\n%s", d, a.Body)
				}
			}
			assertClean(t, a)
			if again := Clean(a); again.Body != a.Body || again.Title != a.Title || again.ID != a.ID {
				t.Errorf("Clean is not idempotent:\n%q\n%q", a.Body, again.Body)
			}
		})
	}
}

func TestCleanHTMLBody(t *testing.T) {
	a := Clean(alerts.Article{
		Title: "<b>Kyiv</b> &amp; Kharkiv hit by drones",
		Body: `<p>First paragraph with <a href="x">a link</a>.</p><script>alert("x")</script>` +
			`<style>p{}</style><p>Second&nbsp;paragraph &#8212; with entities.</p><ul><li>one</li><li>two</li></ul>`,
	})
	if a.Title != "Kyiv & Kharkiv hit by drones" {
		t.Errorf("title = %q", a.Title)
	}
	want := "First paragraph with a link.\n\nSecond paragraph — with entities.\n\none\n\ntwo"
	if a.Body != want {
		t.Errorf("body = %q, want %q", a.Body, want)
	}
}

func TestCleanFeedDescription(t *testing.T) {
	a := Clean(alerts.Article{
		Title:   "Grain talks resume",
		Summary: `<p>Turkey and Russia agreed on Wednesday to resume talks on grain exports through the Black Sea. […]</p><p>The post Grain talks resume appeared first on Example News.</p>`,
		Body:    "Turkey and Russia agreed on Wednesday to resume talks on grain exports through the Black Sea.\n\nThe post Grain talks resume appeared first on Example News.",
	})
	want := "Turkey and Russia agreed on Wednesday to resume talks on grain exports through the Black Sea."
	if a.Summary != want {
		t.Errorf("summary = %q, want %q", a.Summary, want)
	}
	if a.Body != want {
		t.Errorf("body = %q, want %q", a.Body, want)
	}
}

func TestCleanRepairsText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"latin1 byte", "caf\xe9 society", "café society"},
		{"cp1251 page", "\xcf\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0", "Привет мир"},
		// Among Cyrillic a stray byte is a broken character, not Latin-1.
		{"utf-8 cyrillic with a stray byte", "Привет\xe9 мир", "Привет\uFFFD мир"},
		{"latin1 french", "L'\xe9t\xe9 \xe0 Paris a \xe9t\xe9 chaud", "L'été à Paris a été chaud"},
		{"NFD to NFC", "Cafe\u0301", "Café"},
		{"zero width and nbsp", "Zelensky\u200b\u00a0said", "Zelensky said"},
		{"crlf paragraphs", "one\r\n\r\n\r\ntwo\rthree", "one\n\ntwo\nthree"},
		{"controls", "a\x00b\x07c", "abc"},
		// An override left open turns the rest of a chat line around.
		{"bidi overrides and isolates", "Normal \u202eevil\u202c text \u2066x\u2069 \u202ay\u202d", "Normal evil text x y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(alerts.Article{Title: "t", Body: tt.in}).Body
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOutlet(t *testing.T) {
	tests := []struct{ title, head, outlet string }{
		{"Trump’s envoy sought to convince Putin – Bloomberg", "Trump’s envoy sought to convince Putin", "Bloomberg"},
		{"Oil rises on supply fears | Reuters", "Oil rises on supply fears", "Reuters"},
		{"Storm hits coast - BBC News", "Storm hits coast", "BBC News"},
		{"Kyiv says talks stalled — The Kyiv Independent", "Kyiv says talks stalled", "The Kyiv Independent"},
		{"Зеленский прибыл в Вашингтон — РБК", "Зеленский прибыл в Вашингтон", "РБК"},
		{"Markets slide on tariff news - Sydney Morning Herald", "Markets slide on tariff news", "Sydney Morning Herald"},
		{"Talks were ‘constructive’ – Russian presidential aide", "Talks were ‘constructive’ – Russian presidential aide", ""},
		{"Russia must pay for the war – Zelensky", "Russia must pay for the war – Zelensky", ""},
		{"Alliance will defend every inch – NATO", "Alliance will defend every inch – NATO", ""},
		{"Cease-fire holds in south-east", "Cease-fire holds in south-east", ""},
		{"Reuters", "Reuters", ""},
		{"AT&amp;amp;T profits jump &#8211; Bloomberg", "AT&T profits jump", "Bloomberg"},
	}
	for _, tt := range tests {
		a := Clean(alerts.Article{Title: tt.title})
		if a.Title != tt.head || a.Outlet != tt.outlet {
			t.Errorf("%q: got (%q, %q), want (%q, %q)", tt.title, a.Title, a.Outlet, tt.head, tt.outlet)
		}
	}
}

func TestLang(t *testing.T) {
	tests := []struct{ text, want string }{
		{"The ceasefire held overnight", "en"},
		{"Перемирие соблюдалось всю ночь, сообщили военные", "ru"},
		{"Перемир'я трималося всю ніч, повідомили військові", "uk"},
		{"Εκεχειρία", "el"},
		{"12 34", ""},
	}
	for _, tt := range tests {
		if got := Clean(alerts.Article{Title: tt.text}).Lang; got != tt.want {
			t.Errorf("%q: lang %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestIdentity(t *testing.T) {
	base := alerts.Article{GUID: "https://example.com/?p=123", URL: "https://example.com/a?utm_source=x", Title: "Old headline", Body: "Text."}
	edited := base
	edited.Title = "New headline"
	if Clean(base).ID != Clean(edited).ID {
		t.Error("an edited headline changed the article ID")
	}
	if Clean(base).ContentHash == Clean(edited).ContentHash {
		t.Error("an edited headline kept the content hash")
	}

	byURL := alerts.Article{URL: "https://www.example.com/a/?utm_medium=rss#top", Title: "A"}
	byURL2 := alerts.Article{URL: "https://WWW.example.com:443/a?fbclid=1", Title: "A, edited"}
	if Clean(byURL).ID != Clean(byURL2).ID {
		t.Error("the same canonical URL gave two IDs")
	}

	// A feed numbering its items: the GUID is scoped by the source.
	if Clean(alerts.Article{GUID: "42", Source: "a", Title: "x"}).ID == Clean(alerts.Article{GUID: "42", Source: "b", Title: "x"}).ID {
		t.Error("bare GUIDs of two sources collided")
	}

	// Same words, other spacing and case: the same content.
	h1 := Clean(alerts.Article{Title: "Ceasefire  holds", Body: "It held.\n\nAll night."}).ContentHash
	h2 := Clean(alerts.Article{Title: "ceasefire holds", Body: "<p>It held.</p><p>All  night.</p>"}).ContentHash
	if h1 != h2 {
		t.Error("normalised text gave two content hashes")
	}
}

func TestParseTextNoTitle(t *testing.T) {
	for _, in := range []string{"", "\n\n  \n", "ADVERTISEMENT\n\n5 hours ago\n"} {
		if _, err := ParseText(strings.NewReader(in), "x"); err == nil {
			t.Errorf("%q: want an error for a text without a title", in)
		}
	}
}

func TestNoiseRulesKeepReporting(t *testing.T) {
	// Sentences that mention the words the rules look for but are reporting.
	keep := []string{
		"The company said in a newsletter to investors that profits fell by a third.",
		"Read more about the proposal, officials told the committee, before it votes on Friday.",
		"Five hours ago, residents heard explosions near the airport.",
		"Related talks in Geneva ended without agreement, diplomats said.",
		"Advertisement spending fell 12% in the quarter, the agency reported.",
		"The court ruled on Monday. Advertisement agencies must now disclose their fees.",
		"Copyright lawyers said the ruling would be appealed.",
		"Reporting by the BBC showed the figures were wrong.",
		"The minister said: read more carefully before you sign. Officials agreed.",
		"Protesters held signs that read “Click here to vote” outside the building.",
		"The minister resigned in Geneva. Read more: Russia strikes Odesa port overnight The minister said Kyiv would respond.",
		"The ruling was upheld. Advertising Standards Authority officials said the complaint failed.",
		"Правила изменились. Реклама Telegram-каналов запрещена с марта.",
		"Президент заявил, что все права защищены.",
		"Copyright 2019 lawsuit against Meta dismissed by judge.",
		"(Research by the institute showed the figures were wrong.)",
		"Regulators have fined the company for tracking users with cookies without consent, in a case that lasted four years and drew complaints from privacy groups.",
	}
	for _, s := range keep {
		got := Clean(alerts.Article{Title: "t", Body: s}).Body
		if got != s {
			t.Errorf("reporting removed:\n in: %q\nout: %q", s, got)
		}
	}
}

func FuzzClean(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/clean/*")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add("Title – Reuters", string(b), "https://m.example.com/a/amp?utm_source=x")
		}
	}
	f.Add("<b>x</b>", "<p>a</p><script>b", "http://[::1]:80/x")
	f.Add("\xff\xfe", "Read more\n\nHeadline\n\n5 hours ago 2\nADVERTISEMENT", "%zz")
	f.Fuzz(func(t *testing.T, title, body, rawURL string) {
		a := Clean(alerts.Article{Title: title, Body: body, URL: rawURL})
		for _, s := range []string{a.Title, a.Body, a.URL, a.Outlet, a.Lang} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 out: %q", s)
			}
		}
		for line := range strings.SplitSeq(a.Body, "\n") {
			if classifyLine(line) != notNoise {
				t.Fatalf("noise line survived: %q in %q", line, a.Body)
			}
		}
		if a.ID == "" || a.ContentHash == "" {
			t.Fatal("no ID or content hash")
		}
	})
}

func FuzzParseText(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/clean/*.txt")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("\xef\xbb\xbfTitle\r\nbody"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseText(strings.NewReader(string(data)), "fuzz")
		if err != nil {
			return
		}
		if a.Title == "" || !utf8.ValidString(a.Title) || !utf8.ValidString(a.Body) {
			t.Fatalf("bad article from %q: %+v", data, a)
		}
		if strings.Contains(a.Title, "\n") {
			t.Fatalf("title spans lines: %q", a.Title)
		}
		for line := range strings.SplitSeq(a.Body, "\n") {
			if classifyLine(line) != notNoise {
				t.Fatalf("noise line survived: %q", line)
			}
		}
	})
}

func BenchmarkClean(b *testing.B) {
	data, err := os.ReadFile("testdata/clean/bbc-doha-talks.txt")
	if err != nil {
		b.Fatal(err)
	}
	title, body, _ := strings.Cut(string(data), "\n")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Clean(alerts.Article{Title: title, Body: body, URL: "https://m.bbc.co.uk/news/x?utm_source=y"})
	}
}

func TestReadArticlesFeed(t *testing.T) {
	data, err := os.ReadFile("testdata/clean/wire.rss")
	if err != nil {
		t.Fatal(err)
	}
	as, err := ReadArticles("testdata/clean/wire.rss", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 {
		t.Fatalf("got %d articles, want 1", len(as))
	}
	a := as[0]
	a.Summary = shownSummary(a)
	if a.Title != "Oil rises as Red Sea attacks disrupt shipping" || a.Outlet != "Reuters" {
		t.Errorf("title %q outlet %q", a.Title, a.Outlet)
	}
	if a.URL != "https://www.example.com/markets/oil-rises" {
		t.Errorf("url = %q", a.URL)
	}
	for _, bad := range []string{"Gold slips", "appeared first", "ADVERTISEMENT"} {
		if strings.Contains(a.Body+a.Summary, bad) {
			t.Errorf("feed item keeps %q: body %q summary %q", bad, a.Body, a.Summary)
		}
	}
	if !strings.HasPrefix(a.Summary, "Oil prices rose more than 2% on Monday") {
		t.Errorf("summary = %q", a.Summary)
	}
	assertClean(t, a)
}

func TestTeasers(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			"marker then a paragraph of this article stays",
			"First paragraph.\n\nRead more\n\nThe minister later said the talks would continue next week in Geneva, with both delegations expected.",
			"First paragraph.\n\nThe minister later said the talks would continue next week in Geneva, with both delegations expected.",
		},
		{
			"list of related headlines",
			"First paragraph.\n\nRelated articles:\n• Who is the new defence minister?\n• Five things to know about the budget\n• Markets react to rate decision\n\nLast paragraph.",
			"First paragraph.\n\nLast paragraph.",
		},
		{
			"headline on the marker line",
			"First paragraph.\nRead also: Oil jumps after drone strike on refinery\nWATCH: Moment the tower came down\nSecond paragraph.",
			"First paragraph.\nSecond paragraph.",
		},
		{
			"caption and headline after the marker",
			"A.\n\nRead more\n Russian Presidential Aide Yury Ushakov. Putin-Witkoff talks ‘constructive’ – Russian presidential aide\n\nB.",
			"A.\n\nB.",
		},
		{
			"noise between the sentences of a paragraph",
			"Officials met in Geneva on Monday. Advertisement The talks lasted five hours. Read more: Drone strikes hit Odesa overnight. Both sides spoke of progress. Click here to subscribe to our alerts.",
			"Officials met in Geneva on Monday. The talks lasted five hours. Both sides spoke of progress.",
		},
		{
			"a prompt whose sentence has a dotted abbreviation",
			"The talks ended. Click here to see the U.S. statement. Both sides left Geneva.",
			"The talks ended. Both sides left Geneva.",
		},
		{
			"a teaser at the end of a paragraph, without a full stop",
			"The talks ended on Monday. READ MORE | Drone strikes hit Odesa port overnight",
			"The talks ended on Monday.",
		},
		{
			"wire credit line and rights notice",
			"The talks lasted five hours.\n\n(Reporting by Jane Doe in Geneva; Additional reporting by Ivan Petrov; Editing by John Smith)\n\nCopyright 2026 Reuters. All rights reserved.\n\n© 2026 Globe Media\n\nВсе права защищены.",
			"The talks lasted five hours.",
		},
		{
			"russian marker",
			"Текст.\n\nЧитайте также:\nПесков ответил на вопрос о переговорах\n\nЕщё текст.",
			"Текст.\n\nЕщё текст.",
		},
		{
			"relative times and counters",
			"5 hours ago 2\nUpdated 12:03 GMT | 3 min read\n1.2K shares · 14 comments\n2 часа назад\n3 години тому\nListen to this article\n6 min\nTags: UK, Elections\n" +
				"Updated on April 12, 2025 at 3:42 p.m. ET\nвчера в 15:42\nСьогодні, 09:15\n12.04.2025 15:42 | 1 234 просмотра\nText.",
			"Text.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(alerts.Article{Title: "t", Body: tt.in}).Body; got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCleanPushedPage(t *testing.T) {
	data, err := os.ReadFile("testdata/clean/reuters-page.html")
	if err != nil {
		t.Fatal(err)
	}
	a := Clean(alerts.Article{Body: string(data), Source: "push"})
	if a.Title != "Nvidia shares hit record as AI chip demand soars" || a.Outlet != "Reuters" {
		t.Errorf("title %q outlet %q", a.Title, a.Outlet)
	}
	if strings.Contains(a.Body, "Home") || !strings.HasPrefix(a.Body, "Shares of Nvidia") {
		t.Errorf("body = %q", a.Body)
	}
	if a.Lang != "en" {
		t.Errorf("lang = %q", a.Lang)
	}
}

func TestDeclaredLang(t *testing.T) {
	tests := []struct{ declared, text, want string }{
		{"en-GB", "The ceasefire held", "en"},
		{"EN", "The ceasefire held", "en"},
		{"en", "Перемир'я трималося всю ніч, повідомили військові", "uk"},
		{"ru", "Перемирие соблюдалось всю ночь", "ru"},
		{"uk", "Перемирие соблюдалось", "uk"},
		{"de", "Die Waffenruhe hielt", "de"},
		{"", "The ceasefire held", "en"},
	}
	for _, tt := range tests {
		if got := Clean(alerts.Article{Title: tt.text, Lang: tt.declared}).Lang; got != tt.want {
			t.Errorf("declared %q, %q: lang %q, want %q", tt.declared, tt.text, got, tt.want)
		}
	}
}

func FuzzReadArticles(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/clean/*")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(filepath.Base(p), b)
		}
	}
	f.Add("x.html", []byte("<!doctype html><html><head><title>T</title></head><body><nav>n</nav><article><h1>H</h1><p>x"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		as, err := ReadArticles(name, data)
		if err != nil {
			return
		}
		for _, a := range as {
			if !utf8.ValidString(a.Title) || !utf8.ValidString(a.Body) || !utf8.ValidString(a.Summary) {
				t.Fatalf("invalid UTF-8 in %+v", a)
			}
			if a.ID == "" {
				t.Fatal("article without ID")
			}
		}
	})
}

func TestCleanBoundsSize(t *testing.T) {
	para := strings.Repeat("Officials said the talks would continue next week in Geneva. ", 20) + "\n\n"
	a := Clean(alerts.Article{Title: strings.Repeat("Т", 5000), Body: strings.Repeat(para, 5000)})
	if len(a.Body) > maxBody || !utf8.ValidString(a.Body) || !strings.HasSuffix(a.Body, "Geneva.") {
		t.Errorf("body of %d bytes ends %q", len(a.Body), a.Body[max(0, len(a.Body)-20):])
	}
	if len(a.Title) > maxTitle || !utf8.ValidString(a.Title) {
		t.Errorf("title of %d bytes", len(a.Title))
	}
}
