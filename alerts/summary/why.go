package summary

import (
	"strings"
	"unicode/utf8"
)

// WhySentence returns the sentence of body where the most of the given
// terms occur, and the byte ranges within that sentence of each
// occurrence, for /why to mark. Terms are plain words or phrases (quotes
// around a phrase are ignored); they match whole words, ignoring case and
// inflection ("ceasefire" marks "Ceasefires"; a phrase marks its words in
// a row). Ties go to the earlier sentence. It returns "" and nil when no
// term occurs in body.
func WhySentence(body string, terms []string) (sentence string, marks [][2]int) {
	phrases := compileTerms(terms)
	if len(phrases) == 0 {
		return "", nil
	}
	bestTerms, bestMarks := 0, 0
	for _, sp := range splitSentences(body) {
		text := body[sp.start:sp.end]
		toks := tokenize(text)
		var m [][2]int
		found := 0
		for _, ph := range phrases {
			hit := false
			for i := 0; i+len(ph) <= len(toks); i++ {
				if phraseAt(toks, i, ph) {
					m = append(m, [2]int{toks[i].start, toks[i+len(ph)-1].end})
					hit = true
					i += len(ph) - 1
				}
			}
			if hit {
				found++
			}
		}
		if found > bestTerms || (found == bestTerms && found > 0 && len(m) > bestMarks) {
			bestTerms, bestMarks = found, len(m)
			sentence, marks = text, mergeMarks(m)
		}
	}
	return sentence, marks
}

// Mark returns sentence with each marked range wrapped in open and close
// ("<b>", "</b>"), passing the text between and inside the marks through
// escape first (html.EscapeString for HTML; nil leaves it as is).
func Mark(sentence string, marks [][2]int, open, close string, escape func(string) string) string {
	if escape == nil {
		escape = func(s string) string { return s }
	}
	var b strings.Builder
	last := 0
	for _, m := range marks {
		if m[0] < last || m[1] > len(sentence) || m[0] >= m[1] {
			continue
		}
		b.WriteString(escape(sentence[last:m[0]]))
		b.WriteString(open)
		b.WriteString(escape(sentence[m[0]:m[1]]))
		b.WriteString(close)
		last = m[1]
	}
	b.WriteString(escape(sentence[last:]))
	return b.String()
}

// termWord is one word of a term, with its stem for inflected matching.
type termWord struct {
	lower, stem string
}

func compileTerms(terms []string) [][]termWord {
	var out [][]termWord
	for _, t := range terms {
		t = strings.Trim(strings.TrimSpace(t), `"“”«»'`)
		var ph []termWord
		for _, tok := range tokenize(t) {
			ph = append(ph, termWord{tok.lower, stem(tok.lower)})
		}
		if len(ph) > 0 {
			out = append(out, ph)
		}
	}
	return out
}

func phraseAt(toks []token, i int, ph []termWord) bool {
	for k, w := range ph {
		if !wordMatches(toks[i+k].lower, w) {
			return false
		}
	}
	return true
}

// wordMatches compares a text word with a term word: equal, the same stem,
// or the text word starting with the term's stem when that stem is long
// enough to be specific (Ukrainian has no stemmer here).
func wordMatches(word string, w termWord) bool {
	if word == w.lower {
		return true
	}
	ws := stem(word)
	if ws == w.stem {
		return true
	}
	n := utf8.RuneCountInString(w.stem)
	return n >= 4 && strings.HasPrefix(word, w.stem) && utf8.RuneCountInString(word)-n <= 4
}

// mergeMarks sorts ranges and joins overlapping ones.
func mergeMarks(m [][2]int) [][2]int {
	if len(m) == 0 {
		return nil
	}
	for i := 1; i < len(m); i++ {
		for j := i; j > 0 && m[j][0] < m[j-1][0]; j-- {
			m[j], m[j-1] = m[j-1], m[j]
		}
	}
	out := [][2]int{m[0]}
	for _, r := range m[1:] {
		last := &out[len(out)-1]
		if r[0] <= last[1] {
			last[1] = max(last[1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}
