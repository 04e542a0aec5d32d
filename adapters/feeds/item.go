package feeds

import (
	"container/heap"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
)

// field is one text field of an item as the feed gave it.
type field struct {
	s string
	// html says the field is markup, to be read as HTML once; otherwise
	// it is plain text and read literally ("Why <script> tags matter").
	html bool
	// sniff says the format leaves the kind open: sniffField decides,
	// once the item is kept.
	sniff bool
}

func (f field) empty() bool { return strings.TrimSpace(f.s) == "" }

// text is a title as plain text.
func (f field) text() string { return f.plain(false) }

// body is a body as plain text.
func (f field) body() string { return f.plain(true) }

// plain is the field as plain text. A body (not a title) that starts with
// an HTML tag is HTML even when the format leaves the kind open. HTML that
// comes out of its first reading still starting with a tag was escaped
// twice, and is read again: in a title only if the tag is one that only
// markup has ("<b>Breaking</b>"), not words about a tag.
func (f field) plain(body bool) string {
	if f.sniff {
		f = sniffField(f.s)
		f.html = f.html || body && leadingTagRE.MatchString(f.s)
	}
	if !f.html {
		return f.s
	}
	s := htmlToText(f.s)
	if leadingTagRE.MatchString(s) && (body || markupRE.MatchString(s)) {
		s = htmlToText(s)
	}
	return s
}

// sniffField reads a field whose kind the format leaves open (RSS titles
// and descriptions): it is HTML when it carries markup that only HTML
// would (a closing tag, an attribute, a <br>, an entity reference left by
// escaping twice); text that merely contains "<" or "&" is text.
func sniffField(s string) field {
	return field{s: s, html: markupRE.MatchString(s) || strings.Contains(s, "&") && entityRE.MatchString(s)}
}

// leadingTagRE finds a text that starts with an HTML element no plain
// text starts with: "<p>The president said", a body whose closing tag was
// cut off with its end.
var leadingTagRE = regexp.MustCompile(`(?i)^\s*<(?:p|div|span|b|strong|em|i|h[1-6]|ul|ol|li|blockquote|table|figure|section|article|center|font|img|a|br)(?:\s[^>]*)?/?>`)

// markupRE finds what only markup has: a closing tag of an HTML element,
// an element with an attribute, or an empty element such as <br>.
var markupRE = regexp.MustCompile(`(?i)</(?:p|div|span|a|b|i|u|s|em|strong|small|big|sup|sub|font|center|li|ul|ol|dl|dt|dd|h[1-6]|blockquote|q|cite|code|pre|table|tbody|thead|tr|td|th|figure|figcaption|section|article|header|footer|aside|nav|main|iframe|script|style|noscript|object|embed|video|audio|picture|time|abbr|mark|label|button|form|select|textarea|svg)\s*>|<(?:a|p|div|span|img|font|iframe|script|style|table|td|tr|object|embed|video|audio|source|link|meta|input|form|svg)\s+[a-z-]+\s*=|<(?:br|hr|wbr)\s*/?>|<img\b[^>]*>`)

// rawItem is one item as read, before cleaning.
type rawItem struct {
	pos int // in the document, from 0

	title field
	// link is the item's own link (resolved, any scheme: checked when
	// the article is made); guid and whether it is a permalink.
	link, guid string
	// permalink says the GUID is the item's address, guidLink, resolved.
	permalink bool
	guidLink  string
	// content is the full text (content:encoded, Atom content, xhtml:body,
	// body, fullitem); desc the description or summary; fallback a body
	// of last resort (media:description, itunes:summary).
	content, desc, fallback field
	published, updated      time.Time
	lang                    string
	// image is the best image candidate so far, of imageRank.
	image     string
	imageRank int
}

// Image candidates, best first.
const (
	imageNone = iota
	imageEnclosure
	imageThumbnail
	imageContent
)

// setImage keeps an image URL if it is one a chat may show (see
// safeImageURL) and ranks above the one held.
func (it *rawItem) setImage(u string, rank int) {
	if rank > it.imageRank {
		if u = safeImageURL(u); u != "" {
			it.image, it.imageRank = u, rank
		}
	}
}

// date is when the item was published, else when it was updated.
func (it *rawItem) date() time.Time {
	if !it.published.IsZero() {
		return it.published
	}
	return it.updated
}

// article makes the cleaned article of an item; ok is false for an item
// with nothing in it.
func (it *rawItem) article(source, feedLang string, now time.Time) (alerts.Article, bool) {
	a := alerts.Article{
		GUID:   safeGUID(it.guid),
		Title:  it.title.text(),
		Source: source,
		Lang:   feedLang,
		Image:  safeImageURL(it.image),
	}
	if it.lang != "" {
		a.Lang = it.lang
	}
	a.URL = safeLink(it.link)
	if a.URL == "" && it.permalink {
		a.URL = safeLink(it.guidLink) // a permalink GUID is the link
	}
	content, desc := it.content.body(), it.desc.body()
	switch {
	case strings.TrimSpace(content) == "":
		a.Body = desc
	case len(strings.TrimSpace(desc)) > len(strings.TrimSpace(content)):
		a.Body = desc
	default:
		a.Body = content
		if strings.TrimSpace(desc) != "" && strings.TrimSpace(desc) != strings.TrimSpace(content) {
			a.Summary = desc // the feed's own summary of the full text
		}
	}
	if strings.TrimSpace(a.Body) == "" {
		a.Body = it.fallback.body()
	}
	if strings.TrimSpace(a.Title) == "" && strings.TrimSpace(a.Body) == "" {
		if a.URL == "" {
			return a, false // nothing to tell
		}
		a.Title = a.URL
	}
	if d := it.date(); !d.IsZero() && !d.After(now.Add(48*time.Hour)) {
		// A date far in the future is a feed's mistake, not news from it.
		a.Published = d.UTC()
	}
	a = cleanArticle(a, false)
	if a.Title == "" {
		return a, false
	}
	return a, true
}

// itemKeeper keeps the newest items of a document, up to max: the
// poller's cap per poll. Undated items count as older than dated ones,
// and of two items alike the one earlier in the document (feeds list
// newest first) as newer.
type itemKeeper struct {
	max     int
	h       itemHeap // the oldest kept on top
	dropped int
}

func newItemKeeper(max int) *itemKeeper { return &itemKeeper{max: max} }

func (k *itemKeeper) add(it *rawItem) {
	if len(k.h) < k.max {
		heap.Push(&k.h, it)
		return
	}
	k.dropped++
	if older(k.h[0], it) {
		k.h[0] = it
		heap.Fix(&k.h, 0)
	}
}

// items returns the kept items in document order.
func (k *itemKeeper) items() []*rawItem {
	out := slices.Clone([]*rawItem(k.h))
	slices.SortFunc(out, func(a, b *rawItem) int { return a.pos - b.pos })
	return out
}

// older reports whether a is older than b.
func older(a, b *rawItem) bool {
	da, db := a.date(), b.date()
	if da.IsZero() != db.IsZero() {
		return da.IsZero()
	}
	if !da.Equal(db) {
		return da.Before(db)
	}
	return a.pos > b.pos
}

type itemHeap []*rawItem

func (h itemHeap) Len() int           { return len(h) }
func (h itemHeap) Less(i, j int) bool { return older(h[i], h[j]) }
func (h itemHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *itemHeap) Push(x any)        { *h = append(*h, x.(*rawItem)) }
func (h *itemHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
