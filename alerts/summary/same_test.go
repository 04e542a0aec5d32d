package summary

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// Summarize's sets of stems are sorted numbers now, not maps; the ref*
// functions are the code before, and must give the same summaries.

func refSummarize(title, body string, max int) string {
	if max <= 0 {
		max = DefaultMax
	}
	spans := splitSentences(body)
	if len(spans) > maxCandidates {
		spans = spans[:maxCandidates]
	}
	titleStems := refContentStems(title)

	type cand struct {
		text  string
		pos   int
		stems map[string]bool
		score float64
	}
	var cands []cand
	for i, sp := range spans {
		text := body[sp.start:sp.end]
		if isBoilerplate(text) {
			continue
		}
		words := len(tokenize(text))
		if words < minWords {
			continue
		}
		stems := refContentStems(text)
		if len(stems) == 0 || refRepeatsTitle(stems, titleStems) {
			continue
		}
		cands = append(cands, cand{text: text, pos: i, stems: stems})
	}
	if len(cands) == 0 {
		return ""
	}

	// TextRank: sentences are nodes, edges weighted by shared stems over
	// the log of the sentence lengths (Mihalcea & Tarau 2004).
	n := len(cands)
	w := make([][]float64, n)
	out := make([]float64, n)
	for i := range cands {
		w[i] = make([]float64, n)
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			shared := 0
			for s := range cands[i].stems {
				if cands[j].stems[s] {
					shared++
				}
			}
			if shared == 0 {
				continue
			}
			den := math.Log(float64(len(cands[i].stems))+1) + math.Log(float64(len(cands[j].stems))+1)
			sim := float64(shared) / den
			w[i][j], w[j][i] = sim, sim
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
				if w[j][i] > 0 {
					sum += w[j][i] / out[j] * rank[j]
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
		titleHit := refOverlap(cands[i].stems, titleStems)
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
			if refJaccard(cands[i].stems, cands[c].stems) > 0.6 {
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
func refRepeatsTitle(stems, title map[string]bool) bool {
	if len(title) == 0 {
		return false
	}
	in := 0
	for s := range stems {
		if title[s] {
			in++
		}
	}
	return float64(in) >= 0.8*float64(len(stems)) && len(stems) <= len(title)+2
}

// overlap is the share of the title's stems the sentence has.
func refOverlap(stems, title map[string]bool) float64 {
	if len(title) == 0 {
		return 0
	}
	in := 0
	for s := range title {
		if stems[s] {
			in++
		}
	}
	return float64(in) / float64(len(title))
}

func refJaccard(a, b map[string]bool) float64 {
	in := 0
	for s := range a {
		if b[s] {
			in++
		}
	}
	union := len(a) + len(b) - in
	if union == 0 {
		return 0
	}
	return float64(in) / float64(union)
}

// refContentStems returns the distinct stems of the content words of s.
func refContentStems(s string) map[string]bool {
	set := map[string]bool{}
	for _, t := range tokenize(s) {
		if stopwords[t.lower] || (utf8.RuneCountInString(t.lower) < 2 && !isDigits(t.lower)) {
			continue
		}
		set[stem(t.lower)] = true
	}
	return set
}

func TestSummarizeSameAsBefore(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	more, _ := filepath.Glob("../../adapters/feeds/testdata/clean/*.txt")
	files = append(files, more...)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		title, body, _ := strings.Cut(text, "\n")
		paras := strings.Split(body, "\n\n")
		reversed := slices.Clone(paras)
		slices.Reverse(reversed)
		for _, tt := range []struct{ title, body string }{
			{title, body}, {"", body}, {title, text}, {paras[0], body},
			{title, strings.Join(reversed, "\n\n")},
		} {
			for _, max := range []int{0, 1, 40, 120, 320, 1000} {
				if got, want := Summarize(tt.title, tt.body, max), refSummarize(tt.title, tt.body, max); got != want {
					t.Fatalf("%s, max %d: got %q, before %q", f, max, got, want)
				}
				n++
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d summaries compared", n)
	}
}

func FuzzSummarizeSameAsBefore(f *testing.F) {
	for _, p := range []string{"testdata/envoy.txt", "testdata/grain-ru.txt"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add("Trump’s envoy sought to convince Putin", string(b), 320)
		}
	}
	f.Add("", "Mr. X. Y.\n\n\n…!?", 1)
	f.Fuzz(func(t *testing.T, title, body string, max int) {
		max %= 2000
		if got, want := Summarize(title, body, max), refSummarize(title, body, max); got != want {
			t.Fatalf("got %q, before %q", got, want)
		}
	})
}
