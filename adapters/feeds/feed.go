package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"golang.org/x/net/html"

	"github.com/herald-news/herald/alerts"
)

// ParseFeed reads an RSS (0.9x, 1.0, 2.0), Atom or JSON Feed document and
// returns its items as cleaned articles. feedURL resolves relative links
// and names the source when the feed has no title; it may be empty. The
// error says what is wrong ("not an RSS, Atom or JSON feed (it looks like
// an HTML page)"); the caller says which feed.
func ParseFeed(data []byte, feedURL string) ([]alerts.Article, error) {
	pf, err := parseFeedDoc(data, feedURL)
	if err != nil {
		return nil, err // the caller names the feed or file
	}
	return pf.Items, nil
}

// parsedFeed is a feed document as the poller needs it.
type parsedFeed struct {
	Title string
	// Hub and Self are the WebSub hub and topic the feed names, if any.
	Hub, Self string
	Items     []alerts.Article
}

// errNotAFeed is returned for documents no feed parser recognises.
var errNotAFeed = errors.New("not an RSS, Atom or JSON feed")

func parseFeedDoc(data []byte, feedURL string) (*parsedFeed, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: the document is empty", errNotAFeed)
	}
	p := gofeed.NewParser()
	p.KeepOriginalFeed = true
	f, err := p.Parse(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			hint := ""
			if feedLooksLikeHTML(trimmed) {
				hint = " (it looks like an HTML page)"
			}
			return nil, fmt.Errorf("%w%s", errNotAFeed, hint)
		}
		return nil, fmt.Errorf("malformed feed: %w", err)
	}
	base, _ := url.Parse(feedURL)
	if f.Link != "" {
		if l, err := feedResolveURL(base, f.Link); err == nil && l != nil {
			base = l
		}
	}
	pf := &parsedFeed{Title: feedText(f.Title)}
	pf.Hub, pf.Self = feedHubLinks(f)
	source := pf.Title
	if source == "" {
		source = feedDomain(feedURL, f.Link)
	}
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		a, ok := feedItemArticle(it, base, source)
		if !ok {
			continue
		}
		a = Clean(a)
		if a.Title == "" {
			if a.Title = feedFirstWords(a.Body, 160); a.Title == "" {
				continue
			}
		}
		pf.Items = append(pf.Items, a)
	}
	return pf, nil
}

// feedItemArticle maps one item; ok is false for an item with nothing in it.
func feedItemArticle(it *gofeed.Item, base *url.URL, source string) (alerts.Article, bool) {
	a := alerts.Article{
		GUID:   strings.TrimSpace(it.GUID),
		Title:  feedText(it.Title),
		Source: source,
	}
	link := strings.TrimSpace(it.Link)
	if link == "" && len(it.Links) > 0 {
		link = strings.TrimSpace(it.Links[0])
	}
	if link != "" {
		if u, err := feedResolveURL(base, link); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			a.URL = u.String()
		}
	}
	content, desc := feedText(it.Content), feedText(it.Description)
	a.Body = content
	if len(desc) > len(content) {
		a.Body = desc
	}
	if a.Title == "" && a.Body == "" {
		if a.URL == "" {
			return a, false // nothing to tell
		}
		a.Title = a.URL
	}
	// A title-less item is named by Clean from its first line.
	switch {
	case it.PublishedParsed != nil:
		a.Published = it.PublishedParsed.UTC()
	case it.UpdatedParsed != nil:
		a.Published = it.UpdatedParsed.UTC()
	}
	if a.Published.After(time.Now().Add(48 * time.Hour)) {
		// A date far in the future is a feed's mistake, not news from it.
		a.Published = time.Time{}
	}
	return a, true
}

// feedHubLinks finds rel=hub and rel=self links: atom:link in Atom feeds and
// in RSS (as an extension).
func feedHubLinks(f *gofeed.Feed) (hub, self string) {
	if af, ok := f.OriginalFeed().(*atom.Feed); ok {
		for _, l := range af.Links {
			switch {
			case l.Rel == "hub" && hub == "":
				hub = l.Href
			case l.Rel == "self" && self == "":
				self = l.Href
			}
		}
	}
	for _, ns := range []string{"atom", "atom10", "atom03"} {
		for _, e := range f.Extensions[ns]["link"] {
			switch {
			case e.Attrs["rel"] == "hub" && hub == "":
				hub = e.Attrs["href"]
			case e.Attrs["rel"] == "self" && self == "":
				self = e.Attrs["href"]
			}
		}
	}
	if self == "" {
		self = f.FeedLink
	}
	return strings.TrimSpace(hub), strings.TrimSpace(self)
}

func feedResolveURL(base *url.URL, ref string) (*url.URL, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, err
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	return u, nil
}

func feedDomain(urls ...string) string {
	for _, s := range urls {
		if u, err := url.Parse(s); err == nil && u.Hostname() != "" {
			return strings.TrimPrefix(u.Hostname(), "www.")
		}
	}
	return ""
}

func feedLooksLikeHTML(b []byte) bool {
	head := strings.ToLower(string(b[:min(len(b), 512)]))
	return strings.Contains(head, "<!doctype html") || strings.Contains(head, "<html")
}

// feedText turns a feed field (plain text or HTML) into text: tags
// dropped, scripts and styles skipped, entities decoded, block elements
// ending lines.
func feedText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return feedTidyLines(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "noscript", "template", "iframe", "svg":
				if z.Token().Type == html.StartTagToken {
					skip++
				}
			case "br", "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article", "figure", "figcaption", "pre", "hr", "ul", "ol", "table":
				b.WriteByte('\n')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "noscript", "template", "iframe", "svg":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article", "figure", "figcaption", "pre", "ul", "ol", "table":
				b.WriteByte('\n')
			}
		}
	}
}

// feedTidyLines collapses runs of spaces in each line and drops blank lines.
func feedTidyLines(s string) string {
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

// feedFirstWords returns s cut to at most n bytes at a word boundary, for an
// item without a title.
func feedFirstWords(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut <= 0 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut] + "…"
}

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
