package story

import (
	"hash/fnv"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
)

// maxWords bounds the text read per article: the lead carries the event,
// and long tails of background only blur it.
const maxWords = 400

// set is a sorted set of hashed strings: fast to intersect by merging.
type set []uint64

// features are what the clusterer compares articles on.
type features struct {
	words    set       // content-word stems of the title and the first maxWords words
	title    set       // content-word stems of the title
	at       time.Time // when the article appeared (set by the caller)
	lang     string    // "en", "ru", "uk"…: words compare only within one
	entities set       // names: capitalised words not opening a sentence
	figures  set       // numbers that are not years: "7.7", "1,002", "33"
	concepts set       // actors, places and topics of the names list, any language
	dates    set       // days the text names: weekdays and day-month dates
}

// extract computes an article's features; tagger finds its concepts (nil:
// none).
func extract(a *alerts.Article, tagger *match.Tagger) features {
	lang := langOf(a)
	b := builder{decimalComma: lang != "en"}
	for _, w := range scan(a.Title) {
		if s, ok := contentStem(w.text); ok {
			b.title = append(b.title, hashString(s))
			b.words = append(b.words, hashString(s))
		}
		b.addEntity(w, true)
	}
	n := 0
	for _, w := range scan(a.Body) {
		if n++; n > maxWords {
			break
		}
		if s, ok := contentStem(w.text); ok {
			b.words = append(b.words, hashString(s))
		}
		b.addEntity(w, false)
	}
	f := features{
		words:    makeSet(b.words),
		title:    makeSet(b.title),
		entities: makeSet(b.entities),
		figures:  makeSet(b.figures),
	}
	f.lang = lang
	if tagger != nil {
		var cs []uint64
		tagger.Tags(a, func(entry int) { cs = append(cs, uint64(entry)) })
		f.concepts = makeSet(cs)
	}
	f.dates = datesOf(a)
	return f
}

// Kinds of keys of the window's index.
const (
	keyEntity  = 0x9e3779b97f4a7c15
	keyFigure  = 0xc2b2ae3d27d4eb4f
	keyConcept = 0x165667b19e3779f9
)

// keys are the keys the window indexes an article under: its names,
// figures and concepts, each kind in a space of its own.
func (f *features) keys() []uint64 {
	out := make([]uint64, 0, len(f.entities)+len(f.figures)+len(f.concepts))
	for _, e := range f.entities {
		out = append(out, e^keyEntity)
	}
	for _, x := range f.figures {
		out = append(out, x^keyFigure)
	}
	for _, c := range f.concepts {
		out = append(out, mix64(c^keyConcept))
	}
	return out
}

// mix64 scrambles x (splitmix64's finaliser).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// langOf is the article's language: its Lang when set, else a guess from
// the script (Ukrainian by the letters only it uses).
func langOf(a *alerts.Article) string {
	if a.Lang != "" {
		return a.Lang
	}
	cyr := false
	for _, r := range a.Title + " " + a.Body[:min(len(a.Body), 2000)] {
		switch {
		case r == 'і' || r == 'ї' || r == 'є' || r == 'ґ':
			return "uk"
		case unicode.Is(unicode.Cyrillic, r):
			cyr = true
		}
	}
	if cyr {
		return "ru"
	}
	return "en"
}

// builder collects an article's hashed words before they become sets.
type builder struct {
	words, title, entities, figures []uint64
	decimalComma                    bool // a comma between digits is the decimal point
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func makeSet(xs []uint64) set {
	slices.Sort(xs)
	return set(slices.Compact(xs))
}

// word is one word of a text and whether it opens a sentence.
type word struct {
	text          string
	sentenceStart bool
}

// scan splits text into words, noting which start a sentence (their
// capital says nothing about being a name).
func scan(s string) []word {
	var out []word
	start := -1
	boundary := true
	for i := 0; i <= len(s); {
		r, n := rune(0), 1
		if i < len(s) {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		isWord := i < len(s) && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' && start >= 0 || r == '’' && start >= 0)
		if !isWord && (r == '.' || r == ',') && start >= 0 && i > 0 && isDigitByte(s[i-1]) && i+1 < len(s) && isDigitByte(s[i+1]) {
			isWord = true // "7.7", "1,002"
		}
		if isWord {
			if start < 0 {
				start = i
			}
		} else {
			if start >= 0 {
				out = append(out, word{strings.Trim(s[start:i], "'’"), boundary})
				boundary = false
				start = -1
			}
			switch r {
			case '.', '!', '?', '\n', ':', '"', '“', '«', '—', '–':
				boundary = true
			}
		}
		i += n
	}
	return out
}

// addEntity records w when it looks like a name or a figure: a capitalised
// word that does not merely open a sentence, or a number that is not a
// year. In a title, where Title Case capitalises every word, only numbers
// and acronyms count.
func (b *builder) addEntity(w word, inTitle bool) {
	r, _ := utf8.DecodeRuneInString(w.text)
	switch {
	case unicode.IsDigit(r):
		// The number without its unit ("41.1bn", "30-storey" → "41.1", "30").
		num := strings.TrimRightFunc(w.text, func(r rune) bool { return !unicode.IsDigit(r) })
		if b.decimalComma {
			// Russian and Ukrainian write "15,5" for 15.5.
			num = strings.ReplaceAll(num, ",", ".")
		} else {
			num = strings.ReplaceAll(num, ",", "") // "1,000"
		}
		if len(num) >= 2 && !isYear(num) {
			b.figures = append(b.figures, hashString(num))
		}
	case unicode.IsUpper(r):
		if w.sentenceStart && !inTitle {
			return
		}
		lower := strings.ToLower(w.text)
		if stopwords[lower] || utf8.RuneCountInString(lower) < 2 {
			return
		}
		if inTitle && strings.ToUpper(w.text) != w.text {
			return
		}
		b.entities = append(b.entities, hashString(stem(lower)))
	}
}

func isYear(s string) bool {
	return len(s) == 4 && (strings.HasPrefix(s, "19") || strings.HasPrefix(s, "20"))
}

// contentStem returns the stem of a content word; stopwords, single
// letters and bare numbers are not content.
func contentStem(w string) (string, bool) {
	lower := strings.ToLower(w)
	if stopwords[lower] || utf8.RuneCountInString(lower) < 3 {
		return "", false
	}
	r, _ := utf8.DecodeRuneInString(lower)
	if unicode.IsDigit(r) {
		return "", false
	}
	return stem(lower), true
}

// stem uses the Snowball stemmers: English for Latin words, Russian for
// Cyrillic ones (close enough for Ukrainian at this grain).
func stem(w string) string {
	w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
	if s, ok := match.Stem(w); ok {
		return s // the same stem, remembered and without allocating
	}
	r, _ := utf8.DecodeRuneInString(w)
	switch {
	case r < 0x250:
		return english.Stem(w, false)
	case unicode.Is(unicode.Cyrillic, r):
		return russian.Stem(w, false)
	}
	return w
}

// stopwords carry no event: function words, reporting verbs, days.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the and or but if of to in on at by for from with without as is are was were be been being
	has have had do does did will would shall should can could may might must not no it its this that these those there
	their they them he him his she her we our you your i me my who whom which what when where why how than then so such
	also just said says say told tells according after before over under about into out up down more most other some any all
	new one two three last first next year years week weeks day days month months time while during since between against
	monday tuesday wednesday thursday friday saturday sunday today yesterday tonight earlier later still very much many
	reported reports report added news people per cent percent including amid us via
	и в во на не что с со по к ко а но за из от о об для это как то же бы ли он она они мы вы его ее её их был была были
	быть будет также так уже при до после ещё еще или когда который которая которые которых этот эта эти году года
	заявил заявила сообщил сообщила сказал сказала сообщили заявили словам время является может могут более
	понедельник вторник среду среда четверг пятницу пятница субботу суббота воскресенье сегодня вчера
	і й та у в на не що з із по до від за для як це він вона вони ми ви його її їх був була були бути буде також вже
	при після або коли який яка які цей ця ці році року заявив повідомив сказав`) {
		stopwords[w] = true
	}
}

func isDigitByte(b byte) bool { return b >= '0' && b <= '9' }
