package match

import (
	"sync"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

// stemString returns the stem of a folded word: the English Snowball
// stemmer for words of plain Latin letters, the Russian one for words of
// Cyrillic letters (Ukrainian included: it shares most endings), and the
// word itself otherwise (digits, mixed or other scripts).
func stemString(form string, script uint8) string {
	switch script {
	case scLatin:
		return english.Stem(form, true)
	case scCyr:
		return russian.Stem(form, true)
	}
	return form
}

// stemMemo is a bounded, shared memo of stems for the slow paths (parsing,
// Explain, brute force). The index keeps its own per-matcher cache.
var stemMemo = struct {
	sync.RWMutex
	m map[string]string
}{m: make(map[string]string)}

const stemMemoMax = 1 << 17

func stemOf(form []byte, script uint8) string {
	if script != scLatin && script != scCyr {
		return string(form)
	}
	stemMemo.RLock()
	s, ok := stemMemo.m[string(form)]
	stemMemo.RUnlock()
	if ok {
		return s
	}
	f := string(form)
	s = stemString(f, script)
	stemMemo.Lock()
	if len(stemMemo.m) >= stemMemoMax {
		clear(stemMemo.m)
	}
	stemMemo.m[f] = s
	stemMemo.Unlock()
	return s
}
