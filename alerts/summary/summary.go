// Package summary writes the short extract an alert shows: the few
// sentences of an article that best carry it, and for /why the sentence
// where a subscription's terms occur. It is extractive (every word comes
// from the article) and does no I/O.
package summary

import (
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// DefaultMax is the longest summary, in characters, when Summarize is
// given no limit.
const DefaultMax = 320

const (
	maxSentences   = 3
	maxCandidates  = 40 // sentences considered: the lead of a long article
	minWords       = 4
	damping        = 0.85
	rankIterations = 30
)

// boilerplate are phrases of sentences that are about the page, not the
// news. Lower case; matched as substrings of the lowered sentence (a
// handful of Contains calls is far cheaper than one case-folding regexp).
var boilerplate = []string{
	"all rights reserved", "©", "copyright", "click here", "read more", "read also",
	"sign up for our", "sign up to our", "subscribe to our", "newsletter", "we use cookies",
	"follow us", "http://", "https://", "www.", "terms of use", "terms of service",
	"privacy policy", "this story has been updated", "this article was updated",
	"this article has been updated", "this article was amended", "this article has been amended",
	"this article was corrected", "this article has been corrected", "reporting by",
	"editing by", "writing by", "photo credit", "image credit", "image source", "image caption",
	"все права защищены", "перепечатка", "подписывайтесь", "читайте также", "читайте також",
	"підписуйтесь",
}

// isBoilerplate reports whether a sentence is page furniture.
func isBoilerplate(s string) bool {
	lower := strings.ToLower(s)
	for _, b := range boilerplate {
		if strings.Contains(lower, b) {
			return true
		}
	}
	// A social handle: "@name".
	for i := strings.IndexByte(lower, '@'); i >= 0 && i+2 < len(lower); {
		if isHandleByte(lower[i+1]) && isHandleByte(lower[i+2]) {
			return true
		}
		j := strings.IndexByte(lower[i+1:], '@')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func isHandleByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_'
}

// Summarize returns the one to three sentences of body that best carry the
// article, in their original order, at most max characters (DefaultMax
// when max <= 0; a single sentence longer than that is cut at a word
// boundary with "…"). Sentences are scored by centrality (a TextRank over
// shared content words) with a bias for the lead, as news puts the point
// first; page boilerplate and sentences that only repeat the title are
// skipped. It returns "" when body has no usable sentence.
func Summarize(title, body string, max int) string {
	if max <= 0 {
		max = DefaultMax
	}
	spans := splitSentences(body)
	if len(spans) > maxCandidates {
		spans = spans[:maxCandidates]
	}
	var stems stemIndex
	toks := tokenizeInto(nil, title)
	titleStems := stems.set(toks)

	type cand struct {
		text  string
		pos   int
		stems []int32 // sorted, distinct
		score float64
	}
	cands := make([]cand, 0, len(spans))
	for i, sp := range spans {
		text := body[sp.start:sp.end]
		if isBoilerplate(text) {
			continue
		}
		toks = tokenizeInto(toks[:0], text)
		if len(toks) < minWords {
			continue
		}
		set := stems.set(toks)
		if len(set) == 0 || repeatsTitle(set, titleStems) {
			continue
		}
		cands = append(cands, cand{text: text, pos: i, stems: set})
	}
	if len(cands) == 0 {
		return ""
	}

	// TextRank: sentences are nodes, edges weighted by shared stems over
	// the log of the sentence lengths (Mihalcea & Tarau 2004). w[i*n+j]
	// is the weight of the edge between i and j.
	n := len(cands)
	w := make([]float64, n*n)
	out := make([]float64, n)
	logLen := make([]float64, n)
	for i := range cands {
		logLen[i] = math.Log(float64(len(cands[i].stems)) + 1)
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			shared := intersection(cands[i].stems, cands[j].stems)
			if shared == 0 {
				continue
			}
			sim := float64(shared) / (logLen[i] + logLen[j])
			w[i*n+j], w[j*n+i] = sim, sim
			out[i] += sim
			out[j] += sim
		}
	}
	rank := make([]float64, n)
	next := make([]float64, n)
	for i := range rank {
		rank[i] = 1
	}
	for range rankIterations {
		for i := range n {
			sum := 0.0
			for j := range n {
				if wji := w[j*n+i]; wji > 0 {
					sum += wji / out[j] * rank[j]
				}
			}
			next[i] = (1 - damping) + damping*sum
		}
		rank, next = next, rank
	}
	top := slices.Max(rank)
	for i := range cands {
		centrality := rank[i] / top
		lead := 1 / math.Sqrt(1+float64(cands[i].pos))
		titleHit := overlap(cands[i].stems, titleStems)
		cands[i].score = 0.45*centrality + 0.4*lead + 0.15*titleHit
	}

	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case cands[a].score > cands[b].score:
			return -1
		case cands[a].score < cands[b].score:
			return 1
		}
		return 0
	})
	var chosen []int
	length := 0
	for _, i := range order {
		if len(chosen) == maxSentences {
			break
		}
		l := utf8.RuneCountInString(cands[i].text)
		if len(chosen) > 0 && length+1+l > max {
			continue
		}
		redundant := false
		for _, c := range chosen {
			if jaccard(cands[i].stems, cands[c].stems) > 0.6 {
				redundant = true
			}
		}
		if redundant {
			continue
		}
		chosen = append(chosen, i)
		length += l + 1
	}
	slices.Sort(chosen)
	parts := make([]string, len(chosen))
	for k, i := range chosen {
		parts[k] = cands[i].text
	}
	return truncate(strings.Join(parts, " "), max)
}

// repeatsTitle reports whether a sentence says little beyond the title.
func repeatsTitle(stems, title []int32) bool {
	if len(title) == 0 {
		return false
	}
	in := intersection(stems, title)
	return float64(in) >= 0.8*float64(len(stems)) && len(stems) <= len(title)+2
}

// overlap is the share of the title's stems the sentence has.
func overlap(stems, title []int32) float64 {
	if len(title) == 0 {
		return 0
	}
	return float64(intersection(stems, title)) / float64(len(title))
}

func jaccard(a, b []int32) float64 {
	in := intersection(a, b)
	union := len(a) + len(b) - in
	if union == 0 {
		return 0
	}
	return float64(in) / float64(union)
}

// truncate cuts s to at most max characters at a word boundary, adding
// "…" when it cut.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	// Byte offset of the rune that would be the max-th, leaving room for "…".
	cut := 0
	for i := range max - 1 {
		_, n := utf8.DecodeRuneInString(s[cut:])
		cut += n
		_ = i
	}
	if sp := strings.LastIndexAny(s[:cut], " \n"); sp > cut/2 {
		cut = sp
	}
	return strings.TrimRight(s[:cut], " ,;:–—-") + "…"
}
