package feeds

import (
	"fmt"
	"io"
	"strings"
)

// maxLeadingElements bounds the elements read past before a feed's root:
// the warnings a PHP site prints above its feed ("<br /><b>Warning</b>:
// …"), which no feed reader lets cost the feed.
const maxLeadingElements = 64

// xmlRoot reads up to the root element and says which kind of feed it
// is, and the depth of the element its items are in; or, when there is no
// feed, what the document is instead.
func (p *docParser) xmlRoot(r *xmlReader) (kind string, container int, err error) {
	first := "" // the first element, which names the document when no feed follows
	for seen := 0; ; {
		ev, err := r.next()
		if err != nil {
			switch {
			case r.html:
				return "", 0, fmt.Errorf("%w (it looks like an HTML page)", errNotAFeed)
			case first != "":
				return "", 0, fmt.Errorf("%w: it is XML whose root element is <%s>", errNotAFeed, first)
			case err == io.EOF:
				return "", 0, fmt.Errorf("%w: the document has no elements", errNotAFeed)
			}
			return "", 0, fmt.Errorf("%w: it is not XML that can be read (%v)", errNotAFeed, err)
		}
		if ev != evStart {
			continue
		}
		e := r.cur()
		switch local := e.name.Local; {
		case strings.EqualFold(local, "html") || r.html:
			return "", 0, fmt.Errorf("%w (it looks like an HTML page)", errNotAFeed)
		case local == "opml" && first == "":
			return "", 0, fmt.Errorf("%w: it is an OPML list of feeds; add the feeds it lists instead", errNotAFeed)
		case local == "rss":
			kind, container = kindRSS, r.depth()+1
		case local == "channel": // a bare channel is RSS without its wrapper
			kind, container = kindRSS, r.depth()
		case local == "RDF":
			kind, container = kindRDF, r.depth()
		case local == "feed" && (e.name.Space == "atom03" || r.attr("version") == "0.3"):
			kind, container = kindAtom03, r.depth()
		case local == "feed" && (e.name.Space == "atom" || e.name.Space == "" || isUnknownNS(e.name.Space)):
			kind, container = kindAtom, r.depth()
		default:
			if first == "" {
				first = local
			}
			if seen++; seen >= maxLeadingElements {
				return "", 0, fmt.Errorf("%w: it is XML whose root element is <%s>", errNotAFeed, first)
			}
			continue
		}
		if l := e.lang; l != "" {
			p.lang = l
		}
		if isUnknownNS(e.name.Space) {
			// A feed in a namespace of its own making
			// (<rss xmlns="http://site.example/rss">): its elements are
			// the feed's.
			r.core = e.name.Space
			e.name.Space = ""
		}
		return kind, container, nil
	}
}

// isUnknownNS reports whether a namespace key is of no namespace Herald
// knows (see nsKey).
func isUnknownNS(key string) bool { return strings.HasPrefix(key, "?") }
