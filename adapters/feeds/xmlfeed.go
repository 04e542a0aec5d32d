package feeds

import (
	"bufio"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"

	"golang.org/x/text/transform"
)

// The kinds of XML feed.
const (
	kindRSS    = "rss" // RSS 0.9x and 2.0
	kindRDF    = "rdf" // RSS 0.90 and 1.0
	kindAtom   = "atom"
	kindAtom03 = "atom03"
)

// maxResyncs bounds how often one document is read past a broken part.
const maxResyncs = 10000

// parseXML reads an RSS, RDF or Atom document.
func (p *docParser) parseXML(text *bufio.Reader) error {
	in := getReader(&textReaders, transform.NewReader(text, &xmlFixer{}))
	defer putReader(&textReaders, in)
	r := newXMLReader(p.ctx, in, p.base)
	kind, container, err := p.xmlRoot(r)
	if err != nil {
		return err
	}
	openers := []string{"<item", "<entry"}
	for resyncs := 0; ; resyncs++ {
		err = p.xmlBody(r, kind)
		if err == nil || p.ctx.Err() != nil {
			return p.ctx.Err()
		}
		var syntax *xml.SyntaxError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.As(err, &syntax) && syntax.Msg == "unexpected EOF":
			// The end came inside an item or one of its fields.
			p.damage = append(p.damage, fmt.Sprintf("the document is cut off after %s", p.items()))
			return nil
		case syntax == nil:
			// The reader under the parse failed (the caller has its
			// error), or the decoder met what it cannot read past.
			p.damage = append(p.damage, fmt.Sprintf("stopped after %s: %v", p.items(), err))
			return nil
		}
		p.damage = append(p.damage, fmt.Sprintf("skipped a part that is not well-formed (line %d: %s)", syntax.Line, syntax.Msg))
		if resyncs >= maxResyncs || !skipTo(in, openers...) {
			return nil
		}
		r.restart(container)
	}
}

// xmlBody reads the document's feed-level fields and items until its end
// (nil) or an error it cannot read past.
func (p *docParser) xmlBody(r *xmlReader, kind string) error {
	for {
		ev, err := r.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if ev != evStart {
			continue
		}
		depth := r.depth()
		e := r.cur()
		if isItemElem(kind, e.name.Space, e.name.Local) && depth > 1 {
			for {
				it, next, err := p.xmlItem(r, kind, depth)
				if err != nil {
					return err // an item cut short is not kept
				}
				p.addItem(it)
				if !next {
					break
				}
				depth = r.depth()
			}
			continue
		}
		parent := r.parentOf(depth)
		if parent == nil || !isFeedElem(kind, parent.name.Local) {
			continue
		}
		if err := p.xmlFeedField(r, kind, depth); err != nil {
			return err
		}
	}
}

func isItemElem(kind, space, local string) bool {
	switch kind {
	case kindAtom, kindAtom03:
		return local == "entry" && (space == "atom" || space == "atom03" || space == "")
	}
	return local == "item" && space == ""
}

func isFeedElem(kind, local string) bool {
	switch kind {
	case kindAtom, kindAtom03:
		return local == "feed"
	}
	return local == "channel"
}

// xmlFeedField reads one child of the channel or feed element.
func (p *docParser) xmlFeedField(r *xmlReader, kind string, depth int) error {
	e := *r.cur()
	space, local := e.name.Space, e.name.Local
	atomish := space == "atom" || space == "atom03" || (space == "" && (kind == kindAtom || kind == kindAtom03))
	switch {
	case local == "link" && atomish:
		rel := strings.ToLower(strings.TrimSpace(r.attr("rel")))
		href := strings.TrimSpace(r.attr("href"))
		switch rel {
		case "hub":
			if p.hub == "" {
				p.hub = href
			}
		case "self":
			if p.self == "" {
				p.self = href
			}
		case "", "alternate":
			if p.link == "" && href != "" {
				p.link = resolveIn(&e, href)
				p.siteBase(r)
			}
		}
		if href != "" {
			return nil
		}
	case local == "title" && (space == "" || atomish):
		f, err := p.xmlTextField(r, kind, depth)
		if err != nil {
			return err
		}
		if p.title == "" {
			p.title = f.text()
		}
		return nil
	case local == "link" && space == "":
		s, _, err := r.readContent(depth)
		if err != nil {
			return err
		}
		if p.link == "" && strings.TrimSpace(s) != "" {
			p.link = resolveIn(&e, strings.TrimSpace(s))
			p.siteBase(r)
		}
		return nil
	case local == "language" && (space == "" || space == "dc"):
		s, _, err := r.readContent(depth)
		if err == nil && strings.TrimSpace(s) != "" {
			p.lang = strings.TrimSpace(s)
		}
		return err
	}
	return nil
}

// siteBase makes the site's address, once the feed names it, the base of
// relative links in a document read from a file: a file's own address
// would turn them into file: links, which are dropped.
func (p *docParser) siteBase(r *xmlReader) {
	site := p.fileSiteBase()
	if site == nil {
		return
	}
	for i := range r.open {
		if r.open[i].base == r.root {
			r.open[i].base = site
		}
	}
	r.root = site
}

// xmlTextField reads a text construct: Atom's by its type (and Atom 0.3's
// mode), RSS's by what it holds (see sniffField).
func (p *docParser) xmlTextField(r *xmlReader, kind string, depth int) (field, error) {
	typ := strings.ToLower(strings.TrimSpace(r.attr("type")))
	mode := strings.ToLower(strings.TrimSpace(r.attr("mode")))
	atom := kind == kindAtom || kind == kindAtom03 || r.start.Name.Space == "atom" || r.start.Name.Space == "atom03"
	s, markup, err := r.readContent(depth)
	if err != nil {
		return field{}, err
	}
	if !atom {
		if markup {
			return field{s: s, html: true}, nil
		}
		return field{s: s, sniff: true}, nil
	}
	if mode == "base64" {
		raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return field{}, nil // not readable: as if empty
		}
		s, markup = decodeText(raw, "", false), false
		if typ == "" {
			typ = "text/plain"
		}
	}
	if mode == "escaped" {
		return field{s: s, html: true}, nil
	}
	if markup {
		return field{s: s, html: true}, nil // xhtml, or markup however typed
	}
	switch {
	case typ == "" || typ == "text" || typ == "text/plain":
		return field{s: s}, nil
	case typ == "html" || typ == "text/html" || typ == "xhtml" || typ == "application/xhtml+xml":
		return field{s: s, html: true}, nil
	case strings.HasPrefix(typ, "text/"):
		return field{s: s}, nil
	}
	return field{}, nil // binary content is no text
}

// xmlItem reads one item or entry (opened at depth) to its end.
// An item never holds another: the start of one inside an item ends it,
// as a feed reader reads an item whose end tag was left out; next says
// the reader is at the start of that next item.
func (p *docParser) xmlItem(r *xmlReader, kind string, depth int) (it *rawItem, next bool, err error) {
	it = &rawItem{lang: r.cur().lang}
	skipUntil := 0 // the depth of an Atom <source> being passed over
	for {
		ev, err := r.next()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, false, err
		}
		if ev == evEnd {
			switch r.endDepth {
			case depth:
				return it, false, nil
			case skipUntil:
				skipUntil = 0
			}
			continue
		}
		if ev != evStart || skipUntil != 0 {
			continue
		}
		d := r.depth()
		e := *r.cur()
		space, local := e.name.Space, e.name.Local
		if isItemElem(kind, space, local) {
			return it, true, nil
		}
		if d == depth+1 && (space == "atom" || space == "atom03" || space == "" && kind != kindRSS && kind != kindRDF) && local == "source" {
			skipUntil = d
			continue
		}
		if err := p.xmlItemField(r, it, kind, &e, d, d == depth+1); err != nil {
			return nil, false, err
		}
	}
}

// xmlItemField reads one element inside an item. direct says it is a
// child of the item, not deeper (media:group holds media:content).
func (p *docParser) xmlItemField(r *xmlReader, it *rawItem, kind string, e *openElem, d int, direct bool) error {
	space, local := e.name.Space, e.name.Local
	atomKind := kind == kindAtom || kind == kindAtom03
	core := space == "" || atomKind && (space == "atom" || space == "atom03")
	text := func() (string, error) {
		s, _, err := r.readContent(d)
		return strings.TrimSpace(s), err
	}
	switch {
	case space == "media" && (local == "content" || local == "thumbnail"):
		u := strings.TrimSpace(r.attr("url"))
		if local == "thumbnail" {
			it.setImage(resolveIn(e, u), imageThumbnail)
		} else if isImage(r.attr("medium"), r.attr("type"), u) {
			it.setImage(resolveIn(e, u), imageContent)
		}
		return nil
	case space == "media" && local == "description":
		s, markup, err := r.readContent(d)
		if err == nil && it.fallback.empty() {
			it.fallback = field{s: s, html: markup || strings.EqualFold(r.attr("type"), "html")}
		}
		return err
	case !direct:
		return nil
	case local == "title" && (core || space == "dc"):
		f, err := p.xmlTextField(r, kind, d)
		if err == nil && it.title.empty() {
			it.title = f
		}
		return err
	case local == "link" && (atomKind && core || space == "atom" || space == "atom03"):
		rel := strings.ToLower(strings.TrimSpace(r.attr("rel")))
		href, typ := strings.TrimSpace(r.attr("href")), r.attr("type")
		switch rel {
		case "", "alternate":
			if it.link == "" || typ == "text/html" {
				it.link = resolveIn(e, href)
			}
		case "enclosure":
			if isImage("", typ, href) {
				it.setImage(resolveIn(e, href), imageEnclosure)
			}
		}
		return nil
	case local == "link" && space == "":
		s, err := text()
		if s == "" {
			s = strings.TrimSpace(r.attr("href"))
		}
		if err == nil && it.link == "" && s != "" {
			it.link = resolveIn(e, s)
		}
		return err
	case local == "guid" && space == "" || local == "id" && core && atomKind:
		s, err := text()
		if err == nil && it.guid == "" {
			it.guid = s
			it.permalink = local == "guid" && !strings.EqualFold(strings.TrimSpace(r.attr("isPermaLink")), "false")
			if it.permalink {
				// Only a GUID that is a web address is one: most feeds
				// leave out isPermaLink="false" on their "post-123".
				it.guidLink = safeLink(s)
			}
		}
		return err
	case local == "description" && space == "" || local == "summary" && core && atomKind:
		f, err := p.xmlTextField(r, kind, d)
		if err == nil && it.desc.empty() {
			it.desc = f
		}
		return err
	case local == "content" && core && atomKind,
		local == "encoded" && space == "content",
		local == "body" && (space == "xhtml" || space == ""),
		local == "fullitem",
		// Russian outlets' feeds for Yandex carry the whole article
		// there, the description being a teaser.
		local == "full-text" && space == "yandex",
		local == "content" && space == "turbo":
		var f field
		var err error
		if local == "content" && space != "turbo" {
			f, err = p.xmlTextField(r, kind, d)
		} else {
			var s string
			var markup bool
			s, markup, err = r.readContent(d)
			f = field{s: s, html: true}
			if (local == "body" && space == "" || local == "full-text") && !markup {
				f = field{s: s, sniff: true}
			}
		}
		if err == nil && it.content.empty() {
			it.content = f
		}
		return err
	case local == "summary" && space == "itunes":
		s, markup, err := r.readContent(d)
		if err == nil && it.fallback.empty() {
			it.fallback = field{s: s, html: markup, sniff: !markup}
		}
		return err
	case local == "enclosure" && space == "":
		u := strings.TrimSpace(r.attr("url"))
		if isImage("", r.attr("type"), u) {
			it.setImage(resolveIn(e, u), imageEnclosure)
		}
		return nil
	case local == "image" && space == "itunes":
		it.setImage(resolveIn(e, strings.TrimSpace(r.attr("href"))), imageEnclosure)
		return nil
	case local == "language" && space == "dc":
		s, err := text()
		if err == nil && s != "" {
			it.lang = s
		}
		return err
	}
	// Dates.
	var published, updated bool
	atomExt := space == "atom" || space == "atom03" // Atom's dates in RSS too
	switch {
	case (core || atomExt) && (local == "pubDate" || local == "published" || local == "issued" || local == "created"):
		published = true
	case (core || atomExt) && (local == "updated" || local == "modified"):
		updated = true
	case space == "dc" && local == "date":
		published = true
	case space == "dcterms" && (local == "issued" || local == "created" || local == "available" || local == "date" || local == "dateAccepted" || local == "dateSubmitted"):
		published = true
	case space == "dcterms" && local == "modified":
		updated = true
	default:
		return nil
	}
	s, err := text()
	if err != nil {
		return err
	}
	if t := parseDate(s); !t.IsZero() {
		switch {
		case published && it.published.IsZero():
			it.published = t
		case updated && it.updated.IsZero():
			it.updated = t
		}
	}
	return nil
}

// resolveIn resolves a link against the element's base (xml:base, else
// Content-Location, else the feed's URL).
func resolveIn(e *openElem, ref string) string {
	if ref == "" {
		return ""
	}
	u, err := feedResolveURL(e.base, ref)
	if err != nil {
		return ""
	}
	return u.String()
}

// isImage reports whether a media object is an image: by its medium, its
// MIME type, or failing both the extension of its URL.
func isImage(medium, typ, u string) bool {
	if u == "" {
		return false
	}
	if medium != "" {
		return strings.EqualFold(strings.TrimSpace(medium), "image")
	}
	if typ != "" {
		mt, _, _ := mime.ParseMediaType(typ)
		return strings.HasPrefix(mt, "image/")
	}
	switch strings.ToLower(path.Ext(strings.SplitN(u, "?", 2)[0])) {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif":
		return true
	}
	return false
}
