package match

import "unicode/utf8"

// The English Snowball ("Porter2") stemmer, on a word of the letters a-z,
// written to allocate nothing: the index stems every word of an article it
// has not seen before, and a fresh vocabulary must not cost an allocation
// a word. Its output is that of github.com/kljensen/snowball/english, the
// library it replaces here (TestStemmersAgree, FuzzStemmers).

// maxStemRunes is the longest word the stemmers stem; a longer one stays
// as it is, on both sides of a match.
const maxStemRunes = 64

// stemmer holds one word being stemmed. Not safe for concurrent use.
type stemmer struct {
	rs         [maxStemRunes]rune
	n          int // length of the word in rs
	r1, r2, rv int // region starts, as in the Snowball definitions
	out        []byte
}

// set loads a word; false if it is too long.
func (s *stemmer) set(word []byte) bool {
	s.n = 0
	for i := 0; i < len(word); {
		if s.n == maxStemRunes {
			return false
		}
		r, w := rune(word[i]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRune(word[i:])
		}
		s.rs[s.n] = r
		s.n++
		i += w
	}
	return true
}

// bytes returns the word as UTF-8 in s.out.
func (s *stemmer) bytes() []byte {
	s.out = s.out[:0]
	for _, r := range s.rs[:s.n] {
		if r < 0x80 {
			s.out = append(s.out, byte(r))
		} else {
			s.out = appendRune(s.out, r)
		}
	}
	return s.out
}

func appendRune(b []byte, r rune) []byte {
	switch {
	case r < 0x800:
		return append(b, byte(0xC0|r>>6), byte(0x80|r&0x3F))
	case r < 0x10000:
		return append(b, byte(0xE0|r>>12), byte(0x80|r>>6&0x3F), byte(0x80|r&0x3F))
	}
	return append(b, byte(0xF0|r>>18), byte(0x80|r>>12&0x3F), byte(0x80|r>>6&0x3F), byte(0x80|r&0x3F))
}

// hasSuffix reports whether the word ends in suf.
func (s *stemmer) hasSuffix(suf string) bool {
	i := s.n
	for j := len(suf) - 1; j >= 0; {
		// Suffixes are ASCII or two-byte Cyrillic.
		var r rune
		if suf[j] < 0x80 {
			r = rune(suf[j])
			j--
		} else {
			r = rune(suf[j-1]&0x1F)<<6 | rune(suf[j]&0x3F)
			j -= 2
		}
		if i == 0 || s.rs[i-1] != r {
			return false
		}
		i--
	}
	return true
}

// runes is the number of runes of a suffix.
func runes(suf string) int {
	n := 0
	for i := 0; i < len(suf); i++ {
		if suf[i]&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

// truncate shortens the word to n runes, keeping the regions within it.
func (s *stemmer) truncate(n int) {
	s.n = n
	s.r1, s.r2, s.rv = min(s.r1, n), min(s.r2, n), min(s.rv, n)
}

// replace drops the last k runes and appends rep (ASCII), then keeps the
// regions within the new word.
func (s *stemmer) replace(k int, rep string) {
	s.n -= k
	for i := 0; i < len(rep); i++ {
		s.rs[s.n] = rune(rep[i])
		s.n++
	}
	s.truncate(s.n)
}

// vnv is the position after the first non-vowel that follows a vowel from
// start on, or the length of the word.
func (s *stemmer) vnv(start int, vowel func(rune) bool) int {
	for j := start + 1; j < s.n; j++ {
		if vowel(s.rs[j-1]) && !vowel(s.rs[j]) {
			return j + 1
		}
	}
	return s.n
}

func enVowel(r rune) bool {
	switch r {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// englishSpecial are words the algorithm leaves or maps whole.
var englishSpecial = map[string]string{
	"skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
	"idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli",
	"singly": "singl", "sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas",
	"cosmos": "cosmos", "bias": "bias", "andes": "andes", "inning": "inning",
	"innings": "inning", "outing": "outing", "outings": "outing", "canning": "canning",
	"cannings": "canning", "herring": "herring", "herrings": "herring",
	"earring": "earring", "earrings": "earring", "proceed": "proceed",
	"proceeds": "proceed", "proceeded": "proceed", "proceeding": "proceed",
	"exceed": "exceed", "exceeds": "exceed", "exceeded": "exceed", "exceeding": "exceed",
	"succeed": "succeed", "succeeds": "succeed", "succeeded": "succeed", "succeeding": "succeed",
}

// english stems a word of the letters a-z; the result is valid until the
// next call.
func (s *stemmer) english(word []byte) []byte {
	if len(word) <= 2 {
		return word
	}
	if sp, ok := englishSpecial[string(word)]; ok { // no allocation: the compiler looks up without copying
		return append(s.out[:0], sp...)
	}
	if !s.set(word) {
		return word
	}
	// Y as a consonant: at the start, or after a vowel.
	for i := 0; i < s.n; i++ {
		if s.rs[i] == 'y' && (i == 0 || enVowel(s.rs[i-1])) {
			s.rs[i] = 'Y'
		}
	}
	switch {
	case s.hasPrefix("gener"), s.hasPrefix("arsen"):
		s.r1 = 5
	case s.hasPrefix("commun"):
		s.r1 = 6
	default:
		s.r1 = s.vnv(0, enVowel)
	}
	s.r2 = s.vnv(s.r1, enVowel)
	s.rv = s.n
	s.step1a()
	s.step1b()
	s.step1c()
	s.step2()
	s.step3()
	s.step4()
	s.step5()
	for i := 0; i < s.n; i++ {
		if s.rs[i] == 'Y' {
			s.rs[i] = 'y'
		}
	}
	return s.bytes()
}

func (s *stemmer) hasPrefix(p string) bool {
	if len(p) > s.n {
		return false
	}
	for i := 0; i < len(p); i++ {
		if s.rs[i] != rune(p[i]) {
			return false
		}
	}
	return true
}

// first returns the first of the suffixes the word ends in, "" for none.
func (s *stemmer) first(suffixes ...string) string {
	for _, suf := range suffixes {
		if s.hasSuffix(suf) {
			return suf
		}
	}
	return ""
}

func (s *stemmer) step1a() {
	switch suf := s.first("sses", "ied", "ies", "us", "ss", "s"); suf {
	case "sses":
		s.replace(4, "ss")
	case "ied", "ies":
		if s.n > 4 {
			s.replace(3, "i")
		} else {
			s.replace(3, "ie")
		}
	case "s":
		for i := 0; i < s.n-2; i++ {
			if enVowel(s.rs[i]) {
				s.truncate(s.n - 1)
				return
			}
		}
	}
}

func (s *stemmer) step1b() {
	suf := s.first("eedly", "ingly", "edly", "ing", "eed", "ed")
	k := len(suf)
	switch suf {
	case "":
	case "eed", "eedly":
		if k <= s.n-s.r1 {
			s.replace(k, "ee")
		}
	default:
		vowel := false
		for i := 0; i < s.n-k; i++ {
			if enVowel(s.rs[i]) {
				vowel = true
				break
			}
		}
		if !vowel {
			return
		}
		r1, r2 := s.r1, s.r2
		s.truncate(s.n - k)
		switch next := s.first("at", "bl", "iz", "bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt"); next {
		case "":
			if s.r1 >= s.n && s.endsShortSyllable(s.n) {
				s.replace(0, "e")
				s.r1, s.r2 = s.n, s.n
				return
			}
		case "at", "bl", "iz":
			s.replace(0, "e")
		default:
			s.truncate(s.n - 1)
		}
		s.r1, s.r2 = min(r1, s.n), min(r2, s.n)
	}
}

func (s *stemmer) step1c() {
	if s.n > 2 && (s.rs[s.n-1] == 'y' || s.rs[s.n-1] == 'Y') && !enVowel(s.rs[s.n-2]) {
		s.rs[s.n-1] = 'i'
	}
}

func (s *stemmer) step2() {
	suf := s.first("ational", "fulness", "iveness", "ization", "ousness",
		"biliti", "lessli", "tional", "alism", "aliti", "ation",
		"entli", "fulli", "iviti", "ousli", "anci", "abli",
		"alli", "ator", "enci", "izer", "bli", "ogi", "li")
	k := len(suf)
	if suf == "" || k > s.n-s.r1 {
		return
	}
	var rep string
	switch suf {
	case "li":
		if s.n >= 3 {
			switch s.rs[s.n-3] {
			case 'c', 'd', 'e', 'g', 'h', 'k', 'm', 'n', 'r', 't':
				s.truncate(s.n - 2)
			}
		}
		return
	case "ogi":
		if s.n >= 4 && s.rs[s.n-4] == 'l' {
			s.replace(3, "og")
		}
		return
	case "tional":
		rep = "tion"
	case "enci":
		rep = "ence"
	case "anci":
		rep = "ance"
	case "abli":
		rep = "able"
	case "entli":
		rep = "ent"
	case "izer", "ization":
		rep = "ize"
	case "ational", "ation", "ator":
		rep = "ate"
	case "alism", "aliti", "alli":
		rep = "al"
	case "fulness", "fulli":
		rep = "ful"
	case "ousli", "ousness":
		rep = "ous"
	case "iveness", "iviti":
		rep = "ive"
	case "biliti", "bli":
		rep = "ble"
	case "lessli":
		rep = "less"
	}
	s.replace(k, rep)
}

func (s *stemmer) step3() {
	suf := s.first("ational", "tional", "alize", "icate", "ative", "iciti", "ical", "ful", "ness")
	k := len(suf)
	if suf == "" || k > s.n-s.r1 {
		return
	}
	var rep string
	switch suf {
	case "ative":
		if s.n-s.r2 >= 5 {
			s.truncate(s.n - k)
		}
		return
	case "ational":
		rep = "ate"
	case "tional":
		rep = "tion"
	case "alize":
		rep = "al"
	case "icate", "iciti", "ical":
		rep = "ic"
	}
	s.replace(k, rep)
}

func (s *stemmer) step4() {
	suf := s.first("ement", "ance", "ence", "able", "ible", "ment",
		"ent", "ant", "ism", "ate", "iti", "ous", "ive",
		"ize", "ion", "al", "er", "ic")
	k := len(suf)
	if suf == "" || k > s.n-s.r2 {
		return
	}
	if suf == "ion" {
		if s.n >= 4 && (s.rs[s.n-4] == 's' || s.rs[s.n-4] == 't') {
			s.truncate(s.n - k)
		}
		return
	}
	s.truncate(s.n - k)
}

func (s *stemmer) step5() {
	last := s.n - 1
	if s.r1 > last {
		return
	}
	switch {
	case s.rs[last] == 'e':
		if s.r2 <= last || !s.endsShortSyllable(last) {
			s.truncate(last)
		}
	case s.r2 <= last && s.rs[last] == 'l' && last >= 1 && s.rs[last-1] == 'l':
		s.truncate(last)
	}
}

// endsShortSyllable reports whether the first i runes end in a short
// syllable.
func (s *stemmer) endsShortSyllable(i int) bool {
	switch {
	case i == 2:
		return enVowel(s.rs[0]) && !enVowel(s.rs[1])
	case i >= 3:
		c1, c2, c3 := s.rs[i-1], s.rs[i-2], s.rs[i-3]
		return !enVowel(c1) && c1 != 'w' && c1 != 'x' && c1 != 'Y' && enVowel(c2) && !enVowel(c3)
	}
	return false
}
