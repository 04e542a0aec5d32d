package match

import (
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

// termCost estimates how common a term is in news text, 0 (rare) to 255
// (in nearly every article), to pick the clause a subscription is indexed
// under. It is a fixed function of the term, so that Remove finds the
// anchors Add chose.
func termCost(kind byte, form string) uint8 {
	if kind == kindSource {
		return 200 // every article of the source has it
	}
	if english.IsStopWord(form) || russian.IsStopWord(form) || commonNewsWords[form] {
		return 250
	}
	n := utf8.RuneCountInString(form)
	allDigits := true
	for i := 0; i < len(form); i++ {
		if form[i] < '0' || form[i] > '9' {
			allDigits = false
			break
		}
	}
	switch {
	case allDigits:
		return 150
	case n <= 2:
		return 180
	case n >= 12:
		return 40
	}
	return uint8(130 - 8*n)
}

// commonNewsWords are stems and forms that most news articles contain.
var commonNewsWords = map[string]bool{}

func init() {
	for _, w := range []string{
		"said", "say", "says", "year", "new", "peopl", "people", "time", "one", "two",
		"also", "would", "could", "will", "like", "last", "first", "state", "govern",
		"government", "presid", "president", "report", "week", "day", "offici",
		"official", "countri", "country", "minist", "minister", "mr", "ms", "news",
		"includ", "make", "made", "get", "go", "told", "take", "may", "month",
		"world", "nation", "us", "uk", "year", "sinc", "since", "us", "call",
		"talk", "meet", "leader", "polit", "part", "most", "mani", "many", "back",
		"sourc", "accord", "help", "want", "work", "continu", "end", "use",
	} {
		commonNewsWords[w] = true
	}
}
