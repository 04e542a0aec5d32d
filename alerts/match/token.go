package match

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// tokenizer splits text into words. A word is a run of letters, digits and
// combining marks; apostrophes between letters stay inside it ("Trump’s",
// "don't") and a trailing possessive 's is dropped. The folded form is lower
// case, without accents or apostrophes. It allocates nothing once its
// buffer has grown.
type tokenizer struct {
	s string
	i int

	form        []byte // folded form of the current word
	start, stop int    // byte offsets of the current word in s
	script      uint8  // scLatin | scCyr | ...
	hyph        bool   // joined to the previous word by a single dash
	scratch     []byte
}

func (t *tokenizer) reset(s string) {
	t.s, t.i = s, 0
	t.form = t.form[:0]
	t.start, t.stop = 0, 0
}

// decode returns the rune at i and its width, with its fold entry.
func (t *tokenizer) decode(i int) (foldEntry, int) {
	c := t.s[i]
	if c < utf8.RuneSelf {
		return asciiFold[c], 1
	}
	r, w := utf8.DecodeRuneInString(t.s[i:])
	return foldRune(r), w
}

// next advances to the next word; false at the end of the text.
func (t *tokenizer) next() bool {
	s := t.s
	// Skip separators, noting whether exactly one dash links this word to
	// the previous one.
	seps, dashes := 0, 0
	first := t.stop == 0 && t.i == 0
	for t.i < len(s) {
		if c := s[t.i]; c < utf8.RuneSelf {
			// ASCII fast path: no marks or invisibles among them.
			switch asciiFold[c].cls {
			case clsWord:
			case clsDash:
				dashes++
				seps++
				t.i++
				continue
			default:
				seps++
				t.i++
				continue
			}
			break
		}
		e, w := t.decode(t.i)
		if e.cls == clsWord {
			break
		}
		switch e.cls {
		case clsDash:
			dashes++
		case clsIgnore:
			t.i += w
			continue
		}
		seps++
		t.i += w
	}
	if t.i >= len(s) {
		return false
	}
	t.hyph = !first && seps == 1 && dashes == 1
	t.start = t.i
	t.form = t.form[:0]
	t.script = 0
	apos := -1     // index in form of the last apostrophe, -1 if none
	marks := false // combining marks seen: refold through NFC
	for t.i < len(s) {
		if c := s[t.i]; c < utf8.RuneSelf {
			if e := &asciiFold[c]; e.cls == clsWord {
				t.form = append(t.form, e.b[0])
				t.script |= e.script
				t.i++
				continue
			} else if e.cls != clsApos {
				break
			}
		}
		e, w := t.decode(t.i)
		switch e.cls {
		case clsWord:
			t.form = append(t.form, e.b[:e.n]...)
			t.script |= e.script
			t.i += w
			continue
		case clsMark:
			marks = true
			t.i += w
			continue
		case clsIgnore:
			t.i += w
			continue
		case clsApos:
			// An apostrophe stays inside a word only between two word
			// characters.
			if t.i+w < len(s) {
				if n, _ := t.decode(t.i + w); n.cls == clsWord {
					apos = len(t.form)
					t.i += w
					continue
				}
			}
		}
		break
	}
	t.stop = t.i
	if marks {
		t.refold()
	}
	// Possessive: "trump's" -> "trump".
	if apos > 0 && len(t.form) == apos+1 && t.form[apos] == 's' && t.script&scLatin != 0 {
		t.form = t.form[:apos]
	}
	return true
}

// refold recomputes the form of a word that had combining marks, composing
// it first so that "e\u0301" folds like "é" and "и\u0306" stays "й".
func (t *tokenizer) refold() {
	word := norm.NFC.String(t.s[t.start:t.stop])
	t.form = t.form[:0]
	t.script = 0
	for _, r := range word {
		e := foldRune(r)
		if e.cls == clsWord {
			t.form = append(t.form, e.b[:e.n]...)
			t.script |= e.script
		}
	}
	// Apostrophes were dropped above; the possessive check in next still
	// runs on the recomputed form only if it ends in "s" after one, which
	// refolding cannot tell, so keep words with marks as they are.
}

// maxCompound is the most parts a hyphenated compound may have to also be
// indexed joined ("cease-fire" -> "ceasefire").
const maxCompound = 4

// word is one word of a text as the matcher sees it: a position, a folded
// form, and where it came from.
type word struct {
	form        []byte
	script      uint8
	pos, end    int // word positions: [pos, end); end-pos > 1 for a joined compound
	start, stop int // byte offsets in the text
	joined      bool
}

// wordScanner yields the words of a text and, after the last part of each
// hyphenated compound, the compound joined ("cease-fire" gives "cease",
// "fire", then "ceasefire" spanning both).
type wordScanner struct {
	tk  tokenizer
	pos int
	w   word

	run      []byte // joined form of the current compound
	runParts int
	runPos   int
	runStart int
	runStop  int
	runSc    uint8

	pending bool
	joinBuf []byte
	jw      word
}

func (ws *wordScanner) reset(s string, basePos int) {
	ws.tk.reset(s)
	ws.pos = basePos
	ws.runParts = 0
	ws.pending = false
}

// flushRun stages the joined form of the finished compound, if any.
func (ws *wordScanner) flushRun() {
	if ws.runParts >= 2 && ws.runParts <= maxCompound {
		ws.joinBuf = append(ws.joinBuf[:0], ws.run...)
		ws.jw = word{form: ws.joinBuf, script: ws.runSc, pos: ws.runPos, end: ws.pos,
			start: ws.runStart, stop: ws.runStop, joined: true}
		ws.pending = true
	}
	ws.runParts = 0
}

func (ws *wordScanner) next() bool {
	if ws.pending {
		ws.pending = false
		ws.w = ws.jw
		return true
	}
	if !ws.tk.next() {
		ws.flushRun()
		if ws.pending {
			ws.pending = false
			ws.w = ws.jw
			return true
		}
		return false
	}
	tk := &ws.tk
	if tk.hyph && ws.runParts > 0 {
		ws.run = append(ws.run, tk.form...)
		ws.runParts++
		ws.runStop = tk.stop
		ws.runSc |= tk.script
	} else {
		ws.flushRun()
		ws.run = append(ws.run[:0], tk.form...)
		ws.runParts = 1
		ws.runPos = ws.pos
		ws.runStart, ws.runStop = tk.start, tk.stop
		ws.runSc = tk.script
	}
	ws.w = word{form: tk.form, script: tk.script, pos: ws.pos, end: ws.pos + 1,
		start: tk.start, stop: tk.stop}
	ws.pos++
	return true
}
