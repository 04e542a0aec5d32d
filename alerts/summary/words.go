package summary

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"

	"github.com/herald-news/herald/alerts/match"
)

// token is one word of a sentence: its byte range and its lower-case form.
type token struct {
	start, end int
	lower      string
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// tokenize returns the words of s. An apostrophe inside a word keeps it
// whole ("don't", "п'ять"); hyphens and other punctuation split.
func tokenize(s string) []token { return tokenizeInto(nil, s) }

// tokenizeInto is tokenize appending to out.
func tokenizeInto(out []token, s string) []token {
	start := -1
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		inner := (r == '\'' || r == '’') && start >= 0 && i+n < len(s)
		if inner {
			next, _ := utf8.DecodeRuneInString(s[i+n:])
			inner = unicode.IsLetter(next)
		}
		if isWordRune(r) || inner {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			out = append(out, token{start, i, strings.ToLower(s[start:i])})
			start = -1
		}
		i += n
	}
	if start >= 0 {
		out = append(out, token{start, len(s), strings.ToLower(s[start:])})
	}
	return out
}

// stem reduces a lower-case word to its stem: the Snowball Russian stemmer
// for Cyrillic words, the English one for Latin words, the word itself
// otherwise. Possessive "'s" is dropped first.
func stem(w string) string {
	w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
	if s, ok := match.Stem(w); ok {
		return s // the same stem, remembered and without allocating
	}
	r, _ := utf8.DecodeRuneInString(w)
	switch {
	case r < 0x250 && unicode.IsLetter(r):
		return english.Stem(w, false)
	case unicode.Is(unicode.Cyrillic, r):
		return russian.Stem(w, false)
	}
	return w
}

// stopwords carry no content for sentence similarity.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the and or but if of to in on at by for from with without as is are was were be been being
	has have had do does did will would shall should can could may might must not no it its this that these those there
	their they them he him his she her we our you your i me my who whom which what when where why how than then so such
	also just said says say told according after before over under about into out up down more most other some any all
	new one two last first year years week day monday tuesday wednesday thursday friday saturday sunday
	и в во на не что с со по к ко а но за из от о об для это как то же бы ли он она они мы вы его ее её их был была были
	быть будет также так уже при до после ещё еще или когда который которая которые которых этот эта эти году года
	заявил заявила сообщил сообщила сказал сказала
	і й та у в на не що з із по до від за для як це він вона вони ми ви його її їх був була були бути буде також вже
	при після або коли який яка які цей ця ці році року заявив повідомив сказав`) {
		stopwords[w] = true
	}
}

// stemIndex numbers the stems of one text, so that the sentences' sets
// of stems are sorted numbers, compared by merging rather than by map
// lookups.
type stemIndex struct {
	ids map[string]int32
	buf []int32 // backs every set, which stays valid as it grows
}

// set returns the distinct stems of the content words among toks, sorted.
func (x *stemIndex) set(toks []token) []int32 {
	if x.ids == nil {
		x.ids = map[string]int32{}
	}
	from := len(x.buf)
	for _, t := range toks {
		if stopwords[t.lower] || (utf8.RuneCountInString(t.lower) < 2 && !isDigits(t.lower)) {
			continue
		}
		st := stem(t.lower)
		id, ok := x.ids[st]
		if !ok {
			id = int32(len(x.ids))
			x.ids[st] = id
		}
		x.buf = append(x.buf, id)
	}
	set := x.buf[from:]
	slices.Sort(set)
	set = slices.Compact(set)
	x.buf = x.buf[:from+len(set)]
	return set[:len(set):len(set)]
}

// intersection counts the numbers two sorted sets share.
func intersection(a, b []int32) int {
	n := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

func isDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}
