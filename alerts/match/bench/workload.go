// Package bench generates seeded news-like workloads (articles and
// subscriptions) and measures matchers on them: the index of package match,
// the brute-force evaluator, and a per-subscription regular-expression
// loop. herald bench and the go test benchmarks run it.
package bench

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
)

// Workload is a deterministic source of articles and subscriptions.
//
// Articles draw words from a vocabulary of pseudo-words with Zipf
// popularity, with hyphenated compounds, possessives, punctuation, and
// mentions of actors and places from the built-in list in all their
// spellings (Cyrillic too). Lengths are log-normal: median ~2 KB, p95 ~5 KB,
// at most 25 KB. Subscriptions mix query shapes: 50 % a single word
// or "phrase", 20 % an alias group (an actor, or an OR of 2-3 terms), 20 %
// an AND of 2-3 terms, 10 % an AND with a NOT; some use title: or source:.
// Subscription terms have Zipf popularity (s = 1.07) over a pool of words,
// two-word phrases and names. In the default "cold" mix the pool is
// shuffled and leaves out the 2,000 commonest article words, so most
// subscriptions are specific; alias
// groups are ORs of pool terms, and only a few name a built-in actor. In
// the "hot" mix (NewHotWorkload) the pool is ordered by how common the
// words are in articles after skipping the 300 most generic ones, and a
// tenth of the subscriptions name an actor: the output-bound stress case.
type Workload struct {
	seed    uint64
	hot     bool
	vocab   []string
	docZipf *zipf
	pool    []string // subscription terms: words, "phrases", names that never occur
	subZipf *zipf
	actors  [][]string
	outlets []outlet
}

type outlet struct{ name, host string }

var stop = strings.Fields(`the of and to a in is that for on was with he it as at by from his
has have be are said not but were they this had which after an been their who its new also
will would about two over more one year up than out into when first last other could against`)

// NewWorkload builds the vocabulary and pools of a seed.
func NewWorkload(seed uint64) *Workload { return newWorkload(seed, false) }

// NewHotWorkload is NewWorkload with the "hot" subscription mix.
func NewHotWorkload(seed uint64) *Workload { return newWorkload(seed, true) }

func newWorkload(seed uint64, hot bool) *Workload {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	w := &Workload{seed: seed, hot: hot}
	seen := make(map[string]bool)
	for _, s := range stop {
		seen[s] = true
		w.vocab = append(w.vocab, s)
	}
	const vocabSize = 200_000
	for len(w.vocab) < vocabSize {
		word := pseudoWord(r, 2+r.IntN(3))
		if !seen[word] {
			seen[word] = true
			w.vocab = append(w.vocab, word)
		}
	}
	w.docZipf = newZipf(len(w.vocab), 1.0)
	// Subscription pool: words, phrases of two words, names that never
	// occur; shuffled (cold) or by popularity (hot).
	skip := 2000
	if hot {
		skip = 300
	}
	for i := skip; i < len(w.vocab); i++ {
		w.pool = append(w.pool, w.vocab[i])
	}
	phrase := func() string {
		a := w.vocab[100+w.docZipf.draw(r)%(len(w.vocab)-100)]
		b := w.vocab[100+w.docZipf.draw(r)%(len(w.vocab)-100)]
		return `"` + a + " " + b + `"`
	}
	if hot {
		// Interleave phrases of common words with the words.
		words := w.pool
		w.pool = nil
		for i, wd := range words {
			w.pool = append(w.pool, wd)
			if i%2 == 1 {
				w.pool = append(w.pool, phrase())
			}
		}
	} else {
		for i := 0; i < 200_000; i++ {
			w.pool = append(w.pool, phrase())
		}
		for i := 0; i < 200_000; i++ {
			w.pool = append(w.pool, "zq"+pseudoWord(r, 3))
		}
		r.Shuffle(len(w.pool), func(i, j int) { w.pool[i], w.pool[j] = w.pool[j], w.pool[i] })
	}
	w.subZipf = newZipf(len(w.pool), 1.07)
	// Actors from the built-in list, by their spellings.
	for _, line := range strings.Split(match.ActorsFile(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		var al []string
		for _, f := range strings.Split(line, "|") {
			al = append(al, strings.TrimSpace(f))
		}
		w.actors = append(w.actors, al)
	}
	for i := 0; i < 40; i++ {
		name := strings.ToUpper(pseudoWord(r, 2)[:1]) + pseudoWord(r, 2)
		w.outlets = append(w.outlets, outlet{name: name, host: strings.ToLower(name) + ".com"})
	}
	return w
}

var (
	consonants = []string{"b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "ch", "sh", "th", "st", "tr", "br"}
	vowels     = []string{"a", "e", "i", "o", "u", "ai", "ea", "ou", "y"}
)

func pseudoWord(r *rand.Rand, syll int) string {
	var b strings.Builder
	for i := 0; i < syll; i++ {
		b.WriteString(consonants[r.IntN(len(consonants))])
		b.WriteString(vowels[r.IntN(len(vowels))])
	}
	if r.IntN(2) == 0 {
		b.WriteString(consonants[r.IntN(len(consonants))])
	}
	return b.String()
}

// zipf draws ranks 0..n-1 with P(k) ∝ 1/(k+1)^s, by inverting the
// cumulative distribution with a binary search.
type zipf struct{ cdf []float64 }

func newZipf(n int, s float64) *zipf {
	z := &zipf{cdf: make([]float64, n)}
	sum := 0.0
	for k := 0; k < n; k++ {
		sum += 1 / math.Pow(float64(k+1), s)
		z.cdf[k] = sum
	}
	for k := range z.cdf {
		z.cdf[k] /= sum
	}
	return z
}

func (z *zipf) draw(r *rand.Rand) int {
	u := r.Float64()
	lo, hi := 0, len(z.cdf)-1
	for lo < hi {
		m := (lo + hi) / 2
		if z.cdf[m] < u {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Articles returns n articles; the same seed gives the same articles.
func (w *Workload) Articles(n int) []alerts.Article {
	r := rand.New(rand.NewPCG(w.seed, 0xa971c1e5))
	out := make([]alerts.Article, n)
	for i := range out {
		o := w.outlets[r.IntN(len(w.outlets))]
		target := int(math.Exp(math.Log(2000) + 0.55*r.NormFloat64()))
		target = min(max(target, 200), 25_000)
		out[i] = alerts.Article{
			ID:     fmt.Sprintf("doc-%d", i),
			Title:  w.sentence(r, 8+r.IntN(7), false),
			Source: o.name,
			URL:    "https://www." + o.host + fmt.Sprintf("/news/%d", i),
		}
		if r.IntN(4) == 0 {
			out[i].Outlet = w.outlets[r.IntN(len(w.outlets))].name
		}
		var b strings.Builder
		for b.Len() < target {
			b.WriteString(w.sentence(r, 8+r.IntN(20), true))
			b.WriteString(" ")
			if r.IntN(6) == 0 {
				b.WriteString("\n\n")
			}
		}
		out[i].Body = b.String()
	}
	return out
}

func (w *Workload) sentence(r *rand.Rand, n int, period bool) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			switch r.IntN(12) {
			case 0:
				b.WriteString(", ")
			case 1:
				b.WriteString("-")
			default:
				b.WriteString(" ")
			}
		}
		switch x := r.IntN(100); {
		case x < 3: // an actor or place, any spelling
			al := w.actors[r.IntN(len(w.actors))]
			b.WriteString(al[r.IntN(len(al))])
		default:
			word := w.vocab[w.docZipf.draw(r)]
			if i == 0 {
				word = strings.ToUpper(word[:1]) + word[1:]
			}
			b.WriteString(word)
			if x < 5 {
				b.WriteString("’s")
			}
		}
	}
	if period {
		b.WriteString(".")
	}
	return b.String()
}

// Subscriptions returns n subscriptions with IDs 1..n: the first n of
// SubscriptionSeq.
func (w *Workload) Subscriptions(n int) []alerts.Subscription {
	out := make([]alerts.Subscription, 0, n)
	for id, q := range w.SubscriptionSeq(n) {
		out = append(out, alerts.Subscription{ID: id, Query: q})
	}
	return out
}

// SubscriptionSeq yields n subscriptions with IDs 1..n, made as they are
// read, so that ten million need no slice of them.
func (w *Workload) SubscriptionSeq(n int) iter.Seq2[uint64, string] {
	return func(yield func(uint64, string) bool) {
		r := rand.New(rand.NewPCG(w.seed, 0x5ab5))
		for i := range n {
			if !yield(uint64(i+1), w.query(r)) {
				return
			}
		}
	}
}

// Extra returns n more subscriptions, with IDs from first on, drawn from
// the same mix with another stream: the subscriptions herald bench adds
// while matching runs.
func (w *Workload) Extra(first uint64, n int) []alerts.Subscription {
	r := rand.New(rand.NewPCG(w.seed, 0xadd5))
	out := make([]alerts.Subscription, n)
	for i := range out {
		out[i] = alerts.Subscription{ID: first + uint64(i), Query: w.query(r)}
	}
	return out
}

func (w *Workload) term(r *rand.Rand) string {
	t := w.pool[w.subZipf.draw(r)]
	switch r.IntN(40) {
	case 0:
		return "title:" + t
	case 1:
		return strings.ToUpper(t[:1]) + t[1:]
	}
	return t
}

func (w *Workload) query(r *rand.Rand) string {
	switch x := r.IntN(100); {
	case x < 50:
		return w.term(r)
	case x < 70:
		actorShare := 100 // one alias group in 100 names an actor
		if w.hot {
			actorShare = 2
		}
		if r.IntN(actorShare) == 0 {
			al := w.actors[r.IntN(len(w.actors))]
			return al[r.IntN(len(al))]
		}
		k := 2 + r.IntN(2)
		var parts []string
		for j := 0; j < k; j++ {
			parts = append(parts, w.term(r))
		}
		return strings.Join(parts, " OR ")
	case x < 90:
		k := 2 + r.IntN(2)
		var parts []string
		for j := 0; j < k; j++ {
			parts = append(parts, w.term(r))
		}
		if r.IntN(10) == 0 {
			parts = append(parts, "source:"+w.outlets[r.IntN(len(w.outlets))].name)
		}
		return strings.Join(parts, " ")
	default:
		return w.term(r) + " " + w.term(r) + " -" + w.term(r)
	}
}
