package feeds

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// repairUTF8 returns s as valid UTF-8, decoded under the same rules as a
// document (see textReader): a text that is not UTF-8 at all goes to the
// detector (a Windows-1251 or KOI8-R page), a stray invalid byte in UTF-8
// costs one character.
func repairUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return decodeText([]byte(s), "", false)
}

// normalizeRunes returns s repaired (see fixText), in NFC, with line
// breaks unified, Unicode spaces made plain spaces, and invisible or
// control characters dropped.
func normalizeRunes(s string) string {
	s = norm.NFC.String(fixText(s))
	if isNormalRunes(s) {
		return s // nearly every text: nothing to copy
	}
	var b strings.Builder
	b.Grow(len(s))
	prevCR := false
	for _, r := range s {
		cr := r == '\r'
		switch {
		case r == '\n':
			if !prevCR {
				b.WriteByte('\n')
			}
		case cr, r == '\u2028', r == '\u2029':
			b.WriteByte('\n')
		case r == '\t', r == '\u00A0', r == '\u202F', r == '\u2007', unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		case r == '\u200B', r == '\u2060', r == '\uFEFF', r == '\u00AD', r == '\u200E', r == '\u200F':
			// zero-width, soft hyphen, direction marks: invisible noise
		case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
			// Direction embeddings, overrides and isolates: one left open
			// turns the rest of a chat line around ("Trojan Source").
		case unicode.IsControl(r):
		case r >= '\uFFF9' && r <= '\uFFFB': // interlinear annotation controls
		default:
			b.WriteRune(r)
		}
		prevCR = cr
	}
	return b.String()
}

// isNormalRunes reports whether normalizeRunes' loop would copy s as it
// is: valid UTF-8 without a character that loop replaces or drops.
func isNormalRunes(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < ' ' && c != '\n' || c == 0x7F {
				return false // \r, \t and other controls
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1,
			r == '\u2028', r == '\u2029', r == '\u00A0', r == '\u202F', r == '\u2007', unicode.Is(unicode.Zs, r),
			r == '\u200B', r == '\u2060', r == '\uFEFF', r == '\u00AD', r == '\u200E', r == '\u200F',
			r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069',
			unicode.IsControl(r), r >= '\uFFF9' && r <= '\uFFFB':
			return false
		}
		i += n
	}
	return true
}

// oneLine collapses all whitespace of s into single spaces.
func oneLine(s string) string {
	// Fields of s are those of s trimmed: a line that is only spaces at
	// its ends (a paragraph's last sentence) is not copied.
	if t := strings.TrimSpace(s); isOneLine(t) {
		return t
	}
	return strings.Join(strings.Fields(s), " ")
}

// isOneLine reports whether oneLine would return s unchanged: no space
// but single ASCII spaces between words.
func isOneLine(s string) bool {
	prevSpace := true // no space at the start
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiSpace[c] {
				if c != ' ' || prevSpace {
					return false
				}
				prevSpace = true
			} else {
				prevSpace = false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			return false
		}
		prevSpace = false
		i += n
	}
	return !prevSpace || s == ""
}

// asciiSpace are the ASCII bytes unicode.IsSpace reports.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// countFields is len(strings.Fields(s)) without building the slice.
func countFields(s string) int {
	n := 0
	inField := false
	for i := 0; i < len(s); {
		c := s[i]
		space := false
		if c < utf8.RuneSelf {
			space = asciiSpace[c]
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
			i += size
		}
		if !space && !inField {
			n++
		}
		inField = !space
	}
	return n
}

// splitLines returns the lines of normalized text, each with its spaces
// collapsed; an empty string stands for a paragraph break, never two in a
// row, none at either end.
func splitLines(s string) []string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		line = oneLine(line)
		if line == "" {
			if len(out) > 0 && out[len(out)-1] != "" {
				out = append(out, "")
			}
			continue
		}
		out = append(out, line)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// joinLines is the inverse of splitLines: paragraphs separated by a blank
// line, lines within a paragraph by a newline.
func joinLines(lines []string) string {
	var b strings.Builder
	blank := true
	for _, l := range lines {
		if l == "" {
			if !blank {
				b.WriteString("\n")
				blank = true
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
		blank = false
	}
	return strings.TrimSpace(b.String())
}

// detectLang guesses a BCP 47 language tag from the script of the letters
// in s: Cyrillic is Ukrainian when the letters only Ukrainian uses (і ї є ґ)
// outnumber those only Russian uses (ы э ъ ё), else Russian; Latin is
// English. It returns "" when s has too few letters to tell.
func detectLang(s string) string {
	var latin, cyr, greek, arabic, hebrew, han, kana, hangul, uk, ru, n int
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		n++
		if n > 5000 {
			break
		}
		switch {
		case r < 0x250:
			latin++
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
			switch unicode.ToLower(r) {
			case 'і', 'ї', 'є', 'ґ':
				uk++
			case 'ы', 'э', 'ъ', 'ё':
				ru++
			}
		case unicode.Is(unicode.Greek, r):
			greek++
		case unicode.Is(unicode.Arabic, r):
			arabic++
		case unicode.Is(unicode.Hebrew, r):
			hebrew++
		case unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r):
			kana++
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		}
	}
	if n < 3 {
		return ""
	}
	best, tag := latin, "en"
	if cyr > best {
		best, tag = cyr, "ru"
		if uk > ru {
			tag = "uk"
		}
	}
	for _, c := range []struct {
		n   int
		tag string
	}{{greek, "el"}, {arabic, "ar"}, {hebrew, "he"}, {han + kana, "zh"}, {hangul, "ko"}} {
		if c.n > best {
			best, tag = c.n, c.tag
		}
	}
	if tag == "zh" && kana > 0 {
		tag = "ja"
	}
	if best == 0 {
		return ""
	}
	return tag
}
