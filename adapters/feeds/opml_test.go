package feeds

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/herald-news/herald/bot"
)

func TestLoadFeedList(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, content string
		want          []string
		wantErr       string
	}{
		{name: "empty.txt", content: ""},
		{name: "comments.txt", content: "# my feeds\n\nhttps://a.example/feed\n  http://b.example/rss   # the B feed\nhttps://a.example/feed\nfile:///var/feeds/local.xml\n",
			want: []string{"https://a.example/feed", "http://b.example/rss", "file:///var/feeds/local.xml"}},
		{name: "bad.txt", content: "https://a.example/feed\n\nnot a url\n", wantErr: `line 3: "not a url" is not a feed URL`},
		{name: "ftp.txt", content: "ftp://a.example/feed\n", wantErr: "line 1"},
		{name: "subs.opml", content: `<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0"><head><title>Reader export</title></head><body>
  <outline text="News" title="News">
    <outline type="rss" text="A" xmlUrl="https://a.example/feed" htmlUrl="https://a.example/"/>
    <outline text="Nested"><outline type="rss" text="C" xmlUrl="https://c.example/atom.xml"/></outline>
  </outline>
  <outline type="rss" text="B &amp; co" xmlUrl="http://b.example/rss?x=1&amp;y=2"/>
  <outline text="A again" xmlUrl="https://a.example/feed"/>
</body></opml>`,
			want: []string{"https://a.example/feed", "https://c.example/atom.xml", "http://b.example/rss?x=1&y=2"}},
		{name: "empty.opml", content: `<opml version="2.0"><head/><body/></opml>`},
		{name: "broken.opml", content: `<opml version="2.0"><body><outline xmlUrl="https://a.example/"`, wantErr: "not a valid OPML file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			writeFile(t, path, []byte(tt.content))
			got, err := LoadFeedList(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.name) {
					t.Fatalf("err = %v, want it to name the file and say %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := LoadFeedList(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestWriteOPMLRoundTrip(t *testing.T) {
	sources := []bot.SourceStatus{
		{URL: "https://a.example/feed", Title: "A & Co <news>", State: "ok"},
		{URL: "http://b.example/rss?x=1&y=2", State: "failing"},
	}
	var buf bytes.Buffer
	if err := WriteOPML(&buf, sources); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `text="b.example"`) || !strings.Contains(buf.String(), `A &amp; Co &lt;news&gt;`) {
		t.Errorf("OPML:\n%s", buf.String())
	}
	got, err := ParseFeedList(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{sources[0].URL, sources[1].URL}; !reflect.DeepEqual(got, want) {
		t.Errorf("round trip: %q, want %q", got, want)
	}
}

func FuzzParseFeedList(f *testing.F) {
	f.Add([]byte("https://a.example/feed\n# c\n"))
	f.Add([]byte(`<opml><body><outline xmlUrl="https://a.example/"/></body></opml>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		urls, err := ParseFeedList(data)
		if err != nil {
			return
		}
		for _, u := range urls {
			if err := feedCheckURL(u); err != nil {
				t.Fatalf("listed a bad URL %q: %v", u, err)
			}
		}
	})
}
