package feeds

import (
	"strings"
	"unicode"
)

// The first words of the anchored line rules (adLineRE, moreLinkRE,
// teaserMarkerRE, teaserPrefixRE): every alternative of a rule starts,
// after its [^\p{L}\p{N}]*, with one of these (as a prefix of the line's
// first letters: "ad" stands for "ads", "advert", "adbox"…), so a line
// whose first letters start with none of them is not run through it.
// Lower case, as the rules are. TestLineRuleWords checks every phrase of
// the rules against them.
var (
	adLineWords = newWordPrefixes("article", "top", "bottom", "inline", "mid", "side", "sticky", "ad",
		"sponsored", "promoted", "paid", "partner", "skip", "story", "continue", "scroll",
		"реклама", "на", "спонсорский", "партн", "новости", "новини", "промо")
	moreLinkWords = newWordPrefixes("read", "continue", "click", "tap", "view", "show", "see", "load", "more",
		"source", "original", "читать", "читати", "подробнее", "детальніше", "докладніше", "далее", "далі")
	teaserMarkerWords = newWordPrefixes("read", "also", "more", "see", "related", "recommended", "you", "most",
		"top", "trending", "popular", "editor", "don", "latest", "in", "читайте", "также", "також",
		"смотрите", "дивіться", "по", "на", "ещ", "важное", "популярное", "самое", "новости", "читати",
		"рекоменду")
	teaserPrefixWords = newWordPrefixes("read", "also", "see", "related", "more", "читайте", "также", "також",
		"смотрите", "дивіться", "по", "читати", "watch", "video", "gallery", "in", "видео", "відео")
)

// wordPrefixes is a set of prefixes, by their first byte.
type wordPrefixes [256][]string

func newWordPrefixes(words ...string) *wordPrefixes {
	var p wordPrefixes
	for _, w := range words {
		p[w[0]] = append(p[w[0]], w)
	}
	return &p
}

// starts reports whether s starts with one of the prefixes.
func (p *wordPrefixes) starts(s string) bool {
	if s == "" {
		return false
	}
	for _, w := range p[s[0]] {
		if strings.HasPrefix(s, w) {
			return true
		}
	}
	return false
}

func notLetterOrNumber(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }
