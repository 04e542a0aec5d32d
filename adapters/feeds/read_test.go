package feeds

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// herald read tells a feed from a page by its first element, not by
// what its items quote, and names a file that is no text.
func TestReadArticlesKinds(t *testing.T) {
	for _, tt := range []struct {
		name   string
		data   []byte
		titles string
		err    string
	}{
		{name: "page-in-cdata.xml", data: readTestdata(t, "bad", "page-in-cdata.xml"), titles: "A page quoted whole | After it"},
		{name: "feed", data: []byte("<!-- generated --><rss version=\"2.0\"><channel><item><title>One</title></item></channel></rss><html>junk</html>"), titles: "One"},
		{name: "page", data: []byte("<!-- saved --><html><head><title>A page</title></head><body><p>Text of the page.</p></body></html>"), titles: "A page"},
		{name: "picture.png", data: readTestdata(t, "bad", "not-a-feed-image.png"), err: "it is an image (image/png), not a feed, a page or text"},
	} {
		arts, err := ReadArticles(tt.name, tt.data)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, a := range arts {
			got = append(got, a.Title)
			if strings.Contains(a.Body, "evil") {
				t.Errorf("%s: body %q", tt.name, a.Body)
			}
		}
		if strings.Join(got, " | ") != tt.titles {
			t.Errorf("%s: %q, want %q", tt.name, strings.Join(got, " | "), tt.titles)
		}
	}
}

// A feed past the size cap keeps the items of its first part, as a feed
// cut short does; a document with no item before the cap is an error.
func TestOversizeFeedKeepsItsFirstItems(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>Long</title>`)
	for i := range 1000 {
		fmt.Fprintf(&b, "<item><title>Item %d</title><guid>g%d</guid></item>\n", i, i)
	}
	b.WriteString(`</channel></rss>`)
	long := filepath.Join(dir, "long.xml")
	os.WriteFile(long, []byte(b.String()), 0o644)
	empty := filepath.Join(dir, "empty.xml")
	os.WriteFile(empty, []byte(`<rss version="2.0"><channel><title>`+strings.Repeat("x", 20000)+`</title></channel></rss>`), 0o644)

	r := NewDocumentReader(ReaderOptions{Fetch: FetchOptions{MaxBody: 16 << 10}})
	arts, err := r.Read(context.Background(), long)
	if err != nil || len(arts) < 100 || len(arts) >= 1000 || arts[0].Title != "Item 0" {
		t.Errorf("%d articles, %v; want the first ones", len(arts), err)
	}
	if _, err := r.Read(context.Background(), empty); err == nil || !strings.Contains(err.Error(), "larger than the 16 KiB limit") {
		t.Errorf("no item before the cap: %v", err)
	}
}

// A feed read from a file resolves relative links against the site it
// names, not the file: a saved feed reads as the served one does.
func TestFileFeedLinksResolveAgainstTheSite(t *testing.T) {
	for name, doc := range map[string]string{
		"saved.xml":  `<rss version="2.0"><channel><title>Saved</title><link>https://saved.example/news/</link><item><title>Relative</title><link>/2026/story</link><enclosure url="img/1.jpg" type="image/jpeg"/></item><item><title>Protocol-relative</title><link>//saved.example/other</link></item></channel></rss>`,
		"saved.json": `{"version":"https://jsonfeed.org/version/1.1","title":"Saved","home_page_url":"https://saved.example/news/","items":[{"id":"1","title":"Relative","url":"/2026/story","image":"img/1.jpg"},{"id":"2","title":"Protocol-relative","url":"//saved.example/other"}]}`,
	} {
		arts, err := ReadArticles(filepath.Join(t.TempDir(), name), []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if len(arts) != 2 || arts[0].URL != "https://saved.example/2026/story" || arts[0].Image != "https://saved.example/news/img/1.jpg" || arts[1].URL != "https://saved.example/other" {
			t.Errorf("%s: %+v", name, arts)
		}
	}
}
