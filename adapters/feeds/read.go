package feeds

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/herald-news/herald/alerts"
	"golang.org/x/net/html"
)

// ReadArticles reads the articles in a file given its name and contents:
// a feed document (RSS, Atom, JSON Feed: one article per item, the newest
// DefaultMaxItems), an HTML page (title from og:title, <title> or <h1>;
// text by readability, else from <article>, <main> or the body without
// navigation), or scraped text (first line the title), in whatever
// encoding (see textReader). The source of a page or text is taken from
// the page or, failing that, left empty.
func ReadArticles(name string, data []byte) ([]alerts.Article, error) {
	doc, err := readDocument(context.Background(), bytes.NewReader(data), name, docMeta{FeedURL: fileURL(name)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return doc.Articles, nil
}

// DocumentReader reads files and URLs into articles exactly as ingest
// makes them: `herald read`. URLs go through the guarded fetcher of feeds
// added from chat.
type DocumentReader struct {
	fetch   *fetcher
	guarded bool
}

// ReaderOptions configure a DocumentReader.
type ReaderOptions struct {
	// AllowPrivate lets URLs reach private addresses
	// (HERALD_ALLOW_PRIVATE_FEEDS).
	AllowPrivate bool
	Fetch        FetchOptions
	UserAgent    string
}

// NewDocumentReader returns a reader of documents.
func NewDocumentReader(opts ReaderOptions) *DocumentReader {
	return &DocumentReader{fetch: newFetcher(opts.Fetch, opts.UserAgent), guarded: !opts.AllowPrivate}
}

// Read reads the articles of a file path or an http(s) URL. The error says
// what is wrong, without naming the source (the caller does).
func (d *DocumentReader) Read(ctx context.Context, source string) ([]alerts.Article, error) {
	doc, err := d.ReadDocument(ctx, source)
	return doc.Articles, err
}

// Document is what a document read into.
type Document struct {
	Articles []alerts.Article
	// Damage says what the tolerant parse of a feed read past ("the
	// document is cut off after 12 items"), if anything.
	Damage []string
}

// ReadDocument is Read, telling also what was read past.
func (d *DocumentReader) ReadDocument(ctx context.Context, source string) (Document, error) {
	var doc Document
	read := func(body io.Reader, meta docMeta) (err error) {
		doc, err = readDocument(ctx, body, source, meta)
		return err
	}
	if u, err := url.Parse(source); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		_, err := d.fetch.fetch(ctx, fetchRequest{URL: source, Guarded: d.guarded}, func(res *fetchResult, body io.Reader) error {
			return read(body, docMeta{ContentType: res.ContentType, FeedURL: source, ContentLocation: res.ContentLocation})
		})
		return doc, err
	}
	f, err := os.Open(source)
	if err != nil {
		return doc, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return doc, err
	}
	res := &fetchResult{Size: st.Size()}
	err = d.fetch.readBody(ctx, res, f, func(_ *fetchResult, body io.Reader) error {
		return read(body, docMeta{FeedURL: fileURL(source)})
	}, nil)
	return doc, err
}

// readDocument reads a feed, a page or a text, told apart by their start
// (then by the Content-Type, then by name's extension).
func readDocument(ctx context.Context, r io.Reader, name string, meta docMeta) (doc Document, err error) {
	defer recoverParse(&err)
	src := &sourceReader{r: r}
	tr := newTextReader(src, meta.ContentType, false)
	defer tr.release()
	if tr.Binary != "" {
		return Document{}, fmt.Errorf("it is %s, not a feed, a page or text", binaryWhat(tr.Binary))
	}
	text := getReader(&textReaders, tr)
	defer putReader(&textReaders, text)
	head, _ := text.Peek(2048)
	if src.failed() {
		return Document{}, src.err
	}
	switch sniff(name, meta.ContentType, head) {
	case kindFeed:
		pf, err := parseFeedText(ctx, text, src, meta, DefaultMaxItems)
		if err != nil {
			return Document{}, err
		}
		return Document{Articles: pf.Items, Damage: pf.Damage}, nil
	case kindHTML:
		data, err := io.ReadAll(io.LimitReader(text, maxRawBody))
		if src.err != nil {
			return Document{}, src.err
		}
		if err != nil {
			return Document{}, err
		}
		pageURL := meta.base().String()
		p := readPage(data, pageURL)
		a := alerts.Article{Title: p.Title, Body: p.Body, URL: p.URL, Lang: langTag(p.Lang), Source: p.SiteName, Image: p.Image}
		if a.URL == "" && strings.HasPrefix(pageURL, "http") {
			a.URL = pageURL
		}
		a = cleanArticle(a, false)
		if a.Source == "" && a.URL != "" {
			if u, err := url.Parse(a.URL); err == nil {
				a.Source = strings.TrimPrefix(u.Hostname(), "www.")
			}
		}
		if a.Title == "" && a.Body == "" {
			return Document{}, fmt.Errorf("the HTML page has no title and no text")
		}
		return Document{Articles: []alerts.Article{a}}, nil
	}
	a, err := ParseText(text, "")
	if src.err != nil {
		return Document{}, src.err
	}
	if err != nil {
		return Document{}, err
	}
	return Document{Articles: []alerts.Article{a}}, nil
}

// firstElement returns the name of the first element of a document's
// start, in lower case, or "" when there is none in it.
func firstElement(head []byte) string {
	z := html.NewTokenizer(bytes.NewReader(head))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			return string(name)
		}
	}
}

func fileURL(name string) string {
	if strings.Contains(name, "://") {
		return name
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

type docKind int

const (
	kindText docKind = iota
	kindHTML
	kindFeed
)

// sniff tells a feed document from an HTML page from scraped text by the
// (decoded) document's start, then by the Content-Type, then by the
// name's extension.
func sniff(name, contentType string, data []byte) docKind {
	head := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(head) > 2048 {
		head = head[:2048]
	}
	lower := bytes.ToLower(head)
	if bytes.HasPrefix(lower, []byte("<")) {
		// By the first element, past the declaration, comments and
		// DOCTYPE: a feed's items may quote a whole page further on.
		switch firstElement(head) {
		case "rss", "feed", "rdf:rdf", "channel":
			return kindFeed
		case "html", "head", "body":
			return kindHTML
		case "":
			if bytes.HasPrefix(lower, []byte("<!doctype html")) {
				return kindHTML
			}
			if bytes.HasPrefix(lower, []byte("<?xml")) {
				return kindFeed
			}
		}
	}
	if bytes.HasPrefix(lower, []byte("{")) && bytes.Contains(lower, []byte("jsonfeed.org")) {
		return kindFeed
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml", "application/xml", "text/xml":
		return kindFeed
	case "text/html", "application/xhtml+xml":
		return kindHTML
	case "text/plain":
		return kindText
	}
	u, err := url.Parse(name)
	if err == nil && u.Scheme != "" {
		name = u.Path
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".rss", ".atom", ".xml", ".rdf", ".json":
		return kindFeed
	case ".html", ".htm", ".xhtml":
		return kindHTML
	}
	return kindText
}
