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
