package feeds

import (
	"bufio"
	"bytes"

	"golang.org/x/text/transform"
)

// xmlFixer mends what the XML decoder would stop at but a feed reader
// reads past, on the decoded text before the decoder sees it:
//
//   - an XML declaration is dropped, wherever it is: the text is UTF-8 by
//     now, whatever it declares (and a declared version 1.1 reads as 1.0);
//   - a "<" that does not start a well-formed tag ("a < b", "<3", an
//     address such as <news@site.example> or <https://site.example/>) is
//     escaped; a tag's unquoted attribute values are quoted and a "<"
//     inside a value is escaped (see scanStartTag);
//   - comments are dropped: they carry nothing a reader shows, and a "--"
//     inside one would stop the decoder;
//   - "]]>" outside a CDATA section is escaped;
//   - a CDATA section that is never closed ends at the end tag of the
//     element it was opened in (<title><![CDATA[Text</title>), rather than
//     swallowing the rest of the document;
//   - a numeric character reference to a character XML forbids is dropped
//     (&#0;), or read as U+FFFD when it names no character; a surrogate
//     pair written as two references becomes the one character it encodes.
//
// Bare "&" and undefined entities the decoder itself reads past (it runs
// in its non-strict mode).
type xmlFixer struct {
	started bool
	state   int
	// open is the name of the element whose start tag came last, until
	// an end tag comes; cdataEnd is "</open>" while a CDATA section
	// opened in it is read.
	open, cdataEnd []byte
	scratch        []byte // a rewritten tag
}

const (
	fixInText = iota
	fixInCDATA
	fixInComment
	fixInDecl
)

// Lookahead bounds, all well under the 4 KiB buffer transform.Reader
// gives a transformer: past them the text is passed on as it is.
const (
	maxTagScan     = 1024 // a start tag checked and rewritten
	maxCharRefScan = 32   // one numeric reference, or a surrogate pair
)

func (x *xmlFixer) Reset() {
	*x = xmlFixer{open: x.open[:0], cdataEnd: x.cdataEnd[:0], scratch: x.scratch[:0]}
}

// emit copies b to dst at *n, or reports that it does not fit.
func emit(dst []byte, n *int, b []byte) bool {
	if len(dst)-*n < len(b) {
		return false
	}
	*n += copy(dst[*n:], b)
	return true
}

var (
	cdataOpener = []byte("<![CDATA[")
	cdataCloser = []byte("]]>")
	escapedLT   = []byte("&lt;")
	escapedEnd  = []byte("]]&gt;")
)

func (x *xmlFixer) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	if !x.started {
		if len(src) < 6 && !atEOF {
			return 0, 0, transform.ErrShortSrc
		}
		x.started = true
	}
	for nSrc < len(src) {
		rest := src[nSrc:]
		switch x.state {
		case fixInDecl, fixInComment:
			// Dropped up to the closer, which may straddle two calls.
			closer := []byte("?>")
			if x.state == fixInComment {
				closer = []byte("-->")
			}
			end := bytes.Index(rest, closer)
			switch {
			case end >= 0:
				nSrc += end + len(closer)
				x.state = fixInText
			case atEOF:
				return nDst, len(src), nil
			default:
				nSrc += max(0, len(rest)-(len(closer)-1))
				return nDst, nSrc, transform.ErrShortSrc
			}
			continue
		case fixInCDATA:
			n, done, unclosed, short := x.cdata(rest, atEOF)
			c := copy(dst[nDst:], rest[:n])
			nDst += c
			nSrc += c
			if c < n || unclosed && !emit(dst, &nDst, cdataCloser) {
				return nDst, nSrc, transform.ErrShortDst // the rest of it in the next call
			}
			if done {
				x.state = fixInText
			}
			if short {
				return nDst, nSrc, transform.ErrShortSrc
			}
			continue
		}
		i := bytes.IndexAny(rest, "<&]")
		if i < 0 {
			i = len(rest)
		}
		if !emit(dst, &nDst, rest[:i]) {
			n := copy(dst[nDst:], rest[:i])
			return nDst + n, nSrc + n, transform.ErrShortDst
		}
		nSrc += i
		if i == len(rest) {
			break
		}
		rest = src[nSrc:]
		var out []byte // what to write instead of rest[:used]
		used := 0
		switch rest[0] {
		case ']':
			switch {
			case bytes.HasPrefix(rest, cdataCloser):
				out, used = escapedEnd, len(cdataCloser)
			case len(rest) < len(cdataCloser) && !atEOF && bytes.HasPrefix(cdataCloser, rest):
				return nDst, nSrc, transform.ErrShortSrc
			default:
				used = 1
			}
		case '&':
			n, repl, short := fixCharRef(rest, atEOF)
			if short {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if n == 0 {
				used = 1
			} else {
				out, used = repl, n
			}
		case '<':
			var short bool
			out, used, short = x.markup(rest, atEOF)
			if short {
				return nDst, nSrc, transform.ErrShortSrc
			}
		}
		if out == nil {
			out = rest[:used]
		}
		if !emit(dst, &nDst, out) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nSrc += used
	}
	return nDst, nSrc, nil
}

// markup reads the "<" at the start of b: what to write for it and how
// many bytes of b that takes, or short when more of the document is
// needed to tell.
func (x *xmlFixer) markup(b []byte, atEOF bool) (out []byte, used int, short bool) {
	if len(b) < len(cdataOpener) && !atEOF && (len(b) < 2 || b[1] == '!' || b[1] == '?') {
		return nil, 0, true
	}
	if len(b) < 2 {
		return escapedLT, 1, false
	}
	switch c := b[1]; {
	case len(b) >= len(cdataOpener) && bytes.EqualFold(b[:len(cdataOpener)], cdataOpener):
		x.state = fixInCDATA
		x.cdataEnd = x.cdataEnd[:0]
		if len(x.open) > 0 {
			x.cdataEnd = append(append(append(x.cdataEnd, "</"...), x.open...), '>')
		}
		return cdataOpener, len(cdataOpener), false
	case bytes.HasPrefix(b, []byte("<!--")):
		x.state = fixInComment
		return []byte{}, 4, false
	case c == '!':
		return nil, 1, false // a declaration (DOCTYPE): the decoder's
	case c == '?':
		if len(b) >= 6 && bytes.HasPrefix(b, []byte("<?xml")) && (isXMLSpace(b[5]) || b[5] == '?') {
			x.state = fixInDecl
			return []byte{}, 5, false
		}
		return nil, 1, false // a processing instruction
	case c == '/' || isNameStart(c):
		var t scannedTag
		if c == '/' {
			t = scanEndTag(b, atEOF)
		} else {
			t = x.scanStartTag(b, atEOF)
		}
		switch t.verdict {
		case tagNeedMore:
			return nil, 0, true
		case tagText:
			return escapedLT, 1, false
		case tagOK:
			// The element a CDATA section may be opened in: the last
			// one started, none once an end tag comes.
			x.open = append(x.open[:0], t.name...)
			return t.out, t.n, false
		}
		return nil, 1, false
	}
	return escapedLT, 1, false
}

// cdata reads a CDATA section's text from the start of b: how much of b
// belongs to it (its closer included), whether it ends there, whether it
// ends unclosed (a closer must be added), and whether more of the
// document is needed to tell. It ends at "]]>", or, if that has not come
// first, before the end tag of the element it was opened in.
func (x *xmlFixer) cdata(b []byte, atEOF bool) (n int, done, unclosed, short bool) {
	end := bytes.Index(b, cdataCloser)
	if len(x.cdataEnd) > 0 {
		if tag := bytes.Index(b, x.cdataEnd); tag >= 0 && (end < 0 || tag < end) {
			return tag, true, true, false
		}
	}
	if end >= 0 {
		return end + len(cdataCloser), true, false, false
	}
	if atEOF {
		return len(b), false, false, false
	}
	hold := max(len(cdataCloser), len(x.cdataEnd)) - 1 // a closer may straddle two calls
	n = max(0, len(b)-hold)
	return n, false, false, n == 0
}

// skipTo reads r past everything before the next of the openers ("<item")
// followed by a space, ">" or "/", and reports whether there is one. The
// XML decoder reads r as it is (a bufio.Reader is an io.ByteReader), so
// after a syntax error the parse goes on from where the decoder stopped.
func skipTo(r *bufio.Reader, openers ...string) bool {
	window := 0
	for _, o := range openers {
		window = max(window, len(o)+1)
	}
	for {
		buf, _ := r.Peek(r.Buffered())
		if len(buf) < window {
			if buf, _ = r.Peek(window); len(buf) < window {
				return false // the end of the document, or of what could be read
			}
		}
		best := -1
		for _, o := range openers {
			for off := 0; ; {
				i := bytes.Index(buf[off:], []byte(o))
				if i < 0 || off+i+len(o) >= len(buf) {
					break
				}
				switch buf[off+i+len(o)] {
				case ' ', '>', '/', '\t', '\n', '\r':
					if best < 0 || off+i < best {
						best = off + i
					}
				default:
					off += i + 1
					continue
				}
				break
			}
		}
		if best >= 0 {
			r.Discard(best)
			return true
		}
		r.Discard(len(buf) - window + 1)
	}
}
