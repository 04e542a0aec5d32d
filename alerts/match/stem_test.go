package match

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

// vocabulary returns the words of the repository's texts (test articles,
// name lists) and of the workloads, folded as the tokenizer folds them,
// with their scripts.
func vocabulary(t testing.TB) map[string]uint8 {
	t.Helper()
	words := map[string]uint8{}
	add := func(text string) {
		var tk tokenizer
		tk.reset(text)
		for tk.next() {
			words[string(tk.form)] = tk.script
		}
	}
	add(actorsFile)
	add(topicsFile)
	for _, glob := range []string{"testdata/*.txt", "../story/testdata/*.txt", "../summary/testdata/*"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			add(string(b))
		}
	}
	return words
}

// inflect makes more words from each: the endings the stemmers strip.
var (
	enEndings = strings.Fields(`s es ed ing ly ness ful ation ational ization iveness ousness biliti alism aliti
		tional enci anci abli entli izer ator alli fulli ousli iviti bli ogi li alize icate ative iciti ical
		ement ance ence able ible ment ent ant ism ate iti ous ive ize ion al er ic eed eedly ingly edly y e ll
		sses ied ies us ss`)
	ruEndings = strings.Fields(`ившись ывшись вшись ивши ывши вши ив ыв в ся сь ими ыми его ого ему ому ее ие ые ое
		ей ий ый ой ем им ым ом их ых ую юю ая яя ою ею ивш ывш ующ нн вш ющ щ уйте ейте ыть ыло ыли ыла уют ует
		нно йте ишь ить ите ило или ила ешь ете ены ено ена ят ют ыт ыл уй ть ны но на ло ли ла ит ил ет ен
		иями ями иях иям ием ией ами ях ям ья ью ье ов ия ию ии еи ев ах ам я ю ь ы у о й и е а ост ость ейше ейш
		ості ість ів ями ією і ї є`)
)

// TestStemmersAgree: Herald's stemmers give what the Snowball library
// gives, on every word of the repository's texts and many inflections of
// them.
func TestStemmersAgree(t *testing.T) {
	var s stemmer
	n := 0
	check := func(w string, script uint8) {
		n++
		var want string
		switch script {
		case scLatin:
			want = english.Stem(w, true)
		case scCyr:
			want = russian.Stem(russianLetters(w), true)
		default:
			return
		}
		if got := string(s.stem([]byte(w), script)); got != want {
			t.Errorf("stem(%q) = %q, the library gives %q", w, got, want)
		}
	}
	k := 0
	for w, script := range vocabulary(t) {
		check(w, script)
		if k++; testing.Short() && k%8 != 0 {
			continue // every inflection of one word in eight
		}
		endings := enEndings
		if script == scCyr {
			endings = ruEndings
		}
		for _, e := range endings {
			check(w+e, script)
			if len(w) > 3 {
				check(w[:len(w)-1]+e, script)
			}
		}
	}
	if n < 100_000 && !testing.Short() {
		t.Errorf("only %d words checked", n)
	}
	if testing.Verbose() {
		t.Logf("%d words agree", n)
	}
}

// TestStem: the exported Stem gives the library's stems for the words it
// takes (a-z, а-я), remembered or not, and refuses the others.
func TestStem(t *testing.T) {
	for _, round := range []string{"first", "remembered"} {
		for w := range vocabulary(t) {
			got, ok := Stem(w)
			var want string
			switch {
			case strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") == "":
				want = english.Stem(w, true)
			case strings.Trim(w, "абвгдежзийклмнопрстуфхцчшщъыьэюя") == "":
				want = russian.Stem(w, true)
			default:
				if ok {
					t.Errorf("Stem(%q) = %q, want it refused", w, got)
				}
				continue
			}
			if !ok || got != want {
				t.Errorf("%s: Stem(%q) = %q, %v; the library gives %q", round, w, got, ok, want)
			}
		}
	}
}

// russianLetters maps the Ukrainian letters Russian lacks, as the stemmer
// does before stemming (for comparing with the library).
func russianLetters(s string) string {
	return strings.NewReplacer("і", "и", "ї", "и", "є", "е", "ґ", "г").Replace(s)
}

// FuzzStemmers compares the stemmers with the library on random words of
// each script's letters.
func FuzzStemmers(f *testing.F) {
	for _, s := range []string{"generalization", "skies", "happy", "переговоров", "санкціями", "ї", "yyy", "commune"} {
		f.Add(s)
	}
	const latin, cyr = "abcdefghijklmnopqrstuvwxyz", "абвгдежзийклмнопрстуфхцчшщъыьэюяіїєґ"
	var s stemmer
	f.Fuzz(func(t *testing.T, in string) {
		// Map the input onto each alphabet.
		var en, ru []rune
		for i, r := range in {
			en = append(en, rune(latin[(int(r)+i)%len(latin)]))
			c := []rune(cyr)
			ru = append(ru, c[(int(r)+i)%len(c)])
		}
		if w := string(en); len(en) > 0 {
			if got, want := string(s.stem([]byte(w), scLatin)), english.Stem(w, true); got != want && len(en) <= maxStemRunes {
				t.Errorf("english %q: %q, library %q", w, got, want)
			}
		}
		if w := string(ru); len(ru) > 0 {
			if got, want := string(s.stem([]byte(w), scCyr)), russian.Stem(russianLetters(w), true); got != want && len(ru) <= maxStemRunes {
				t.Errorf("russian %q: %q, library %q", w, got, want)
			}
		}
	})
}

// TestStemmerAllocatesNothing: a word the caches have not seen costs no
// allocation.
func TestStemmerAllocatesNothing(t *testing.T) {
	var s stemmer
	r := rand.New(rand.NewPCG(1, 1))
	words := make([][]byte, 200)
	for i := range words {
		if i%2 == 0 {
			words[i] = []byte("zq" + strings.Repeat("ab", r.IntN(5)) + "ations")
		} else {
			words[i] = []byte("переговор" + strings.Repeat("а", r.IntN(3)) + "ами")
		}
	}
	s.stem(words[0], scLatin)
	i := 0
	if a := testing.AllocsPerRun(100, func() {
		s.stem(words[i%len(words)], scLatin|uint8(i%2))
		i++
	}); a != 0 {
		t.Errorf("%.1f allocations a word", a)
	}
}
