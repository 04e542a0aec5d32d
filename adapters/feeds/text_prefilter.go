package feeds

// Cheap literal tests that spare the noise rules' regular expressions
// (text_noise.go) most of the text they cannot match. Each is a
// necessary condition of its regexp, so cleaning returns what it did
// without them; text_same_test.go compares the two.

import (
	"strings"
	"unicode"
)

// Literals that every match of midClickStart and midTeaserStart holds:
// without one, the regexp is not run.
var (
	midClickHints  = []string{"Click", "CLICK", "Tap", "TAP"}
	midTeaserHints = []string{"Read ", "READ ", "Also read", "ALSO READ", "See also", "SEE ALSO", "Related", "RELATED",
		"Читайте так", "Смотрите также", "Дивіться також"}
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
	// metaWords start the pieces of a meta line (metaTokenRE): a digit
	// or one of these.
	metaWords = newWordPrefixes("0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
		"last", "updated", "published", "posted", "edited", "modified", "обновлено", "опубликовано", "оновлено", "опубліковано", "on",
		"about", "over", "almost", "less", "около", "більше", "более", "a", "one", "few",
		"одн", "один", "пару", "несколько", "сек", "мин", "час", "ч", "дн", "день", "недел", "месяц", "год", "лет",
		"хв", "годин", "тиж", "місяц", "рок", "рік",
		"just", "moment", "yesterday", "today", "tonight", "только", "вчера", "сегодня", "щойно", "вчора", "сьогодні",
		"reading", "время", "читать", "читати", "comment", "share", "view", "like", "комментари", "коментарі", "просмотр", "перегляд",
		"at", "в", "о", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
		"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
		"tweet", "e", "print", "save", "copy", "facebook", "twitter", "whatsapp", "telegram", "linkedin", "reddit", "pinterest",
		"flipboard", "messenger", "vk", "ok", "x", "listen", "поделиться", "поширити", "сохранить", "зберегти", "написать", "печать", "друк")
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

// stripInlineNoise removes upper-case ad markers glued into running text:
// inlineAdRE.ReplaceAllString(s, " "), by a literal search (the regexp
// scanned every body).
func stripInlineNoise(s string) string {
	// Every marker holds one of these: most texts hold none.
	if !strings.Contains(s, "ADVERTISEMENT") && !strings.Contains(s, "ARTICLE AD BOX") && !strings.Contains(s, "SPONSORED CONTENT") {
		return s
	}
	var b strings.Builder
	last := 0
	for {
		start, end := nextInlineAd(s, last)
		if start < 0 {
			break
		}
		b.WriteString(s[last:start])
		b.WriteByte(' ')
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// inlineAds are inlineAdRE's markers, in its order of preference.
var inlineAds = []string{"ARTICLE AD BOX", "SKIP ADVERTISEMENT", "STORY CONTINUES BELOW ADVERTISEMENT", "ADVERTISEMENT", "SPONSORED CONTENT"}

// nextInlineAd returns the match of inlineAdRE in s that starts first at
// or after from, as the regexp finds it: the leftmost, and of markers
// that start there, the first of inlineAds; each between word boundaries
// (\b: ASCII letters, digits and _ are word characters). It returns -1
// when there is none.
func nextInlineAd(s string, from int) (start, end int) {
	start, end = -1, -1
	for _, ad := range inlineAds {
		for i := from; i < len(s); {
			k := strings.Index(s[i:], ad)
			if k < 0 {
				break
			}
			p := i + k
			if start >= 0 && p >= start {
				break // a marker earlier in the list starts no later
			}
			if (p == 0 || !isASCIIWordByte(s[p-1])) && (p+len(ad) == len(s) || !isASCIIWordByte(s[p+len(ad)])) {
				start, end = p, p+len(ad)
				break
			}
			i = p + 1
		}
	}
	return start, end
}

func isASCIIWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
