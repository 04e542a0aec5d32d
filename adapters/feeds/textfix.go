package feeds

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// fixText repairs two kinds of damage a text picks up between a site's
// database and its feed:
//
//   - double-encoded UTF-8: the bytes of "…" read as Windows-1252 and
//     encoded again come out as "â€¦", Russian "при" as "Ð¿Ñ€Ð¸". Each such
//     sequence is turned back into the character it was, when that
//     character is one a text plausibly holds (Latin, Greek, Cyrillic,
//     punctuation, CJK), so "Straße»" is left alone;
//   - C1 control characters (U+0080–U+009F), which a page that declared
//     Latin-1 but meant Windows-1252 produces, or a &#146; reference: they
//     are read as Windows-1252 reads those bytes ("’"), or dropped where it
//     has none.
func fixText(s string) string {
	if !needsFix(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if lead, ok := cp1252Byte(r); ok && lead >= 0xC2 && lead <= 0xF4 {
			if fixed, used := undoDoubleEncoding(s[i:]); used > 0 {
				b.WriteRune(fixed)
				i += used
				continue
			}
		}
		if r >= 0x80 && r <= 0x9F {
			if c := charmap.Windows1252.DecodeByte(byte(r)); c >= 0xA0 && c != utf8.RuneError {
				b.WriteRune(c)
			}
			i += n
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

// needsFix is the quick test: a C1 control, or a character that may lead
// a double-encoded sequence.
func needsFix(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0xC2 && i+1 < len(s) && s[i+1] <= 0x9F { // U+0080–U+009F
			return true
		}
		if c == 0xC3 && i+1 < len(s) && s[i+1] >= 0x82 && s[i+1] <= 0xB4 { // Â … ô
			return true
		}
	}
	return false
}

// undoDoubleEncoding reads s as Windows-1252 characters standing for the
// bytes of one UTF-8 sequence. It returns the character they stand for and
// how many bytes of s they take, or 0 when they are not such a sequence.
func undoDoubleEncoding(s string) (rune, int) {
	var raw [utf8.UTFMax]byte
	n, used := 0, 0
	for n < utf8.UTFMax && used < len(s) {
		r, size := utf8.DecodeRuneInString(s[used:])
		c, ok := cp1252Byte(r)
		if !ok || (n > 0 && c&0xC0 != 0x80) {
			break
		}
		raw[n] = c
		n++
		used += size
		if utf8.FullRune(raw[:n]) {
			break
		}
	}
	fixed, size := utf8.DecodeRune(raw[:n])
	if fixed == utf8.RuneError || size != n || n < 2 || !plausibleRune(fixed) {
		return 0, 0
	}
	return fixed, used
}

// cp1252Byte is the byte Windows-1252 (or Latin-1, for C1 controls) reads
// as r, for r outside ASCII.
func cp1252Byte(r rune) (byte, bool) {
	switch {
	case r >= 0x80 && r <= 0xFF:
		return byte(r), true
	case r < 0x80:
		return 0, false
	}
	b, ok := charmap.Windows1252.EncodeRune(r)
	return b, ok && b >= 0x80
}

// plausibleRune reports whether r is a character a news text holds, so
// that a repair produces it.
func plausibleRune(r rune) bool {
	switch {
	case r >= 0xA0 && r <= 0x24F: // Latin-1 and Latin Extended
		return true
	case r >= 0x370 && r <= 0x52F: // Greek, Cyrillic
		return true
	case r >= 0x2010 && r <= 0x205E, r >= 0x20A0 && r <= 0x20CF, r == 0x2116, r == 0x2122: // punctuation, currency, №, ™
		return true
	case r >= 0x3000 && r <= 0x9FFF, r >= 0xAC00 && r <= 0xD7AF, r >= 0xFF00 && r <= 0xFFEF: // CJK, Hangul, full-width
		return true
	}
	return false
}
