// Package feedtest serves fake feeds on loopback for tests and benchmarks:
// RSS documents whose items can change between polls, with ETag and
// Last-Modified so pollers can GET conditionally.
package feedtest

import (
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Item is one item of a fake feed.
type Item struct {
	GUID, Title, Link, Description string
	Published                      time.Time
}

// Feed is a fake RSS feed; its items may change while it is served.
type Feed struct {
	mu      sync.Mutex
	title   string
	hub     string
	self    string
	items   []Item
	version int

	// Requests counts requests; Conditional counts those that carried
	// If-None-Match or If-Modified-Since.
	Requests, Conditional atomic.Int64
}

// NewFeed returns a feed with a title and items (newest first).
func NewFeed(title string, items ...Item) *Feed {
	return &Feed{title: title, items: items, version: 1}
}

// SetHub makes the feed name a WebSub hub and its own topic URL.
func (f *Feed) SetHub(hub, self string) {
	f.mu.Lock()
	f.hub, f.self = hub, self
	f.version++
	f.mu.Unlock()
}

// Add puts new items at the top of the feed.
func (f *Feed) Add(items ...Item) {
	f.mu.Lock()
	f.items = append(append([]Item(nil), items...), f.items...)
	f.version++
	f.mu.Unlock()
}

// Replace swaps all items for new ones (newest first).
func (f *Feed) Replace(items ...Item) {
	f.mu.Lock()
	f.items = append([]Item(nil), items...)
	f.version++
	f.mu.Unlock()
}

// Document renders the feed as RSS 2.0.
func (f *Feed) Document() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.document()
}

func (f *Feed) document() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>`)
	fmt.Fprintf(&b, "<title>%s</title><link>http://feed.example/</link>", html.EscapeString(f.title))
	if f.hub != "" {
		fmt.Fprintf(&b, `<atom:link rel="hub" href="%s"/><atom:link rel="self" href="%s"/>`, html.EscapeString(f.hub), html.EscapeString(f.self))
	}
	for _, it := range f.items {
		b.WriteString("<item>")
		fmt.Fprintf(&b, "<title>%s</title>", html.EscapeString(it.Title))
		if it.GUID != "" {
			fmt.Fprintf(&b, `<guid isPermaLink="false">%s</guid>`, html.EscapeString(it.GUID))
		}
		if it.Link != "" {
			fmt.Fprintf(&b, "<link>%s</link>", html.EscapeString(it.Link))
		}
		if it.Description != "" {
			fmt.Fprintf(&b, "<description>%s</description>", html.EscapeString(it.Description))
		}
		if !it.Published.IsZero() {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", it.Published.UTC().Format(time.RFC1123Z))
		}
		b.WriteString("</item>")
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

// ServeHTTP answers with the feed, or 304 when the poller already has
// this version.
func (f *Feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.Requests.Add(1)
	f.mu.Lock()
	etag := `"v` + strconv.Itoa(f.version) + `"`
	var doc []byte
	if r.Header.Get("If-None-Match") == "" || r.Header.Get("If-None-Match") != etag {
		doc = f.document()
	}
	f.mu.Unlock()
	if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
		f.Conditional.Add(1)
	}
	w.Header().Set("ETag", etag)
	if doc == nil {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Write(doc)
}

// Many serves n feeds at /feed/0 … /feed/n-1 that never change: every
// conditional request is answered 304. It is the benchmark's server.
type Many struct {
	N    int
	docs [][]byte
	// Requests and NotModified count what was asked and answered.
	Requests, NotModified atomic.Int64
}

// NewMany builds n small feeds of items each.
func NewMany(n, items int) *Many {
	m := &Many{N: n, docs: make([][]byte, n)}
	t := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for i := range n {
		var its []Item
		for j := range items {
			its = append(its, Item{
				GUID:        fmt.Sprintf("f%d-i%d", i, j),
				Title:       fmt.Sprintf("Feed %d item %d: parliament debates the budget", i, j),
				Link:        fmt.Sprintf("http://feed%d.example/%d", i, j),
				Description: "Lawmakers argued for hours over spending on roads, schools and defence.",
				Published:   t.Add(-time.Duration(j) * time.Hour),
			})
		}
		m.docs[i] = NewFeed(fmt.Sprintf("Feed %d", i), its...).Document()
	}
	return m
}

const manyETag = `"v1"`

// ServeHTTP serves /feed/{i}.
func (m *Many) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.Requests.Add(1)
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
	if err != nil || i < 0 || i >= m.N {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", manyETag)
	if r.Header.Get("If-None-Match") == manyETag {
		m.NotModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml")
	w.Write(m.docs[i])
}

// BigDocument renders an RSS feed of n tiny items (titles "000000",
// "000001" …, newest first), padded with a channel description to size
// bytes when that is more: the parse benchmark's and the memory test's
// feed. 300,000 items fit in 10 MiB.
func BigDocument(n, size int) []byte {
	const head = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<rss version="2.0"><channel><title>Big</title><link>http://big.example/</link><description>`
	const tail = "</channel></rss>\n"
	itemLen := len("<item><title>000000</title></item>")
	pad := max(0, size-len(head)-len("</description>")-n*itemLen-len(tail))
	var b strings.Builder
	b.Grow(len(head) + pad + n*itemLen + len(tail) + 16)
	b.WriteString(head)
	b.WriteString(strings.Repeat("x", pad))
	b.WriteString("</description>")
	for i := range n {
		fmt.Fprintf(&b, "<item><title>%06d</title></item>", i%1000000)
	}
	b.WriteString(tail)
	return []byte(b.String())
}

// Static serves one document, as it is, with its length, and counts the
// requests and the bytes written.
type Static struct {
	Doc         []byte
	ContentType string
	// Requests counts requests; Written the body bytes sent so far.
	Requests, Written atomic.Int64
}

// ServeHTTP writes the document in pieces, counting them.
func (s *Static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	ct := s.ContentType
	if ct == "" {
		ct = "application/rss+xml; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(s.Doc)))
	for doc := s.Doc; len(doc) > 0; {
		n := min(len(doc), 64<<10)
		if _, err := w.Write(doc[:n]); err != nil {
			return
		}
		s.Written.Add(int64(n))
		doc = doc[n:]
	}
}
