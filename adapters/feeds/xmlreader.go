package feeds

import (
	"bufio"
	"context"
	"encoding/xml"
	"html"
	"io"
	"net/url"
	"strings"
)

// xmlReader walks an XML document as a stream of events, forgiving as a
// feed reader must be: it takes the decoder's raw tokens (non-strict:
// bare "&", undefined entities and attributes without values pass) and
// does the rest itself. Namespaces are resolved to short keys ("atom",
// "dc", "media"; a prefix nobody declared stands for its usual namespace),
// an end tag closes every element opened after the one it names, and an
// end tag that names no open element is ignored. xml:base and xml:lang are
// tracked per element.
type xmlReader struct {
	ctx  context.Context
	in   *bufio.Reader
	dec  *xml.Decoder
	open []openElem
	// ns holds, for each prefix in scope, the namespaces declared for
	// it, innermost last: a name resolves in constant time however deep
	// the document nests.
	ns   map[string][]nsBinding
	root *url.URL // the document's base before any xml:base
	// core is the key of an unknown namespace the feed's root element
	// is in: read as no namespace.
	core   string
	tokens int
	// entities are the HTML entities and those the document's DOCTYPE
	// declares, once it declares any (else nil).
	entities map[string]string
	// deep counts, by name, the elements opened past maxDepth, which are
	// read as if they were not there (their text stays); at most
	// maxDeepNames names are told apart.
	deep map[xml.Name]int

	// The current event.
	start     xml.StartElement // with attribute names resolved
	text      []byte           // valid until the next event
	endDepth  int              // the depth of the element an evEnd closed
	lastEnded string           // and its local name
	ends      int              // further elements closed by the last end tag
	html      bool             // a DOCTYPE named html
}

type openElem struct {
	raw  xml.Name // as written, to match end tags
	name xml.Name // Space is a namespace key
	// declared are the prefixes this element declared, to take out of
	// scope when it ends.
	declared []string
	base     *url.URL
	lang     string
}

// nsBinding is a prefix's namespace (by key) and the depth of the element
// that declared it.
type nsBinding struct {
	key   string
	depth int
}

// maxDepth bounds how deep elements nest, as HTML parsers bound it: no
// feed nests 512 deep, and a document that does must not make each end
// tag cost a walk down thousands of open elements.
const maxDepth = 512

// maxDeepNames bounds the names of elements past maxDepth kept apart.
const maxDeepNames = 64

const (
	evStart = iota
	evText
	evEnd
)

func newXMLReader(ctx context.Context, in *bufio.Reader, root *url.URL) *xmlReader {
	r := &xmlReader{ctx: ctx, in: in, root: root, ns: map[string][]nsBinding{}, deep: map[xml.Name]int{}}
	r.restart(0)
	return r
}

// restart reads on with a fresh decoder (after a syntax error the old one
// is spent), keeping the first keep open elements.
func (r *xmlReader) restart(keep int) {
	r.dec = xml.NewDecoder(r.in)
	r.dec.Strict = false
	r.dec.Entity = xml.HTMLEntity
	if r.entities != nil {
		r.dec.Entity = r.entities
	}
	// The text is UTF-8 by now, whatever a declaration the fixer did not
	// drop (one after a comment) says.
	r.dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	for len(r.open) > keep {
		r.pop()
	}
	r.ends = 0
	clear(r.deep)
}

func (r *xmlReader) depth() int { return len(r.open) }

// cur is the element the last evStart opened.
func (r *xmlReader) cur() *openElem { return &r.open[len(r.open)-1] }

// parent is the element at depth-1 of the one at depth, or nil.
func (r *xmlReader) parentOf(depth int) *openElem {
	if depth < 2 || depth-2 >= len(r.open) {
		return nil
	}
	return &r.open[depth-2]
}

// next reads the next event. It returns io.EOF at the end of the
// document, the decoder's error for what cannot be read past, and ctx's
// error once ctx ends.
func (r *xmlReader) next() (int, error) {
	if r.ends > 0 {
		r.ends--
		r.pop()
		return evEnd, nil
	}
	for {
		r.tokens++
		if r.tokens&1023 == 0 && r.ctx.Err() != nil {
			return 0, r.ctx.Err()
		}
		tok, err := r.dec.RawToken()
		if err != nil {
			return 0, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(r.open) >= maxDepth {
				if _, ok := r.deep[t.Name]; ok || len(r.deep) < maxDeepNames {
					r.deep[t.Name]++
				}
				continue
			}
			r.push(t)
			return evStart, nil
		case xml.EndElement:
			if n := r.deep[t.Name]; n > 0 {
				r.deep[t.Name] = n - 1 // the end of an element too deep to be opened
				continue
			}
			for i := len(r.open) - 1; i >= 0; i-- {
				if r.open[i].raw == t.Name {
					clear(r.deep) // whatever was opened too deep ends with it
					r.ends = len(r.open) - 1 - i
					r.pop()
					return evEnd, nil
				}
			}
			// An end tag for nothing open: ignored.
		case xml.CharData:
			r.text = t
			return evText, nil
		case xml.Directive:
			if d := strings.ToLower(string(t)); strings.HasPrefix(d, "doctype html") {
				r.html = true
			}
			r.declareEntities(t)
		}
	}
}

func (r *xmlReader) pop() {
	top := &r.open[len(r.open)-1]
	r.endDepth = len(r.open)
	r.lastEnded = top.raw.Local
	for _, prefix := range top.declared {
		keys := r.ns[prefix]
		if len(keys) <= 1 {
			delete(r.ns, prefix)
		} else {
			r.ns[prefix] = keys[:len(keys)-1]
		}
	}
	r.open = r.open[:len(r.open)-1]
}

func (r *xmlReader) push(t xml.StartElement) {
	e := openElem{raw: t.Name, base: r.root}
	if len(r.open) > 0 {
		p := r.open[len(r.open)-1]
		e.base, e.lang = p.base, p.lang
	}
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			r.declare(&e, "", a.Value)
		case a.Name.Space == "xmlns":
			r.declare(&e, a.Name.Local, a.Value)
		}
	}
	r.open = append(r.open, e)
	top := &r.open[len(r.open)-1]
	top.name = xml.Name{Space: r.resolve(t.Name.Space), Local: canonicalName(t.Name.Local)}
	if top.name.Space == r.core && r.core != "" {
		top.name.Space = ""
	}
	r.start = xml.StartElement{Name: top.name, Attr: t.Attr[:0:0]}
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		if a.Name.Space != "" {
			a.Name.Space = r.resolve(a.Name.Space)
		}
		a.Name.Local = canonicalName(a.Name.Local)
		switch {
		case a.Name.Space == "xml" && a.Name.Local == "base":
			if u, err := feedResolveURL(top.base, strings.TrimSpace(a.Value)); err == nil {
				top.base = u
			}
		case a.Name.Space == "xml" && a.Name.Local == "lang":
			top.lang = strings.TrimSpace(a.Value)
		}
		r.start.Attr = append(r.start.Attr, a)
	}
}

// declare puts a prefix in scope for the element e, about to be opened,
// and its children.
func (r *xmlReader) declare(e *openElem, prefix, uri string) {
	depth := len(r.open) + 1
	if b := r.ns[prefix]; len(b) > 0 && b[len(b)-1].depth == depth {
		b[len(b)-1].key = nsKey(uri) // declared twice: the last wins
		return
	}
	e.declared = append(e.declared, prefix)
	r.ns[prefix] = append(r.ns[prefix], nsBinding{nsKey(uri), depth})
}

// resolve turns a prefix into the key of its namespace.
func (r *xmlReader) resolve(prefix string) string {
	if prefix == "xml" {
		return "xml"
	}
	if b := r.ns[prefix]; len(b) > 0 {
		return b[len(b)-1].key
	}
	if prefix == "" {
		return ""
	}
	if k, ok := nsPrefixes[strings.ToLower(prefix)]; ok {
		return k // undeclared, but everyone knows what dc: means
	}
	return "?" + prefix
}

// attr returns the current start element's attribute.
func (r *xmlReader) attr(local string) string {
	for _, a := range r.start.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// canonicalName spells the name of an element or attribute Herald reads
// as the formats do, whatever its case: generators write <pubdate>,
// <PubDate>, <LINK> and the like, and feed readers read them.
func canonicalName(local string) string {
	if c, ok := knownNames[local]; ok {
		return c
	}
	if hasUpper(local) {
		if c, ok := knownNames[strings.ToLower(local)]; ok {
			return c
		}
	}
	return local
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// knownNames maps the names the parser reads, and their lower case, to
// their spelling in the formats.
var knownNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{
		"rss", "channel", "RDF", "feed", "item", "entry", "title", "link", "description", "summary", "content",
		"encoded", "body", "fullitem", "guid", "id", "pubDate", "published", "issued", "created", "updated",
		"modified", "date", "language", "enclosure", "image", "thumbnail", "source", "available", "dateAccepted",
		"dateSubmitted", "opml", "html",
		"rel", "href", "type", "url", "medium", "isPermaLink", "mode", "version", "base", "lang",
	} {
		m[n], m[strings.ToLower(n)] = n, n
	}
	return m
}()

// The namespaces of feeds and their extensions, by key.
var nsKeys = map[string]string{
	"http://www.w3.org/2005/Atom":                 "atom",
	"http://purl.org/atom/ns#":                    "atom03",
	"http://purl.org/rss/1.0/":                    "",
	"http://my.netscape.com/rdf/simple/0.9/":      "",
	"http://backend.userland.com/rss2":            "",
	"http://backend.userland.com/rss":             "",
	"http://purl.org/rss/1.0/modules/content/":    "content",
	"http://purl.org/dc/elements/1.1/":            "dc",
	"http://purl.org/dc/terms/":                   "dcterms",
	"http://search.yahoo.com/mrss/":               "media",
	"http://search.yahoo.com/mrss":                "media",
	"http://www.itunes.com/dtds/podcast-1.0.dtd":  "itunes",
	"http://www.w3.org/1999/xhtml":                "xhtml",
	"http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
	"http://news.yandex.ru":                       "yandex",
	"http://turbo.yandex.ru":                      "turbo",
}

// nsPrefixes are the prefixes feeds use without declaring them.
var nsPrefixes = map[string]string{
	"atom": "atom", "atom10": "atom", "atom03": "atom03", "content": "content", "dc": "dc",
	"dcterms": "dcterms", "media": "media", "itunes": "itunes", "xhtml": "xhtml", "rdf": "rdf",
	"yandex": "yandex", "turbo": "turbo",
}

func nsKey(uri string) string {
	if k, ok := nsKeys[strings.TrimSpace(uri)]; ok {
		return k
	}
	if k, ok := nsKeys[strings.ToLower(strings.TrimSpace(uri))]; ok {
		return k
	}
	return "?" + uri
}

// maxField bounds one field of one item, markup included.
const maxField = maxRawBody

// readContent reads the content of the element just opened (at depth)
// up to its end. Text alone comes back as it is; with child elements the
// content is markup (text escaped, elements written back as HTML) and
// markup is true.
func (r *xmlReader) readContent(depth int) (s string, markup bool, err error) {
	var text, mk strings.Builder
	full := false
	write := func(b *strings.Builder, s string) {
		if full || text.Len()+mk.Len()+len(s) > maxField {
			full = true
			return
		}
		b.WriteString(s)
	}
	for {
		ev, err := r.next()
		if err != nil {
			return "", false, err
		}
		switch ev {
		case evText:
			if markup {
				write(&mk, html.EscapeString(string(r.text)))
			} else {
				write(&text, string(r.text))
			}
		case evStart:
			if !markup {
				markup = true
				write(&mk, html.EscapeString(text.String()))
				text.Reset()
			}
			var b strings.Builder
			b.WriteString("<" + r.start.Name.Local)
			for _, a := range r.start.Attr {
				b.WriteString(" " + a.Name.Local + `="` + html.EscapeString(a.Value) + `"`)
			}
			b.WriteString(">")
			write(&mk, b.String())
		case evEnd:
			if r.endDepth <= depth {
				if markup {
					return mk.String(), true, nil
				}
				return text.String(), false, nil
			}
			write(&mk, "</"+r.lastEnded+">")
		}
	}
}
