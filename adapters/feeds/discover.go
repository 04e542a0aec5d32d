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
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "body":
				return ""
			case "link":
			default:
				continue
			}
			var rel, typ, href string
			for _, a := range tok.Attr {
				switch a.Key {
				case "rel":
					rel = strings.ToLower(a.Val)
				case "type":
					typ = strings.ToLower(strings.TrimSpace(a.Val))
				case "href":
					href = strings.TrimSpace(a.Val)
				}
			}
			if href == "" || !slices.Contains(strings.Fields(rel), "alternate") {
				continue
			}
			switch typ {
			case "application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml":
				if u, err := feedResolveURL(base, href); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
					return u.String()
				}
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
