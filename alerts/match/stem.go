package match

import (
	"hash/maphash"
	"sync"
)

// stemString returns the stem of a folded word: the English Snowball
// stemmer for words of plain Latin letters, the Russian one for words of
// Cyrillic letters (Ukrainian ones too, see stemmer.russian), and the word
// itself otherwise (digits, mixed or other scripts).
func stemString(form string, script uint8) string {
	if script != scLatin && script != scCyr {
		return form
	}
	st := stemmers.Get().(*stemmer)
	out := string(st.stem([]byte(form), script))
	stemmers.Put(st)
	return out
}

// stem is stemString into the stemmer's buffer, valid until its next
// call; it allocates nothing.
func (s *stemmer) stem(form []byte, script uint8) []byte {
	switch script {
	case scLatin:
		return s.english(form)
	case scCyr:
		return s.russian(form)
	}
	return form
}

// Stem returns the Snowball stem of a lower-case word of the letters a-z
// (English) or of the Russian alphabet а-я (Russian), as the index stems
// it, which is what the Snowball library gives (TestStemmersAgree); ok is
// false for any other word. Recent stems are remembered, so a common word
// costs a lookup; safe for concurrent use. Stories and summaries stem
// every word of every article with it.
func Stem(word string) (stem string, ok bool) {
	var script uint8
	for _, r := range word {
		switch {
		case r >= 'a' && r <= 'z':
			script |= scLatin
		case r >= 'а' && r <= 'я':
			script |= scCyr
		default:
			return "", false
		}
	}
	if script != scLatin && script != scCyr {
		return "", false
	}
	return stemOf([]byte(word), script), true
}

var stemmers = sync.Pool{New: func() any { return new(stemmer) }}

// stemMemo is a bounded, shared memo of stems for the slow paths (parsing,
// Explain, brute force), in shards so that parallel parsers do not queue
// on one lock. The index looks stems up in its own lock-free cache.
type stemShard struct {
	sync.RWMutex
	m map[string]string
}

const (
	stemShards   = 32
	stemMemoMax  = 1 << 15
	stemShardMax = stemMemoMax / stemShards
)

var stemMemo [stemShards]stemShard

func init() {
	for i := range stemMemo {
		stemMemo[i].m = make(map[string]string)
	}
}

func stemOf(form []byte, script uint8) string {
	if script != scLatin && script != scCyr {
		return string(form)
	}
	sh := &stemMemo[maphash.Bytes(fpSeed, form)%stemShards]
	sh.RLock()
	s, ok := sh.m[string(form)]
	sh.RUnlock()
	if ok {
		return s
	}
	f := string(form)
	s = stemString(f, script)
	sh.Lock()
	if len(sh.m) >= stemShardMax {
		clear(sh.m)
	}
	sh.m[f] = s
	sh.Unlock()
	return s
}
