package feeds

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/herald-news/herald/alerts"
)

// A feed is read as a stream: its text is decoded as it arrives (see
// textReader), its items are read one by one, and only the newest
// maxItems of them are kept, so what a parse costs in memory is bounded by
// what Herald keeps, not by what the feed sends. Nothing of the document
// is kept once its items are read.
//
// The parse is tolerant, as feed readers are: a bare "&" or "<", an
// undefined entity, a tag closed out of order is read past; a part that
// cannot be read (a broken CDATA section, a stray byte sequence) is
// skipped to the next item; a document cut short keeps the items it
// completed. Only a document in which no feed can be recognised is an
// error, and the error says what was found.

// DefaultMaxItems is how many items of one document are kept: the newest.
const DefaultMaxItems = 1000

// ParseFeed reads an RSS (0.9x, 1.0, 2.0), Atom (0.3, 1.0) or JSON Feed
// document and returns its newest items (at most DefaultMaxItems, in the
// document's order) as cleaned articles. feedURL resolves relative links
// and names the source when the feed has no title; it may be empty. The
// error says what the document is instead ("not an RSS, Atom or JSON feed
// (it looks like an HTML page)"); the caller says which feed.
func ParseFeed(data []byte, feedURL string) ([]alerts.Article, error) {
	pf, err := parseFeedDoc(context.Background(), bytes.NewReader(data), docMeta{FeedURL: feedURL}, DefaultMaxItems)
	if err != nil {
		return nil, err // the caller names the feed or file
	}
	return pf.Items, nil
}

// docMeta is what is known of a document besides its bytes.
type docMeta struct {
	// ContentType is the HTTP Content-Type; it may name the charset.
	ContentType string
	// FeedURL is where the document came from; ContentLocation is the
	// server's Content-Location, which relative links resolve against
	// before the feed's URL.
	FeedURL, ContentLocation string
}

// base is the URL relative links resolve against when the document says
// no xml:base: Content-Location, else the feed's URL.
func (m docMeta) base() *url.URL {
	feed, _ := url.Parse(m.FeedURL)
	if m.ContentLocation != "" {
		if u, err := feedResolveURL(feed, m.ContentLocation); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			return u
		}
	}
	return feed
}

// parsedFeed is a feed document as the poller needs it.
type parsedFeed struct {
	Title string
	// Hub and Self are the WebSub hub and topic the feed names, if any.
	Hub, Self string
	// Link is the site the feed belongs to.
	Link string
	// Items are the newest items, in the document's order (newest first,
	// as feeds list them), cleaned.
	Items []alerts.Article
	// Skipped counts the items left out as older than the newest
	// maxItems.
	Skipped int
	// Damage says what the tolerant parse read past, if anything ("the
	// document is cut off after 12 items").
	Damage []string
}

// errNotAFeed is returned (wrapped) for documents in which no feed can be
// recognised.
var errNotAFeed = errors.New("not an RSS, Atom or JSON feed")

// parseFeedDoc reads a feed document from r. It stops, with ctx's error,
// when ctx ends.
func parseFeedDoc(ctx context.Context, r io.Reader, meta docMeta, maxItems int) (pf *parsedFeed, err error) {
	defer recoverParse(&err)
	src := &sourceReader{r: r}
	tr := newTextReader(src, meta.ContentType, false)
	defer tr.release()
	if tr.Binary != "" {
		return nil, fmt.Errorf("%w: it is %s", errNotAFeed, binaryWhat(tr.Binary))
	}
	text := getReader(&textReaders, tr)
	defer putReader(&textReaders, text)
	return parseFeedText(ctx, text, src, meta, maxItems)
}

// parseFeedText is parseFeedDoc on the document's text; src is what the
// text is decoded from.
func parseFeedText(ctx context.Context, text *bufio.Reader, src *sourceReader, meta docMeta, maxItems int) (*parsedFeed, error) {
	first, err := firstNonSpace(text)
	if src.failed() {
		return nil, src.err
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if maxItems <= 0 {
		maxItems = DefaultMaxItems
	}
	p := &docParser{ctx: ctx, meta: meta, base: meta.base(), keep: newItemKeeper(maxItems), now: time.Now()}
	if first != '<' && first != '{' && first != '[' && first != 0 {
		if f, skipped := skipToFeedStart(text); skipped > 0 {
			first = f
			p.damage = append(p.damage, fmt.Sprintf("read past %d bytes of text before the feed", skipped))
		}
	}
	switch first {
	case 0:
		return nil, fmt.Errorf("%w: the document is empty", errNotAFeed)
	case '<':
		err = p.parseXML(text)
	case '{':
		err = p.parseJSON(text)
	case '[':
		return nil, fmt.Errorf("%w: it is a JSON array, not a JSON Feed object", errNotAFeed)
	default:
		head, _ := text.Peek(60)
		return nil, fmt.Errorf("%w: it starts with text (%q)", errNotAFeed, cutRunes(string(head), 40))
	}
	if src.failed() || src.err != nil && p.pos == 0 {
		return nil, src.err // the network or a limit, not the document
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	return p.finish(), nil
}

// recoverParse turns a panic in a parse into the parse's error: a bug
// that one hostile document finds costs that document, not every feed of
// the process.
func recoverParse(err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("the document could not be read (an internal error: %v); please report it with the document", v)
	}
}

// sourceReader remembers the error of the reader under the parse (a
// network failure, the size cap, a cancelled context): the parse reads it
// as the end of the document, but the fetch has failed.
type sourceReader struct {
	r   io.Reader
	err error
}

// failed reports whether the fetch failed. A document past the size cap
// has not: it is read as far as the cap, as a document cut short is, and
// keeps the items of its first part (the newest: feeds list them first)
// rather than fail each poll; it fails only with no item in that part.
func (s *sourceReader) failed() bool {
	return s.err != nil && !errors.Is(s.err, errBodyTooLarge)
}

func (s *sourceReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// firstNonSpace returns the first byte of r that is not white space (or a
// BOM left in the text), without consuming it; 0 for an empty document.
func firstNonSpace(r *bufio.Reader) (byte, error) {
	for {
		b, err := r.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\n', '\r':
			r.Discard(1)
			continue
		case 0xEF:
			if bom, _ := r.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
				r.Discard(3)
				continue
			}
		}
		return b[0], nil
	}
}

// feedStartRE finds where a feed starts in text printed before it (a PHP
// notice, a debugging line): an XML declaration, a feed's root element,
// or a JSON Feed's version.
var feedStartRE = regexp.MustCompile(`<\?xml\s|<rss[\s>]|<feed[\s>]|<rdf:RDF[\s>]|\{\s*"version"\s*:`)

// maxLeadingText bounds the text read past before a feed starts.
const maxLeadingText = 8 << 10

// skipToFeedStart reads past text before a feed's start, if one begins
// in the first maxLeadingText bytes: its first byte and how many were
// read past, else 0, 0.
func skipToFeedStart(r *bufio.Reader) (byte, int) {
	head, _ := r.Peek(maxLeadingText)
	loc := feedStartRE.FindIndex(head)
	if loc == nil {
		return 0, 0
	}
	first := head[loc[0]]
	r.Discard(loc[0])
	return first, loc[0]
}

// cutRunes cuts s to at most n runes, marking the cut.
func cutRunes(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// docParser collects one document's feed-level fields and items.
type docParser struct {
	ctx  context.Context
	meta docMeta
	base *url.URL
	keep *itemKeeper
	now  time.Time

	title, link, lang, hub, self string
	pos                          int // items seen, in document order
	damage                       []string
}

// fileSiteBase returns the site's address (the feed's link) as the base
// for relative links when the document's base is a file's address, else
// nil.
func (p *docParser) fileSiteBase() *url.URL {
	if p.base == nil || p.base.Scheme != "file" {
		return nil
	}
	site, err := url.Parse(p.link)
	if err != nil || site.Scheme != "http" && site.Scheme != "https" || site.Host == "" {
		return nil
	}
	p.base = site
	return site
}

// items says how many items were read: "1 item", "12 items".
func (p *docParser) items() string {
	if p.pos == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", p.pos)
}

// addItem hands one complete item to the keeper.
func (p *docParser) addItem(it *rawItem) {
	it.pos = p.pos
	p.pos++
	p.keep.add(it)
}

// finish turns the kept items into cleaned articles.
func (p *docParser) finish() *parsedFeed {
	pf := &parsedFeed{
		Title:   cleanTextLine(p.title), // text already: see xmlFeedField, parseJSON
		Link:    p.link,
		Hub:     strings.TrimSpace(p.hub),
		Self:    strings.TrimSpace(p.self),
		Skipped: p.keep.dropped,
		Damage:  p.damage,
	}
	source := pf.Title
	if source == "" {
		source = feedDomain(p.meta.FeedURL, p.link)
	}
	for _, it := range p.keep.items() {
		if a, ok := it.article(source, p.lang, p.now); ok {
			pf.Items = append(pf.Items, a)
		}
	}
	return pf
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
