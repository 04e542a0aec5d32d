package feeds

import (
	"errors"
	"fmt"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://www.example.com/news/a", "https://www.example.com/news/a"},
		{"  HTTPS://WWW.Example.COM/News/A  ", "https://www.example.com/News/A"},
		{"https://example.com/a/?utm_source=rss&utm_medium=feed&id=7#comments", "https://example.com/a?id=7"},
		{"https://example.com/a?fbclid=IwAR0&gclid=x&mc_cid=1&mc_eid=2&ref=hp", "https://example.com/a"},
		{"https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"},
		{"http://example.com:80/a", "http://example.com/a"},
		{"https://example.com:443/a", "https://example.com/a"},
		{"https://example.com:8443/a", "https://example.com:8443/a"},
		{"https://example.com", "https://example.com/"},
		{"https://example.com/", "https://example.com/"},
		{"https://example.com//a//b/", "https://example.com/a/b"},
		{"https://www.example.com/world/story-123/amp", "https://www.example.com/world/story-123"},
		{"https://www.example.com/world/story-123/amp/", "https://www.example.com/world/story-123"},
		{"https://www.example.com/amp/world/story-123", "https://www.example.com/world/story-123"},
		{"https://www.example.com/world/story-123.amp.html", "https://www.example.com/world/story-123.html"},
		{"https://www.example.com/world/story-123?amp=1", "https://www.example.com/world/story-123"},
		{"https://www.example.com/world/story-123?outputType=amp", "https://www.example.com/world/story-123"},
		{"https://amp.theguardian.com/world/2025/may/1/story", "https://theguardian.com/world/2025/may/1/story"},
		{"https://m.bbc.co.uk/news/world-123", "https://bbc.co.uk/news/world-123"},
		{"https://mobile.reuters.com/article/x", "https://reuters.com/article/x"},
		{"https://m.com/a", "https://m.com/a"},
		{"https://user:secret@example.com/a", "https://example.com/a"},
		{"https://пример.рф/новости/1", "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1"},
		{"https://example.com/a%20b", "https://example.com/a%20b"},
		{"//example.com/a", "https://example.com/a"},
		{"https://example.com/a?q=%D0%BA%D0%B8%D0%B5%D0%B2&utm_campaign=x", "https://example.com/a?q=%D0%BA%D0%B8%D0%B5%D0%B2"},
		{"http://[::1]:80/a", "http://[::1]/a"},
		{"https://example.com/a?", "https://example.com/a"},
	}
	for _, tt := range tests {
		got, err := CanonicalURL(tt.in)
		if err != nil {
			t.Errorf("CanonicalURL(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
		again, err := CanonicalURL(got)
		if err != nil || again != got {
			t.Errorf("CanonicalURL not idempotent on %q: %q, %v", got, again, err)
		}
	}
}

func TestCanonicalURLRejects(t *testing.T) {
	for _, in := range []string{"", "   ", "/relative/path", "mailto:a@example.com", "ftp://example.com/a", "javascript:alert(1)", "http://"} {
		if got, err := CanonicalURL(in); !errors.Is(err, ErrNotArticleURL) {
			t.Errorf("CanonicalURL(%q) = %q, %v; want ErrNotArticleURL", in, got, err)
		}
	}
	if _, err := CanonicalURL("http://exa mple.com/%zz"); err == nil {
		t.Error("want an error for an unparsable URL")
	}
}

func FuzzCanonicalURL(f *testing.F) {
	f.Add("https://m.example.com/a/amp?utm_source=x&b=1#f")
	f.Add("http://[::1]:80/%41")
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := CanonicalURL(raw)
		if err != nil {
			return
		}
		again, err := CanonicalURL(u)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", u, raw, err)
		}
		_ = again
	})
}

func ExampleCanonicalURL() {
	u, _ := CanonicalURL("https://M.Example.com:443/world/story-123/amp/?utm_source=twitter&id=7#comments")
	fmt.Println(u)
	// Output:
	// https://example.com/world/story-123?id=7
}
