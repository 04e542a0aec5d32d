package feeds

import (
	"bytes"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// feedDiscover finds the feed a web page names in its head
// (<link rel="alternate" type="application/rss+xml" href="…">), resolved
// against the page's URL; "" if none.
func feedDiscover(page []byte, pageURL string) string {
	base, _ := url.Parse(pageURL)
	found := ""
	headTags(page, "link", func(attrs map[string]string) bool {
		href := strings.TrimSpace(attrs["href"])
		if href == "" || !slices.Contains(strings.Fields(strings.ToLower(attrs["rel"])), "alternate") {
			return false
		}
		switch strings.ToLower(strings.TrimSpace(attrs["type"])) {
		case "application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml":
			if u, err := feedResolveURL(base, href); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				found = u.String()
				return true
			}
		}
		return false
	})
	return found
}

// headTags calls fn with the attributes (keys in lower case) of each
// element named tag in a page's head, until fn returns true or the body
// begins.
func headTags(page []byte, tag string, fn func(attrs map[string]string) bool) {
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "body" {
				return
			}
			if tok.Data != tag {
				continue
			}
			attrs := make(map[string]string, len(tok.Attr))
			for _, a := range tok.Attr {
				if k := strings.ToLower(a.Key); attrs[k] == "" {
					attrs[k] = a.Val
				}
			}
			if fn(attrs) {
				return
			}
		}
	}
}

// tidyLines collapses runs of spaces in each line and drops blank lines.
func tidyLines(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
