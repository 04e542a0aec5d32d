package feeds

import (
	"bufio"
	"bytes"

	"golang.org/x/text/transform"
)

// xmlFixer mends what the XML decoder would stop at but a feed reader
// reads past, on the decoded text before the decoder sees it:
//
//   - the XML declaration is dropped: the text is UTF-8 by now, whatever
//     it declares (and a declared version 1.1 reads as 1.0);
//   - a "<" that cannot start markup ("a < b", "<3") is escaped, outside
//     CDATA sections and comments.
//
// Bare "&" and undefined entities the decoder itself reads past (it runs
// in its non-strict mode).
type xmlFixer struct {
	started bool
	inDecl  bool
	state   int
}

const (
	fixInText = iota
	fixInCDATA
	fixInComment
)

func (x *xmlFixer) Reset() { *x = xmlFixer{} }

func (x *xmlFixer) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	if !x.started {
		if len(src) < 6 && !atEOF {
			return 0, 0, transform.ErrShortSrc
		}
		x.started = true
		if bytes.HasPrefix(src, []byte("<?xml")) && len(src) > 5 && (src[5] == ' ' || src[5] == '\t' || src[5] == '\n' || src[5] == '\r' || src[5] == '?') {
			x.inDecl = true
		}
	}
	if x.inDecl {
		end := bytes.Index(src, []byte("?>"))
		switch {
		case end >= 0:
			nSrc = end + 2
			x.inDecl = false
		case atEOF:
			return 0, len(src), nil
		default:
			n := len(src)
			if src[n-1] == '?' {
				n-- // maybe the start of "?>"
			}
			return 0, n, nil
		}
	}
	for nSrc < len(src) {
		if x.state != fixInText {
			closer := []byte("]]>")
			if x.state == fixInComment {
				closer = []byte("-->")
			}
			end := bytes.Index(src[nSrc:], closer)
			var upto int
			switch {
			case end >= 0:
				upto = nSrc + end + len(closer)
			case atEOF:
				upto = len(src)
			default:
				upto = len(src) - (len(closer) - 1) // a closer may straddle
				if upto <= nSrc {
					return nDst, nSrc, transform.ErrShortSrc
				}
			}
			n := copy(dst[nDst:], src[nSrc:upto])
			nDst += n
			nSrc += n
			if nSrc < upto {
				return nDst, nSrc, transform.ErrShortDst
			}
			if end >= 0 {
				x.state = fixInText
			}
			continue
		}
		lt := bytes.IndexByte(src[nSrc:], '<')
		if lt < 0 {
			n := copy(dst[nDst:], src[nSrc:])
			nDst += n
			nSrc += n
			if nSrc < len(src) {
				return nDst, nSrc, transform.ErrShortDst
			}
			return nDst, nSrc, nil
		}
		n := copy(dst[nDst:], src[nSrc:nSrc+lt])
		nDst += n
		nSrc += n
		if n < lt {
			return nDst, nSrc, transform.ErrShortDst
		}
		// src[nSrc] is '<'.
		rest := src[nSrc:]
		if len(rest) < 9 && !atEOF && (len(rest) < 2 || rest[1] == '!') {
			return nDst, nSrc, transform.ErrShortSrc
		}
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			x.state = fixInCDATA
		case bytes.HasPrefix(rest, []byte("<!--")):
			x.state = fixInComment
		case len(rest) >= 2 && startsMarkup(rest[1]):
		default:
			if len(dst)-nDst < 4 {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += copy(dst[nDst:], "&lt;")
			nSrc++
			continue
		}
		if nDst >= len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		dst[nDst] = '<'
		nDst++
		nSrc++
		if x.state != fixInText {
			// Copy the opener whole, so its "<" is not read twice.
			opener := len("<![CDATA[") - 1
			if x.state == fixInComment {
				opener = len("<!--") - 1
			}
			if len(dst)-nDst < opener {
				nDst--
				nSrc--
				x.state = fixInText
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += copy(dst[nDst:], src[nSrc:nSrc+opener])
			nSrc += opener
		}
	}
	return nDst, nSrc, nil
}

// startsMarkup reports whether b may follow "<" in markup: a name, an end
// tag, a declaration or a processing instruction.
func startsMarkup(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b == ':' || b == '/' || b == '!' || b == '?' || b >= 0x80
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
