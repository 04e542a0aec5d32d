package feeds

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// What the fixer makes of a "<" (see xmlFixer).
const (
	tagOK       = iota // a tag, passed on (rewritten if need be)
	tagText            // not a tag: "<" is text, escaped
	tagUnknown         // too long to check, or cut off by the end: passed on as it is
	tagNeedMore        // more of the document is needed to tell
)

// scannedTag is what scanStartTag or scanEndTag found.
type scannedTag struct {
	verdict int
	n       int    // the tag's length in the text
	out     []byte // the tag to write, when it is not written as it came (else nil)
	// name is the element a start tag opens (not one that closes
	// itself, nor an end tag).
	name []byte
}

// scanStartTag reads the start tag at the start of b ("<name a="v">"),
// leniently, as feed readers do: attribute values may be unquoted
// (a=b, url=https://…) or hold a "<", and are then written quoted and
// escaped. Anything else is no tag: an address in angle brackets
// (<news@site.example>, <https://site.example/>), a comparison ("x<y and
// y>z": an attribute without a value), a name followed by punctuation.
func (x *xmlFixer) scanStartTag(b []byte, atEOF bool) scannedTag {
	end := func() scannedTag {
		if !atEOF && len(b) < maxTagScan {
			return scannedTag{verdict: tagNeedMore}
		}
		return scannedTag{verdict: tagUnknown}
	}
	text := scannedTag{verdict: tagText}
	i := scanName(b, 1)
	name := b[1:i]
	var edits [8]tagEdit // in the order of b
	ne := 0
	for {
		j := skipXMLSpace(b, i)
		if j >= len(b) || j > maxTagScan {
			return end()
		}
		switch b[j] {
		case '>':
			t := scannedTag{verdict: tagOK, n: j + 1, name: name}
			if ne > 0 {
				t.out = x.rewriteTag(b[:j+1], edits[:ne])
			}
			return t
		case '/':
			if j+1 >= len(b) {
				return end()
			}
			if b[j+1] != '>' {
				return text
			}
			t := scannedTag{verdict: tagOK, n: j + 2}
			if ne > 0 {
				t.out = x.rewriteTag(b[:j+2], edits[:ne])
			}
			return t
		}
		if j == i || !isNameStart(b[j]) {
			return text // "<a@b", "<a b!"
		}
		k := scanName(b, j)
		m := skipXMLSpace(b, k)
		if m >= len(b) {
			return end()
		}
		if b[m] != '=' {
			return text // an attribute without a value: more likely words
		}
		m = skipXMLSpace(b, m+1)
		if m >= len(b) {
			return end()
		}
		switch q := b[m]; q {
		case '"', '\'':
			e := bytes.IndexByte(b[m+1:], q)
			if e < 0 {
				return end()
			}
			if bytes.IndexByte(b[m+1:m+1+e], '<') >= 0 {
				if ne == len(edits) {
					return scannedTag{verdict: tagUnknown}
				}
				edits[ne] = tagEdit{m + 1, m + 1 + e, false}
				ne++
			}
			i = m + 1 + e + 1
		case '>':
			return text
		default:
			e := m
			for e < len(b) && !isXMLSpace(b[e]) && b[e] != '>' {
				if b[e] == '"' || b[e] == '\'' || b[e] == '<' {
					return text
				}
				e++
			}
			if e >= len(b) {
				return end()
			}
			if ne == len(edits) {
				return scannedTag{verdict: tagUnknown}
			}
			edits[ne] = tagEdit{m, e, true}
			ne++
			i = e
		}
	}
}

// tagEdit is a value of a tag to rewrite: to quote (it was unquoted), or
// to escape the "<" in.
type tagEdit struct {
	from, to int
	quote    bool
}

// rewriteTag writes tag with its edits made, into the fixer's scratch
// buffer.
func (x *xmlFixer) rewriteTag(tag []byte, edits []tagEdit) []byte {
	out := x.scratch[:0]
	at := 0
	for _, e := range edits {
		out = append(out, tag[at:e.from]...)
		if e.quote {
			out = append(out, '"')
		}
		for _, c := range tag[e.from:e.to] {
			if c == '<' {
				out = append(out, escapedLT...)
			} else {
				out = append(out, c)
			}
		}
		if e.quote {
			out = append(out, '"')
		}
		at = e.to
	}
	out = append(out, tag[at:]...)
	x.scratch = out
	return out
}

// scanEndTag reads the end tag at the start of b ("</name>").
func scanEndTag(b []byte, atEOF bool) scannedTag {
	if len(b) < 3 {
		if atEOF {
			return scannedTag{verdict: tagUnknown}
		}
		return scannedTag{verdict: tagNeedMore}
	}
	if !isNameStart(b[2]) {
		return scannedTag{verdict: tagText} // "</ a>", "</3"
	}
	j := skipXMLSpace(b, scanName(b, 2))
	switch {
	case j >= len(b) || j > maxTagScan:
		if !atEOF && len(b) < maxTagScan {
			return scannedTag{verdict: tagNeedMore}
		}
		return scannedTag{verdict: tagUnknown}
	case b[j] == '>':
		return scannedTag{verdict: tagOK, n: j + 1}
	}
	return scannedTag{verdict: tagText}
}

// fixCharRef reads the "&" at the start of b. If it starts a numeric
// character reference to a character XML does not allow, n is the
// reference's length and repl what to write instead: nothing for a
// control character, U+FFFD for what is no character, the character
// itself for a surrogate pair written as two references. n is 0 for
// anything else, which the decoder reads; short says more of the
// document is needed to tell.
func fixCharRef(b []byte, atEOF bool) (n int, repl []byte, short bool) {
	r, n, short := charRef(b, atEOF)
	if n == 0 || short || allowedInXML(r) {
		return 0, nil, short
	}
	if r >= 0xD800 && r <= 0xDBFF {
		lo, m, short := charRef(b[n:], atEOF)
		if short && len(b) < maxCharRefScan {
			return 0, nil, true
		}
		if m > 0 && lo >= 0xDC00 && lo <= 0xDFFF {
			return n + m, utf8.AppendRune(nil, 0x10000+(r-0xD800)<<10+(lo-0xDC00)), false
		}
	}
	if r >= 0 && r < 0x20 || r == 0xFFFE || r == 0xFFFF {
		return n, []byte{}, false
	}
	return n, []byte("\uFFFD"), false
}

// charRef reads a numeric character reference at the start of b: the
// number it names (-1 past the range of runes) and its length, or 0 when
// b does not start with one.
func charRef(b []byte, atEOF bool) (r rune, n int, short bool) {
	if len(b) < 3 || b[0] != '&' || b[1] != '#' {
		return 0, 0, len(b) < 3 && !atEOF && bytes.HasPrefix([]byte("&#"), b[:min(len(b), 2)])
	}
	base, start := 10, 2
	if b[2] == 'x' || b[2] == 'X' {
		base, start = 16, 3
	}
	semi := bytes.IndexByte(b[start:min(len(b), maxCharRefScan/2)], ';')
	if semi < 0 {
		return 0, 0, !atEOF && len(b) < maxCharRefScan/2
	}
	digits := b[start : start+semi]
	if len(digits) == 0 {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(string(digits), base, 32)
	switch {
	case err != nil && err.(*strconv.NumError).Err == strconv.ErrRange:
		return -1, start + semi + 1, false
	case err != nil:
		return 0, 0, false // not a number: the decoder's to read past
	case v > utf8.MaxRune:
		return -1, start + semi + 1, false
	}
	return rune(v), start + semi + 1, false
}

// allowedInXML reports whether XML 1.0 allows the character r.
func allowedInXML(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= utf8.MaxRune:
		return true
	}
	return false
}

// isNameStart reports whether c may start an XML name (any byte of a
// multi-byte character may: names in other scripts pass).
func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func isNameByte(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

// scanName returns the index of the first byte of b at or after i that
// cannot be part of a name.
func scanName(b []byte, i int) int {
	for i < len(b) && isNameByte(b[i]) {
		i++
	}
	return i
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipXMLSpace(b []byte, i int) int {
	for i < len(b) && isXMLSpace(b[i]) {
		i++
	}
	return i
}
