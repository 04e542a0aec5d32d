package match

import (
	"hash/maphash"
	"strings"
	"sync"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

// stemString returns the stem of a folded word: the English Snowball
// stemmer for words of plain Latin letters, the Russian one for words of
// Cyrillic letters, and the word itself otherwise (digits, mixed or other
// scripts). Ukrainian shares most endings with Russian but spells some
// with letters Russian lacks (санкції, виборів, землетрусі); those letters
// are read as their Russian counterparts first, so that the Russian
// stemmer finds the endings (санкции, выборив, землетруси).
func stemString(form string, script uint8) string {
	switch script {
	case scLatin:
		return english.Stem(form, true)
	case scCyr:
		return russian.Stem(russianLetters(form), true)
	}
	return form
}

// russianLetters maps the letters of Ukrainian that Russian lacks to the
// Russian ones the stemmer knows: і and ї to и, є to е, ґ to г.
func russianLetters(s string) string {
	if !strings.ContainsAny(s, "іїєґ") {
		return s
	}
	return ukToRu.Replace(s)
}

var ukToRu = strings.NewReplacer("і", "и", "ї", "и", "є", "е", "ґ", "г")

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
