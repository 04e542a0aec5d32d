package feeds

import (
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// utf8Repair passes valid UTF-8 through and replaces each invalid byte: a
// sequence cut short becomes one U+FFFD, and so does a lone byte among
// other non-ASCII text (a character cut in a Cyrillic or CJK text); a lone
// byte among ASCII is read as Windows-1252 reads it, which is what a stray
// Latin-1 "é" in a UTF-8 page almost always is.
type utf8Repair struct {
	prevHigh bool // the last character written was not ASCII
}

func (u *utf8Repair) Reset() { u.prevHigh = false }

func (u *utf8Repair) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		b := src[nSrc]
		if b < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = b
			nDst++
			nSrc++
			u.prevHigh = false
			continue
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size == 1 && !atEOF && (!utf8.FullRune(src[nSrc:]) || nSrc+1 >= len(src)) {
			return nDst, nSrc, transform.ErrShortSrc // the rest comes in the next call
		}
		if r == utf8.RuneError && size == 1 {
			r, size = repairByte(src[nSrc:], u.prevHigh)
		}
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += size
		u.prevHigh = true
	}
	return nDst, nSrc, nil
}

// repairByte reads an invalid byte at the start of b: a lead byte followed
// by some but not all of its continuation bytes is one broken character;
// so is a lone byte next to other non-ASCII text (prevHigh, or a non-ASCII
// byte after it); anything else is one byte of Windows-1252.
func repairByte(b []byte, prevHigh bool) (rune, int) {
	need := 0
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c >= 0xE0 && c <= 0xEF:
		need = 2
	case c >= 0xF0 && c <= 0xF4:
		need = 3
	}
	k := 0
	for k < need && 1+k < len(b) && b[1+k]&0xC0 == 0x80 {
		k++
	}
	if k > 0 {
		return utf8.RuneError, 1 + k
	}
	if prevHigh || len(b) > 1 && b[1] >= utf8.RuneSelf {
		return utf8.RuneError, 1
	}
	if r := charmap.Windows1252.DecodeByte(b[0]); r >= 0xA0 && r != utf8.RuneError {
		return r, 1 // the bytes Windows-1252 leaves undefined are C1 controls
	}
	return utf8.RuneError, 1
}

// xmlCharFilter drops the characters XML 1.0 does not allow: C0 controls
// other than tab and line ends, and U+FFFE and U+FFFF.
type xmlCharFilter struct{ transform.NopResetter }

func (xmlCharFilter) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		b := src[nSrc]
		if b < utf8.RuneSelf {
			if b < 0x20 && b != '\t' && b != '\n' && b != '\r' {
				nSrc++
				continue
			}
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = b
			nDst++
			nSrc++
			continue
		}
		if !atEOF && !utf8.FullRune(src[nSrc:]) {
			return nDst, nSrc, transform.ErrShortSrc
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == 0xFFFE || r == 0xFFFF {
			nSrc += size
			continue
		}
		if nDst+size > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
		nSrc += size
	}
	return nDst, nSrc, nil
}
