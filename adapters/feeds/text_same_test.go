package feeds

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The cleaning code's fast paths (literal prefilters before the regexps,
// scans that return a text unchanged without copying it, counts without
// slices) must not change what it returns. The ref* functions are the
// code as it was before them; the tests below compare the two on every
// line of the test pages and the shared samples, with noise put in, and
// on fuzzed input.

func refStripInlineNoise(s string) string { return inlineAdRE.ReplaceAllString(s, " ") }

func refStripMidNoise(line string) string {
	if len(line) < 24 {
		return line
	}
	line = midAdRE.ReplaceAllString(line, "$1 $2")
	line = refCutSpans(line, midClickStart, 100, 0)
	return refCutSpans(line, midTeaserStart, 200, maxMidTeaserWords+2)
}

func refCutSpans(line string, start *regexp.Regexp, maxBytes, maxWords int) string {
	for from := 0; from < len(line); {
		loc := start.FindStringSubmatchIndex(line[from:])
		if loc == nil {
			break
		}
		i := from + loc[2]
		j := sentenceEnd(line, i+(loc[3]-loc[2]))
		span := line[i:j]
		if j-i > maxBytes || (maxWords > 0 && len(strings.Fields(span)) > maxWords) {
			from = i + (loc[3] - loc[2])
			continue
		}
		line = strings.TrimRight(line[:i], " ") + " " + strings.TrimLeft(line[j:], " ")
		line = strings.TrimSpace(line)
		from = i
		if from > len(line) {
			break
		}
	}
	return line
}

func refClassifyPart(line string) noiseKind {
	if line == "" {
		return junkLine
	}
	if !hasWordChar(line) {
		return junkLine
	}
	lower := strings.ToLower(line)
	if utf8.RuneCountInString(lower) <= maxMarkerRunes {
		if teaserMarkerRE.MatchString(lower) {
			return teaserMarker
		}
		if adLineRE.MatchString(lower) || moreLinkRE.MatchString(lower) || refIsMetaLine(lower) {
			return junkLine
		}
	}
	words := len(strings.Fields(line))
	if words <= maxNoiseWords {
		if teaserPrefixRE.MatchString(lower) || (containsAny(lower, newsletterHints) && newsletterRE.MatchString(lower)) ||
			(containsAny(lower, followHints) && followRE.MatchString(lower)) ||
			((words <= 4 || containsAny(lower, cookieHints)) && cookieRE.MatchString(lower)) {
			return junkLine
		}
	}
	if words <= 20 && (captionRE.MatchString(lower) || tagsRE.MatchString(lower) || bylineRE.MatchString(line) || copyrightRE.MatchString(lower)) {
		return junkLine
	}
	if words <= maxNoiseWords && strings.HasPrefix(lower, "(") && creditRE.MatchString(lower) {
		return junkLine
	}
	return notNoise
}

func refIsMetaLine(line string) bool {
	rest := strings.TrimSpace(line)
	if rest == "" || utf8.RuneCountInString(rest) > 120 {
		return false
	}
	for i := 0; rest != "" && i < 24; i++ {
		loc := metaTokenRE.FindStringIndex(rest)
		if loc == nil || loc[1] == 0 {
			return false
		}
		rest = strings.TrimLeftFunc(rest[loc[1]:], func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
		})
	}
	return rest == ""
}

func refNormalizeRunes(s string) string {
	s = norm.NFC.String(fixText(s))
	var b strings.Builder
	prevCR := false
	for _, r := range s {
		cr := r == '\r'
		switch {
		case r == '\n':
			if !prevCR {
				b.WriteByte('\n')
			}
		case cr, r == '\u2028', r == '\u2029':
			b.WriteByte('\n')
		case r == '\t', r == '\u00A0', r == '\u202F', r == '\u2007', unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		case r == '\u200B', r == '\u2060', r == '\uFEFF', r == '\u00AD', r == '\u200E', r == '\u200F':
		case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
		case unicode.IsControl(r):
		case r >= '\uFFF9' && r <= '\uFFFB':
		default:
			b.WriteRune(r)
		}
		prevCR = cr
	}
	return b.String()
}

func refHashForm(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !isWordRune(r)
	}), " ")
}

// sameAsBefore reports the first function whose fast path differs from
// the code before it on s.
func sameAsBefore(t *testing.T, s string) {
	t.Helper()
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Fatalf("%s(%q) = %q, before %q", name, s, got, want)
		}
	}
	check("stripInlineNoise", stripInlineNoise(s), refStripInlineNoise(s))
	check("normalizeRunes", normalizeRunes(s), refNormalizeRunes(s))
	check("oneLine", oneLine(s), strings.Join(strings.Fields(s), " "))
	check("countFields", countFields(s), len(strings.Fields(s)))
	check("hashForm", hashForm(s), refHashForm(s))
	line := oneLine(s)
	check("stripMidNoise", stripMidNoise(line), refStripMidNoise(line))
	check("isMetaLine", isMetaLine(strings.ToLower(s)), refIsMetaLine(strings.ToLower(s)))
	check("classifyPart", classifyPart(s), refClassifyPart(s))
	check("classifyPart", classifyPart(line), refClassifyPart(line))
}

// noiseSeeds are the kinds of noise the rules are about, and texts near
// them, to put into the test pages.
var noiseSeeds = []string{"ADVERTISEMENT", "ARTICLE AD BOX", "SKIP ADVERTISEMENT", "STORY CONTINUES BELOW ADVERTISEMENT",
	"SPONSORED CONTENT", "Advertisement", "Sponsored content", "РЕКЛАМА", "Click here to read more.", "Tap HERE for more",
	"Read more: Other headline here", "READ ALSO | Another one", "Related: x", "Читайте также: Новость", "Дивіться також | Новина",
	"5 hours ago", "Share | Save", "Read Entire Article", "Continue reading", "The post X appeared first on Y.", "[…]",
	"Follow us on Twitter", "We use cookies to improve", "By John Smith", "© 2026 Reuters", "(Reporting by Jane Doe; Editing by Bob)",
	"Tags: a, b", "Sign up for our newsletter", "Advert", "ads", "• Sponsored by Acme", "Promoted stories", "Paid for by X",
	"Partner content", "Scroll to continue", "Реклама", "На правах рекламы", "Партнёрский материал", "Новини партнерів", "Промо",
	"Read the full story here", "View comments", "More »", "Source link", "Читать далее", "Подробнее", "Далі",
	"Recommended for you", "You may also like", "Most read", "Top stories", "Editor's picks", "Don't miss", "In other news",
	"Также читайте", "По теме", "На тему", "Ещё по теме", "Важное", "Самое читаемое", "Рекомендуем", "Watch: video", "Video | clip",
	"In pictures: x", "Відео: x", "adbox", "top ad slot", "— Related stories —", "12 comments", "Updated 12:03 GMT | 3 min read",
	"\u00a0", "\t", "\r\n", "\r", "  ", "\u200b", "\u2028", "Â€™", "\u0085", "ÄLTERE", "Straße", "İstanbul", "\xff", "ﬁ", "e\u0301",
	"U.S. ", "Mr. ", "where there here ", ": |", "\u202e", "\ufff9", "\x7f", "\u3000"}

func TestCleaningSameAsBefore(t *testing.T) {
	files, _ := filepath.Glob("testdata/clean/*")
	files = append(files, "../../../shared/samples/scraped-article.txt", "/work/shared/samples/scraped-article.txt")
	var texts []string
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			texts = append(texts, string(b))
		}
	}
	if len(texts) < 5 {
		t.Fatalf("only %d test pages", len(texts))
	}
	n := 0
	for ti, text := range texts {
		for _, s := range noiseSeeds {
			sameAsBefore(t, s)
			sameAsBefore(t, "Talks resumed on Monday. "+s+" The envoys met again.")
		}
		lines := strings.Split(text, "\n")
		for i, line := range lines {
			sameAsBefore(t, line)
			seed := noiseSeeds[(i+ti)%len(noiseSeeds)]
			sameAsBefore(t, seed+" "+line)
			sameAsBefore(t, line+" "+seed)
			if k := strings.Index(line, ". "); k > 0 {
				sameAsBefore(t, line[:k+2]+seed+" "+line[k+2:])
			}
			n += 4
		}
		sameAsBefore(t, text)
	}
	t.Logf("%d texts compared", n)
}

func FuzzCleaningSameAsBefore(f *testing.F) {
	for _, s := range noiseSeeds {
		f.Add(s)
		f.Add("Talks resumed on Monday. " + s + " The envoys met again.")
	}
	f.Fuzz(func(t *testing.T, s string) { sameAsBefore(t, s) })
}

// Each rule's phrases start with one of its first words.
func TestLineRuleWords(t *testing.T) {
	for _, r := range []struct {
		name  string
		re    *regexp.Regexp
		words *wordPrefixes
	}{
		{"adLineRE", adLineRE, adLineWords},
		{"moreLinkRE", moreLinkRE, moreLinkWords},
		{"teaserMarkerRE", teaserMarkerRE, teaserMarkerWords},
		{"teaserPrefixRE", teaserPrefixRE, teaserPrefixWords},
		{"metaTokenRE", metaTokenRE, metaWords},
	} {
		src := r.re.String()
		head := `^[^\p{L}\p{N}]*(?:`
		if r.re == metaTokenRE {
			head = `^(?:`
		}
		if !strings.HasPrefix(src, head) {
			t.Fatalf("%s does not start with %s", r.name, head)
		}
		body := src[len(head)-3:] // from "(?:"
		firsts := firstWords(t, body)
		t.Logf("%s: %q", r.name, firsts)
		if len(firsts) < 5 {
			t.Fatalf("%s: first words %q", r.name, firsts)
		}
		for _, w := range firsts {
			if !r.words.starts(w) {
				t.Errorf("%s: a phrase starts with %q, which none of its first words begins", r.name, w)
			}
		}
	}
}

// firstWords returns the literal letters each alternative of the group
// at the start of expr starts with (up to the first optional letter or
// operator), in lower case.
func firstWords(t *testing.T, expr string) []string {
	alts, rest := splitGroup(t, expr)
	var out []string
	for _, a := range alts {
		out = append(out, leadingLiteral(t, a, rest)...)
	}
	return out
}

// splitGroup splits "(?:a|b|c)rest" into its top-level alternatives and
// what follows the group.
func splitGroup(t *testing.T, expr string) ([]string, string) {
	if !strings.HasPrefix(expr, "(?:") {
		t.Fatalf("not a group: %q", expr)
	}
	depth, start := 0, 3
	var alts []string
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '\\':
			i++
		case '[':
			for i < len(expr) && expr[i] != ']' {
				i++
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return append(alts, expr[start:i]), expr[i+1:]
			}
		case '|':
			if depth == 1 {
				alts = append(alts, expr[start:i])
				start = i + 1
			}
		}
	}
	t.Fatalf("unclosed group: %q", expr)
	return nil, ""
}

// leadingLiteral returns the words alternative a starts with; rest is
// what follows its group, for an alternative that can be empty.
func leadingLiteral(t *testing.T, a, rest string) []string {
	if strings.HasPrefix(a, "(?:") {
		inner, after := splitGroup(t, a)
		var out []string
		for _, in := range inner {
			out = append(out, leadingLiteral(t, in, after)...)
		}
		if strings.HasPrefix(after, "?") || strings.HasPrefix(after, "*") {
			// An optional group: the alternative may start after it.
			next := strings.TrimPrefix(strings.TrimPrefix(after[1:], `\s*`), `\s+`)
			out = append(out, leadingLiteral(t, next, rest)...)
		}
		return out
	}
	if a == "" {
		t.Fatalf("an empty alternative before %q", rest)
	}
	if strings.HasPrefix(a, `\d`) {
		return []string{"0"} // a digit
	}
	var word []rune
	for i, r := range a {
		if !unicode.IsLetter(r) {
			if (r == '?' || r == '*') && len(word) > 0 {
				word = word[:len(word)-1] // the last letter is optional
			}
			break
		}
		if next := a[i+utf8.RuneLen(r):]; strings.HasPrefix(next, "?") || strings.HasPrefix(next, "*") {
			break
		}
		word = append(word, r)
	}
	if len(word) == 0 {
		t.Fatalf("alternative %q starts with no letter", a)
	}
	return []string{string(word)}
}
