package feeds

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/wlynxg/chardet"
	chardetlookup "github.com/wlynxg/chardet/lookup"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"
)

// Documents come in whatever encoding their site uses, declared or not,
// right or wrong. textReader turns them into UTF-8 as a browser would,
// and as a reader of the page would expect:
//
//   - a byte order mark decides (UTF-8, UTF-16 and UTF-32, either order);
//     so does the pattern of zero bytes of UTF-16 or UTF-32 without one;
//   - else the charset of the HTTP Content-Type, else the XML declaration's
//     encoding, else (pages) a <meta charset>; but a document declared in
//     a legacy encoding whose text is valid UTF-8 is UTF-8, and one
//     declared Latin-1 that the detector finds Cyrillic or CJK is that;
//   - undeclared, the decision waits for the first byte that is not ASCII
//     (everything before it reads the same in every candidate) and looks at
//     the next sniffWindow bytes: valid UTF-8, or UTF-8 with a few stray
//     bytes, is UTF-8; anything else goes to the detector;
//   - in UTF-8, an invalid byte costs that one character: a lone byte is
//     read as Windows-1252 reads it (a stray Latin-1 "é"), a cut-off
//     sequence becomes one U+FFFD;
//   - characters XML forbids (C0 controls but tab and line ends,
//     U+FFFE/U+FFFF) are dropped, so one of them cannot cost the feed.
//
// Repairs that need the text as characters (double-encoded UTF-8, C1
// controls) happen later, on each field: see fixText.

// sniffWindow is how much of a document the encoding is decided on.
const sniffWindow = 64 << 10

// textReader is a document's text as UTF-8; see above.
type textReader struct {
	src *bufio.Reader
	// declared is the encoding the document or its server named.
	declared     encoding.Encoding
	declaredName string
	declaredHow  string
	out          io.Reader // set once the encoding is decided
	err          error     // a read error met while sniffing
	// Charset and How say which encoding was chosen and why ("bom",
	// "http", "xml", "meta", "detected", "default"); empty until decided.
	Charset, How string
	// Binary is the MIME type of a document that is no text (an image,
	// a PDF, an archive), else "".
	Binary string
	// compressed are the readers of the gzip layers under src.
	compressed []*bufio.Reader
}

// newTextReader reads r as text. contentType is the HTTP Content-Type
// (it may name a charset); html also looks for a <meta> charset.
func newTextReader(r io.Reader, contentType string, html bool) *textReader {
	t := &textReader{src: getReader(&windowReaders, r)}
	t.inflate()
	head, err := t.src.Peek(4096)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		t.err = err
	}
	if enc, name, n := sniffBOM(head); enc != nil {
		t.src.Discard(n)
		t.decide(enc, name, "bom", false)
		return t
	}
	if enc, name := sniffWide(head); enc != nil {
		t.decide(enc, name, "bom", false)
		return t
	}
	if t.Binary = binaryType(head); t.Binary != "" {
		t.decide(nil, "utf-8", "default", true)
		return t
	}
	if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
		t.declare(params["charset"], "http")
	}
	if t.declared == nil {
		if m := xmlEncodingRE.FindSubmatch(head); m != nil {
			t.declare(string(m[1]), "xml")
		}
	}
	if t.declared == nil && (html || looksLikeHTMLHead(head)) {
		if label := metaCharset(head); label != "" {
			t.declare(label, "meta")
		}
	}
	if t.declared != nil && !asciiCompatible(t.declaredName) {
		// ISO-2022-JP and the like hide their text in ASCII bytes.
		t.decide(t.declared, t.declaredName, t.declaredHow, false)
	}
	return t
}

// declare records a declared charset; unknown labels and wide encodings
// the bytes contradict (no BOM, no zero bytes) are ignored.
func (t *textReader) declare(label, how string) {
	enc, name := lookupCharset(label)
	if enc == nil || strings.HasPrefix(name, "utf-16") || strings.HasPrefix(name, "utf-32") {
		return
	}
	t.declared, t.declaredName, t.declaredHow = enc, name, how
}

// release gives the reader's buffer back; t must not be read after.
func (t *textReader) release() {
	if t.src != nil {
		putReader(&windowReaders, t.src)
		for _, b := range t.compressed {
			putReader(&windowReaders, b)
		}
		t.src, t.compressed, t.out, t.err = nil, nil, nil, io.ErrClosedPipe
	}
}

func (t *textReader) Read(p []byte) (int, error) {
	if t.out != nil {
		return t.out.Read(p)
	}
	if t.err != nil {
		return 0, t.err
	}
	// Undecided: pass ASCII through until the first byte that is not.
	for {
		if _, err := t.src.Peek(1); err != nil {
			return 0, err
		}
		buf, _ := t.src.Peek(t.src.Buffered())
		n, i := 0, 0
		for i < len(buf) && n < len(p) {
			b := buf[i]
			if b >= 0x80 || b == 0x1b { // ESC: a 7-bit encoding such as ISO-2022-JP
				break
			}
			i++
			if b < 0x20 && b != '\t' && b != '\n' && b != '\r' {
				continue // not allowed in XML
			}
			p[n] = b
			n++
		}
		t.src.Discard(i)
		if i < len(buf) && n < len(p) {
			t.decideLazily()
			if n == 0 {
				return t.out.Read(p)
			}
		}
		if n > 0 {
			return n, nil
		}
	}
}

// decideLazily chooses the encoding on the window of bytes from the first
// one that is not ASCII.
func (t *textReader) decideLazily() {
	window, err := t.src.Peek(sniffWindow)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		t.err = err
	}
	complete := err == io.EOF
	multi, invalid := utf8Stats(window, complete)
	switch {
	case t.declared != nil && t.declaredName != "utf-8":
		if invalid == 0 && multi >= 2 {
			t.decide(nil, "utf-8", "detected", true) // declared wrongly
			return
		}
		if isLatinCharset(t.declaredName) {
			if enc, name, ok := detectCharset(window); ok && !isLatinCharset(name) && name != "utf-8" {
				t.decide(enc, name, "detected", false)
				return
			}
		}
		if enc, name, ok := otherCyrillic(t.declared, t.declaredName, window); ok {
			t.decide(enc, name, "detected", false)
			return
		}
		t.decide(t.declared, t.declaredName, t.declaredHow, false)
	case invalid == 0:
		how := "default"
		if t.declared != nil {
			how = t.declaredHow
		}
		t.decide(nil, "utf-8", how, true)
	case invalid*4 <= multi:
		// UTF-8 with a few stray bytes: each costs one character.
		t.decide(nil, "utf-8", "detected", true)
	default:
		if enc, name, ok := detectCharset(window); ok {
			t.decide(enc, name, "detected", name == "utf-8")
			return
		}
		t.decide(nil, "utf-8", "default", true)
	}
}

// decide sets the decoder for the rest of the document.
func (t *textReader) decide(enc encoding.Encoding, name, how string, utf8Mode bool) {
	t.Charset, t.How = name, how
	var dec transform.Transformer
	if utf8Mode || enc == nil || name == "utf-8" {
		dec = transform.Chain(&utf8Repair{}, xmlCharFilter{})
	} else {
		dec = transform.Chain(enc.NewDecoder(), xmlCharFilter{})
	}
	t.out = transform.NewReader(t.src, dec)
	if t.err != nil {
		t.out = io.MultiReader(t.out, errReader{t.err})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// utf8Stats counts the multi-byte sequences and the invalid bytes of b. A
// sequence cut off by the end of an incomplete window is not invalid.
func utf8Stats(b []byte, complete bool) (multi, invalid int) {
	for i := 0; i < len(b); {
		if b[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			if !complete && len(b)-i < utf8.UTFMax && !utf8.FullRune(b[i:]) {
				break
			}
			invalid++
		} else {
			multi++
		}
		i += n
	}
	return multi, invalid
}

// detectCharset asks the detector (a port of the Mozilla universal
// charset detector) what encoding b is in.
func detectCharset(b []byte) (encoding.Encoding, string, bool) {
	res := chardet.Detect(b)
	if res.Charset == "" || res.Confidence < 0.2 {
		return nil, "", false
	}
	switch strings.ToLower(res.Charset) {
	case "ascii", "us-ascii", "utf-8", "utf-8-sig":
		return nil, "utf-8", true
	case "koi8-r":
		// KOI8-U is KOI8-R plus the Ukrainian letters (in place of box
		// drawing, which no article uses): і ї є ґ survive.
		return charmap.KOI8U, "koi8-u", true
	}
	enc, name := lookupCharset(res.Charset)
	return enc, name, enc != nil
}

// lookupCharset finds an encoding by label: the WHATWG labels browsers
// know (where ISO-8859-1 means Windows-1252), then the detector's names.
func lookupCharset(label string) (encoding.Encoding, string) {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch label {
	case "":
		return nil, ""
	case "utf-32", "utf-32le", "utf-32be", "ucs-4":
		return utf32.UTF32(utf32.BigEndian, utf32.UseBOM), "utf-32"
	}
	if enc, name := charset.Lookup(label); enc != nil {
		return enc, name
	}
	if enc, err := chardetlookup.LookupEncoding(label); err == nil && enc != nil {
		return enc, label
	}
	return nil, ""
}

// sniffBOM reads a byte order mark: the encoding and the BOM's length.
func sniffBOM(b []byte) (encoding.Encoding, string, int) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return unicode.UTF8, "utf-8", 3
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0, 0}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "utf-32le", 4
	case bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "utf-32be", 4
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", 2
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", 2
	}
	return nil, "", 0
}

// sniffWide finds UTF-16 and UTF-32 without a BOM by where the zero bytes
// of the first, ASCII, character fall ("<" or "{").
func sniffWide(b []byte) (encoding.Encoding, string) {
	if len(b) < 4 {
		return nil, ""
	}
	z := func(i int) bool { return b[i] == 0 }
	switch {
	case !z(0) && z(1) && z(2) && z(3):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "utf-32le"
	case z(0) && z(1) && z(2) && !z(3):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "utf-32be"
	case !z(0) && z(1) && !z(2) && z(3):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le"
	case z(0) && !z(1) && z(2) && !z(3):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be"
	}
	return nil, ""
}

// xmlEncodingRE finds the encoding of an XML declaration.
var xmlEncodingRE = regexp.MustCompile(`^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// looksLikeHTMLHead reports whether a document's start is an HTML page's.
func looksLikeHTMLHead(b []byte) bool {
	head := bytes.ToLower(b[:min(len(b), 1024)])
	return bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype html")) || bytes.Contains(head, []byte("<meta"))
}

// metaCharset finds the charset a page's <meta charset> or <meta
// http-equiv="Content-Type"> names, in its first bytes.
func metaCharset(b []byte) string {
	found := ""
	headTags(b, "meta", func(attrs map[string]string) bool {
		if cs := attrs["charset"]; cs != "" {
			found = cs
			return true
		}
		if strings.EqualFold(attrs["http-equiv"], "content-type") {
			if _, params, err := mime.ParseMediaType(attrs["content"]); err == nil && params["charset"] != "" {
				found = params["charset"]
				return true
			}
		}
		return false
	})
	return found
}

// asciiCompatible reports whether the encoding reads ASCII bytes as ASCII
// everywhere, so the decision can wait for the first byte that is not.
func asciiCompatible(name string) bool {
	return !strings.HasPrefix(name, "iso-2022") && name != "hz-gb-2312" && !strings.HasPrefix(name, "utf-16") && !strings.HasPrefix(name, "utf-32")
}

// isLatinCharset reports the labels servers send by default, which say
// little about the document.
func isLatinCharset(name string) bool {
	switch name {
	case "windows-1252", "iso-8859-1", "us-ascii", "iso-8859-15":
		return true
	}
	return false
}

// decodeText returns b as UTF-8 text under the same rules as documents.
func decodeText(b []byte, contentType string, html bool) string {
	if utf8.Valid(b) && !bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' }) {
		return string(b)
	}
	out, err := io.ReadAll(newTextReader(bytes.NewReader(b), contentType, html))
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}
