package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// benchText writes the articles of herald bench --pipeline. It is seeded
// and needs no memory per article, so the load generator beside the
// service under test stays small: article i is the same every time.
//
// No generated subscription (alerts/match/bench's mix: words, phrases and
// names made of syllables without j or x, the built-in actors, and no
// English function words) matches these articles: every word starts with j
// or x, besides common English function words. Articles draw those words
// with Zipf popularity, name a few people and places of their own and cite
// figures, so that each is a story of its own. A probe word (zz…, which no
// generated query names either) makes an article match the subscriptions
// the bench added for it. The run checks every article against the index
// before it starts, so a change to either generator cannot make quiet
// articles match unnoticed.
type benchText struct {
	seed    uint64
	vocab   []string
	names   []string
	outlets []string
	cdf     []float64
	start   time.Time
}

var benchStop = strings.Fields("the of and to in a that is was for on with as by at from it its has have had be been are were said after but not this which will would their they an or more than also who about over into")

func newBenchText(seed uint64, start time.Time) *benchText {
	r := rand.New(rand.NewPCG(seed, 0x7e47))
	t := &benchText{seed: seed, start: start}
	seen := map[string]bool{}
	word := func(syll int) string {
		for tries := 0; ; tries++ {
			if tries > 0 && tries%8 == 0 {
				syll++ // the short words are used up
			}
			var b strings.Builder
			b.WriteByte("jx"[r.IntN(2)])
			for range syll {
				b.WriteString(benchVowels[r.IntN(len(benchVowels))])
				b.WriteString(benchConsonants[r.IntN(len(benchConsonants))])
			}
			if w := b.String(); !seen[w] {
				seen[w] = true
				return w
			}
		}
	}
	for len(t.vocab) < 30_000 {
		t.vocab = append(t.vocab, word(1+r.IntN(3)))
	}
	for len(t.names) < 20_000 {
		w := word(2 + r.IntN(2))
		t.names = append(t.names, strings.ToUpper(w[:1])+w[1:])
	}
	for range 40 {
		w := word(2)
		t.outlets = append(t.outlets, strings.ToUpper(w[:1])+w[1:]+" News")
	}
	// Zipf (s = 1) over the vocabulary, as a cumulative distribution.
	t.cdf = make([]float64, len(t.vocab))
	sum := 0.0
	for k := range t.vocab {
		sum += 1 / float64(k+1)
		t.cdf[k] = sum
	}
	for k := range t.cdf {
		t.cdf[k] /= sum
	}
	return t
}

var (
	benchConsonants = []string{"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "t", "v", "z", "br", "dr", "gl", "nd", "nt", "rk"}
	benchVowels     = []string{"a", "e", "i", "o", "u", "ai", "ei", "ou"}
)

// articleKind says which subscriptions an article of the bench matches.
type articleKind int

const (
	quietArticle   articleKind = iota // none
	flowArticle                       // the 50 chats of one of flowProbes
	latencyArticle                    // one chat of its own
	burstArticle                      // the same burstChats DM chats
)

// The probe subscriptions the bench adds beside the generated ones.
const (
	flowProbes   = 100 // words, each followed by flowChats chats
	flowChats    = 50
	latencyChats = 100 // words, each followed by one chat of its own
	burstChats   = 300 // chats following the burst word
)

// probeWord is the word of probe k of a kind: letters only, ending in a
// consonant no stemmer strips.
func probeWord(kind articleKind, k int) string {
	const letters = "bcdfghkmnprtvw"
	suffix := string([]byte{letters[k/len(letters)%len(letters)], letters[k%len(letters)]})
	switch kind {
	case flowArticle:
		return "zzflow" + suffix
	case latencyArticle:
		return "zzlat" + suffix
	case burstArticle:
		return "zzburst"
	}
	return ""
}

// benchArticle is one pushed article, as POST /v1/articles takes it.
type benchArticle struct {
	Title     string `json:"title"`
	URL       string `json:"url"`
	Body      string `json:"body"`
	Source    string `json:"source"`
	Published string `json:"published,omitempty"`
}

// article returns article i (distinct for every i) of a kind; probe picks
// the probe word of flow and latency articles.
func (t *benchText) article(i int, kind articleKind, probe int) benchArticle {
	r := rand.New(rand.NewPCG(t.seed^0xa7, uint64(i)))
	names := make([]string, 3+r.IntN(4))
	for k := range names {
		names[k] = t.names[r.IntN(len(t.names))]
	}
	figure := func() string {
		if r.IntN(3) == 0 {
			return fmt.Sprintf("%d.%d", 1+r.IntN(99), r.IntN(10))
		}
		return fmt.Sprint(2 + r.IntN(5000))
	}
	figures := []string{figure(), figure(), figure()}
	sentence := func(n int) string {
		var b strings.Builder
		for w := range n {
			if w > 0 {
				b.WriteByte(' ')
			}
			switch x := r.IntN(100); {
			case w > 0 && x < 6:
				b.WriteString(names[r.IntN(len(names))])
			case w > 0 && x < 8:
				b.WriteString(figures[r.IntN(len(figures))])
			case x < 45:
				b.WriteString(benchStop[r.IntN(len(benchStop))])
			default:
				b.WriteString(t.word(r))
			}
		}
		s := b.String()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	title := sentence(7+r.IntN(7)) + " " + names[0]
	if p := probeWord(kind, probe); p != "" {
		title += " " + p
	}
	size := int(math.Exp(math.Log(2000) + 0.55*r.NormFloat64()))
	size = min(max(size, 200), 25_000)
	var body strings.Builder
	for body.Len() < size {
		body.WriteString(sentence(8 + r.IntN(20)))
		body.WriteString(". ")
		if r.IntN(6) == 0 {
			body.WriteString("\n\n")
		}
	}
	outlet := t.outlets[r.IntN(len(t.outlets))]
	return benchArticle{
		Title: title, Body: body.String(), Source: outlet,
		URL:       fmt.Sprintf("https://%s.example/news/%d/%d", strings.ToLower(strings.Fields(outlet)[0]), kind, i),
		Published: t.start.Add(time.Duration(i) * time.Millisecond).UTC().Format(time.RFC3339),
	}
}

func (t *benchText) word(r *rand.Rand) string {
	return t.vocab[sort.SearchFloat64s(t.cdf, r.Float64())%len(t.vocab)]
}
