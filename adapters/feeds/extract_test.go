package feeds

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/herald-news/herald/adapters/feeds/feedtest"
	"golang.org/x/text/encoding/charmap"
)

const articlePage = `<!DOCTYPE html><html><head><title>Ceasefire holds</title>
<meta property="og:image" content="https://cdn.example/holds.jpg"></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<div class="ad">ADVERTISEMENT</div>
<article><h1>Ceasefire holds for a third day</h1>
<p>The ceasefire between the two sides held for a third day on Wednesday, officials said, as aid convoys reached towns cut off for weeks.</p>
<p>Negotiators in Istanbul said talks on a lasting settlement would resume next week, with prisoner exchanges and the reopening of ports on the agenda.</p>
<p>Residents of the frontline towns described the first quiet nights since the summer, though many said they did not expect the truce to last.</p>
<p>International monitors have been deployed along the line of contact and will report daily on violations, according to the agreement.</p>
</article>
<footer>© 2026 News Co. All rights reserved.</footer>
</body></html>`

func TestExtractTeaserPages(t *testing.T) {
	mux := http.NewServeMux()
	fd := feedtest.NewFeed("Teasers", item(1))
	mux.Handle("/feed", fd)
	mux.HandleFunc("/story", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(articlePage))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, on := range []bool{true, false} {
		feedURL := srv.URL + "/feed"
		opts := PollerOptions{Feeds: []string{feedURL}}
		if on {
			opts.Extract = []string{feedURL}
		}
		p := NewPoller(opts, newMemStore(), nil)
		pollOnce(t, p, feedURL)
		fd.Add(feedtest.Item{GUID: "t-1" + map[bool]string{true: "on", false: "off"}[on], Title: "Ceasefire holds", Link: srv.URL + "/story", Description: "The truce held…"})
		got := pollOnce(t, p, feedURL)
		if len(got) != 1 {
			t.Fatalf("extract %v: got %d articles", on, len(got))
		}
		hasArticle := strings.Contains(got[0].Body, "aid convoys reached towns")
		if hasArticle != on {
			t.Errorf("extract %v: body %q", on, got[0].Body)
		}
		if on && (strings.Contains(got[0].Body, "All rights reserved") || strings.Contains(got[0].Body, "Sport")) {
			t.Errorf("page chrome in the extracted body: %q", got[0].Body)
		}
		if wantImage := map[bool]string{true: "https://cdn.example/holds.jpg"}[on]; got[0].Image != wantImage {
			t.Errorf("extract %v: image %q, want %q (the page's og:image)", on, got[0].Image, wantImage)
		}
	}
}

// A page in a legacy encoding is extracted as text, not mojibake.
func TestExtractPageInWindows1251(t *testing.T) {
	page, err := charmap.Windows1251.NewEncoder().Bytes([]byte(strings.NewReplacer(
		"Ceasefire holds for a third day", "Перемирие соблюдается третий день",
		"aid convoys reached towns", "гуманитарные конвои достигли городов").Replace(articlePage)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	fd := feedtest.NewFeed("Teasers", item(1))
	mux.Handle("/feed", fd)
	mux.HandleFunc("/story", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html") // no charset: detected
		w.Write(page)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	feedURL := srv.URL + "/feed"
	p := NewPoller(PollerOptions{Feeds: []string{feedURL}, Extract: []string{feedURL}}, newMemStore(), nil)
	pollOnce(t, p, feedURL)
	fd.Add(feedtest.Item{GUID: "ru-1", Title: "Перемирие", Link: srv.URL + "/story", Description: "Тизер…"})
	got := pollOnce(t, p, feedURL)
	if len(got) != 1 || !strings.Contains(got[0].Body, "гуманитарные конвои достигли городов") {
		t.Fatalf("extracted: %+v", got)
	}
}
