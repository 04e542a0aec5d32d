package match

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Character classes of the tokenizer.
const (
	clsSep    uint8 = iota // ends a word
	clsWord                // letter or digit: part of a word
	clsMark                // combining mark: part of a word, folded away
	clsApos                // apostrophe: joins letters ("Trump’s", "don't")
	clsDash                // hyphen or dash: joins words into a compound
	clsIgnore              // invisible (soft hyphen, joiners): skipped
)

// Script flags of a word, for choosing its stemmer.
const (
	scLatin uint8 = 1 << iota // a-z after folding
	scCyr                     // Cyrillic letters
	scDigit                   // digits
	scOther                   // anything else
)

// foldEntry is how the tokenizer treats one rune.
type foldEntry struct {
	cls    uint8
	script uint8
	n      uint8   // length of the folded UTF-8 in b
	b      [6]byte // folded form (lower case, accents removed)
}

const foldTableSize = 0x3000

var (
	asciiFold [128]foldEntry
	foldTable []foldEntry // runes 0x80..foldTableSize-1
)

// special letters that carry no decomposition but have a plain Latin
// reading.
var specialFold = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d",
	'þ': "th", 'ı': "i", 'ŧ': "t", 'ħ': "h", 'ŋ': "n", 'ĸ': "k",
	'ё': "е", // Russian yo is written e more often than not
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '`', '´', '‘', '’', '‛', 'ʼ', 'ʻ', '′', '＇':
		return true
	}
	return false
}

func isDash(r rune) bool {
	switch r {
	case '-', '‐', '‑', '‒', '–', '—', '―', '−', '﹣', '－', '⁃':
		return true
	}
	return false
}

// isIgnorable reports whether r is invisible inside a word: a format
// character (soft hyphen, zero-width joiners, bidirectional controls).
func isIgnorable(r rune) bool {
	return unicode.Is(unicode.Cf, r)
}

// computeFold classifies and folds one rune; the tables cache it.
func computeFold(r rune) foldEntry {
	var e foldEntry
	switch {
	case isApostrophe(r):
		e.cls = clsApos
		return e
	case isDash(r):
		e.cls = clsDash
		return e
	case isIgnorable(r):
		e.cls = clsIgnore
		return e
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc):
		e.cls = clsMark
		return e
	case unicode.IsDigit(r):
		e.cls, e.script = clsWord, scDigit
		e.n = uint8(utf8.EncodeRune(e.b[:], r))
		return e
	case !unicode.IsLetter(r):
		return e // separator
	}
	e.cls = clsWord
	lower := unicode.ToLower(r)
	out := string(lower)
	if s, ok := specialFold[lower]; ok {
		out = s
	} else if !unicode.Is(unicode.Cyrillic, lower) {
		// Strip accents: decompose and drop the marks.
		d := norm.NFD.String(out)
		var kept []rune
		for _, c := range d {
			if !unicode.In(c, unicode.Mn, unicode.Me, unicode.Mc) {
				kept = append(kept, c)
			}
		}
		if len(kept) > 0 {
			out = string(kept)
		}
	}
	e.n = uint8(copy(e.b[:], out))
	for _, c := range out {
		switch {
		case c >= 'a' && c <= 'z':
			e.script |= scLatin
		case unicode.Is(unicode.Cyrillic, c):
			e.script |= scCyr
		default:
			e.script |= scOther
		}
	}
	return e
}

func init() {
	for c := 0; c < 128; c++ {
		e := &asciiFold[c]
		switch {
		case c >= 'a' && c <= 'z':
			*e = foldEntry{cls: clsWord, script: scLatin, n: 1, b: [6]byte{byte(c)}}
		case c >= 'A' && c <= 'Z':
			*e = foldEntry{cls: clsWord, script: scLatin, n: 1, b: [6]byte{byte(c + 32)}}
		case c >= '0' && c <= '9':
			*e = foldEntry{cls: clsWord, script: scDigit, n: 1, b: [6]byte{byte(c)}}
		case c == '\'' || c == '`':
			e.cls = clsApos
		case c == '-':
			e.cls = clsDash
		}
	}
	foldTable = make([]foldEntry, foldTableSize)
	for r := rune(0x80); r < foldTableSize; r++ {
		foldTable[r] = computeFold(r)
	}
}

// foldRune returns how the tokenizer treats r.
func foldRune(r rune) foldEntry {
	if r < 128 {
		return asciiFold[r]
	}
	if r < foldTableSize {
		return foldTable[r]
	}
	return computeFold(r)
}

// FoldString returns s as the tokenizer sees it: lower case, accents,
// apostrophes and invisible characters removed, words separated by single
// spaces. It is meant for comparing names (sources, actors), not for speed.
func FoldString(s string) string {
	var tk tokenizer
	tk.reset(s)
	var out []byte
	for tk.next() {
		if len(out) > 0 {
			out = append(out, ' ')
		}
		out = append(out, tk.form...)
	}
	return string(out)
}
