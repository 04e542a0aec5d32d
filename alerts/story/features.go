package story

import (
	"slices"
	"strings"
	"sync"
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
type set []uint32

// The sets of an article's features, in the order features.data holds
// them.
const (
	setWords    = iota // content-word stems of the title and the first maxWords words
	setTitle           // content-word stems of the title
	setEntities        // names: capitalised words not opening a sentence
	setFigures         // numbers that are not years: "7.7", "1,002", "33"
	setConcepts        // actors, places and topics of the names list, any language
	setDates           // days the text names: weekdays and day-month dates
	numSets
)

// features are what the clusterer compares articles on. An article of the
// window keeps them for as long as it stays there, so they take one array
// of the exact size: the sets one after another, set k ending at ends[k].
type features struct {
	data []uint32
	ends [numSets]uint32
	at   time.Time // when the article appeared (set by the caller)
	lang string    // "en", "ru", "uk"…: words compare only within one
}

// set returns set k of f (setWords…setDates).
func (f *features) set(k int) set {
	start := uint32(0)
	if k > 0 {
		start = f.ends[k-1]
	}
	return set(f.data[start:f.ends[k]:f.ends[k]])
}

func (f *features) words() set    { return f.set(setWords) }
func (f *features) title() set    { return f.set(setTitle) }
func (f *features) entities() set { return f.set(setEntities) }
func (f *features) figures() set  { return f.set(setFigures) }
func (f *features) concepts() set { return f.set(setConcepts) }
func (f *features) dates() set    { return f.set(setDates) }

// extract computes an article's features; tagger finds its concepts (nil:
// none).
func extract(a *alerts.Article, tagger *match.Tagger) features {
	lang := langOf(a)
	b := builders.Get().(*builder)
	defer builders.Put(b)
	for k := range b.sets {
		b.sets[k] = b.sets[k][:0]
	}
	b.decimalComma = lang != "en"
	b.words = scan(a.Title, -1, b.words[:0])
	for _, w := range b.words {
		if h, ok := contentHash(w.text); ok {
			b.sets[setTitle] = append(b.sets[setTitle], h)
			b.sets[setWords] = append(b.sets[setWords], h)
		}
		b.addEntity(w, true)
	}
	// Only the lead counts: the body is read up to its maxWords-th word.
	b.words = scan(a.Body, maxWords, b.words[:0])
	for _, w := range b.words {
		if h, ok := contentHash(w.text); ok {
			b.sets[setWords] = append(b.sets[setWords], h)
		}
		b.addEntity(w, false)
	}
	if tagger != nil {
		tagger.Tags(a, func(entry int) { b.sets[setConcepts] = append(b.sets[setConcepts], uint32(entry)) })
	}
	b.sets[setDates] = b.datesOf(a, b.sets[setDates])
	f := b.features()
	f.lang = lang
	return f
}

// features packs the builder's sets, each sorted and without repeats,
// into one array.
func (b *builder) features() features {
	var f features
	total := 0
	for k := range b.sets {
		b.sets[k] = makeSet(b.sets[k])
		total += len(b.sets[k])
	}
	f.data = make([]uint32, 0, total)
	for k := range b.sets {
		f.data = append(f.data, b.sets[k]...)
		f.ends[k] = uint32(len(f.data))
	}
	return f
}

// Kinds of keys of the window's index, in the keys' top half.
const (
	keyEntity = iota + 1
	keyFigure
	keyConcept
)

// appendKeys appends the keys the window indexes an article under: its
// names, figures and concepts, each kind in a space of its own.
func (f *features) appendKeys(out []uint64) []uint64 {
	for _, kind := range [...]struct {
		set  int
		kind uint64
	}{{setEntities, keyEntity}, {setFigures, keyFigure}, {setConcepts, keyConcept}} {
		for _, x := range f.set(kind.set) {
			out = append(out, kind.kind<<32|uint64(x))
		}
	}
	return out
}

// langOf is the article's language: its Lang when set, else a guess from
// the script (Ukrainian by the letters only it uses).
func langOf(a *alerts.Article) string {
	// The constants, so that the window does not keep the article's own
	// copy.
	switch a.Lang {
	case "en":
		return "en"
	case "ru":
		return "ru"
	case "uk":
		return "uk"
	case "":
	default:
		return a.Lang
	}
	cyr := false
	// The title, then the body's first 2,000 bytes (a rune cut there
	// reads as U+FFFD, as in any string cut short).
	for _, s := range [2]string{a.Title, a.Body[:min(len(a.Body), 2000)]} {
		for _, r := range s {
			switch {
			case r == 'і' || r == 'ї' || r == 'є' || r == 'ґ':
				return "uk"
			case unicode.Is(unicode.Cyrillic, r):
				cyr = true
			}
		}
	}
	if cyr {
		return "ru"
	}
	return "en"
}

// builder collects an article's hashed words before they become sets.
type builder struct {
	sets         [numSets][]uint32
	decimalComma bool // a comma between digits is the decimal point
	// The room of scan and datesOf, kept from one article to the next.
	words []word
	spans []string
}

// builders keep builders (and the room they grew) from one article to the
// next.
var builders = sync.Pool{New: func() any { return new(builder) }}

// hashString is the top half of the string's 64-bit FNV-1a hash. Half
// the size of the whole hash, it sorts hashes in the same order (so that
// sets, and the keys a search follows, keep the order they had with the
// whole), and two distinct words of two articles collide on it about
// once in 70,000 pairs of articles of 250 words.
func hashString(s string) uint32 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return uint32(h >> 32)
}

func makeSet(xs []uint32) set {
	slices.Sort(xs)
	return set(slices.Compact(xs))
}

// word is one word of a text and whether it opens a sentence.
type word struct {
	text          string
	sentenceStart bool
}

// scan appends the words of text to out, up to limit of them (all when
// limit < 0), noting which start a sentence (their capital says nothing
// about being a name).
func scan(s string, limit int, out []word) []word {
	if limit == 0 {
		return out
	}
	start := -1
	count := 0
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
				if count++; count == limit {
					return out
				}
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
			b.sets[setFigures] = append(b.sets[setFigures], hashString(num))
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
		b.sets[setEntities] = append(b.sets[setEntities], stemHash(lower))
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
