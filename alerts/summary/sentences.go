package summary

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// span is one sentence of a text: its byte range in the text and its
// position among the sentences.
type span struct {
	start, end int
	para       int // paragraph index
}

// abbreviations end in a full stop that does not end a sentence. Lower
// case, without the final dot.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "st": true, "gen": true,
	"col": true, "lt": true, "sgt": true, "capt": true, "cpt": true, "gov": true, "sen": true,
	"rep": true, "jr": true, "sr": true, "inc": true, "ltd": true, "co": true, "corp": true,
	"vs": true, "etc": true, "e.g": true, "i.e": true, "no": true, "nos": true, "fig": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true, "approx": true, "est": true,
	"u.s": true, "u.k": true, "u.n": true, "e.u": true, "a.m": true, "p.m": true, "mt": true,
	"ft": true, "rev": true, "hon": true, "adm": true, "maj": true, "brig": true, "cmdr": true,
	"dept": true, "univ": true, "assn": true, "bros": true, "op": true, "vol": true, "pp": true,
	// Russian and Ukrainian
	"г": true, "гг": true, "т.е": true, "т.д": true, "т.п": true, "т.к": true, "др": true,
	"им": true, "ул": true, "руб": true, "млн": true, "млрд": true, "тыс": true, "ст": true,
	"см": true, "проф": true, "акад": true, "ген": true, "обл": true, "р": true, "грн": true,
	"тис": true, "див": true, "пор": true, "с": true, "стр": true, "рис": true, "п": true,
	"ч": true, "мин": true, "коп": true, "тел": true, "пр": true, "пл": true, "д": true,
}

// splitSentences splits text into sentences: at . ! ? … followed by space
// and the start of a new sentence, and at every line break. A full stop
// after an abbreviation ("Mr.", "U.S.", "т.е."), an initial ("J. Smith",
// "В. Путин") or inside a number is not a sentence end; closing quotes and
// brackets after the end stay with the sentence.
func splitSentences(text string) []span {
	var out []span
	para := 0
	start := -1
	emit := func(end int) {
		if start < 0 {
			return
		}
		s, e := start, end
		for s < e && isSpaceByte(text[s]) {
			s++
		}
		for e > s && isSpaceByte(text[e-1]) {
			e--
		}
		if e > s {
			out = append(out, span{s, e, para})
		}
		start = -1
	}
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == '\n' {
			emit(i)
			if strings.HasPrefix(text[i+n:], "\n") {
				para++
			}
			i += n
			continue
		}
		if start < 0 {
			if unicode.IsSpace(r) {
				i += n
				continue
			}
			start = i
		}
		i += n
		if r != '.' && r != '!' && r != '?' && r != '…' {
			continue
		}
		// Take any run of terminal punctuation and closing quotes.
		j := i
		for j < len(text) {
			r2, n2 := utf8.DecodeRuneInString(text[j:])
			if r2 == '.' || r2 == '!' || r2 == '?' || r2 == '…' || isCloser(r2) {
				j += n2
				continue
			}
			break
		}
		if j < len(text) {
			r2, _ := utf8.DecodeRuneInString(text[j:])
			if r2 != ' ' && r2 != '\n' && r2 != '\t' {
				continue // "3.5", "U.S.-led", "example.com"
			}
		}
		if r == '.' && j == i && isAbbreviation(text[start:i-1]) {
			continue
		}
		// The next word must start a sentence: a capital, a digit, a quote
		// or a dash. "said the U.S. official" does not break.
		k := j
		for k < len(text) && (text[k] == ' ' || text[k] == '\t') {
			k++
		}
		if k < len(text) {
			r3, _ := utf8.DecodeRuneInString(text[k:])
			if r3 != '\n' && !startsSentence(r3) {
				continue
			}
		}
		emit(j)
		i = j
	}
	emit(len(text))
	return out
}

func isSpaceByte(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', '»', ')', ']', '“':
		return true
	}
	return false
}

// startsSentence reports whether r can begin a sentence: anything but a
// lower-case letter or a continuing punctuation mark. Scripts without case
// start sentences anywhere.
func startsSentence(r rune) bool {
	return !unicode.IsLower(r) && !strings.ContainsRune(",;:)]}", r)
}

// isAbbreviation reports whether the text before a full stop ends in an
// abbreviation or an initial.
func isAbbreviation(before string) bool {
	i := len(before)
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(before[:i])
		if !unicode.IsLetter(r) && r != '.' {
			break
		}
		i -= n
	}
	word := before[i:]
	if word == "" {
		return false
	}
	if utf8.RuneCountInString(word) == 1 {
		r, _ := utf8.DecodeRuneInString(word)
		return unicode.IsUpper(r) || abbreviations[strings.ToLower(word)]
	}
	if strings.Contains(word, ".") { // "U.S", "e.g", "т.е"
		return true
	}
	return abbreviations[strings.ToLower(word)]
}
