package feeds

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/summary"
)

// Clean normalises an article as every ingest path does (feed items, HTTP
// push, herald match), so that the matcher, the summariser and the story
// clusterer read the same trustworthy text:
//
//   - invalid UTF-8 repaired (see repairUTF8), double-encoded UTF-8 and C1
//     controls too (see fixText), Unicode in NFC, whitespace collapsed (the
//     body keeps its paragraphs, separated by a blank line);
//   - HTML in the title or body stripped (script and style dropped, block
//     elements made paragraph breaks, entities decoded);
//   - scraped noise removed: ad placeholders, teasers of other articles,
//     "Read Entire Article" links, relative times and counters, share bars,
//     newsletter, cookie and "follow us" prompts;
//   - an outlet cited at the end of the title moved to Outlet;
//   - Summary set to the feed's own description, cleaned and cut to at
//     most ~320 characters (see summary.Summarize), when it has one; else
//     left empty. The extract of the body is made later, only for an
//     article that reaches a chat (the bot's ingest, its format preview,
//     herald read): summarising every article ingested would cost more
//     than cleaning it, for the few that are shown;
//   - Lang reduced to its primary subtag ("en-GB" → "en"), and guessed
//     from the script when empty or when it names a language of another
//     script (a Ukrainian site whose feed says "en");
//   - URL made canonical (see CanonicalURL), ContentHash computed over the
//     normalised title and body, and ID set when empty: from the GUID, else
//     the canonical URL, else the content, so an edited headline keeps the
//     article's ID;
//   - Image kept only as an absolute http(s) URL that names no local or
//     private address, and a GUID that is a script or data URL dropped.
func Clean(a alerts.Article) alerts.Article { return cleanArticle(a, true) }

// cleanArticle is Clean. markup says the fields may hold HTML (a pushed
// article); a feed's parser passes false, having read each field as text
// or HTML already, so that HTML is parsed once and plain text such as
// "Why <script> tags matter" is read literally.
func cleanArticle(a alerts.Article, markup bool) alerts.Article {
	// Bound the work: no article is megabytes of text, and a body that is
	// (a page dump, an attack) must not stall ingest.
	a.Body = cutBytes(a.Body, maxRawBody)
	a.Summary = cutBytes(a.Summary, maxRawBody)
	a.Title = cutBytes(a.Title, maxTitle)
	a.GUID = safeGUID(normalizeRunes(repairUTF8(a.GUID)))
	a.Image = safeImageURL(a.Image)
	line := cleanLine
	text := cleanText
	if !markup {
		line, text = cleanTextLine, cleanPlainText
	}
	a.Source = oneLine(normalizeRunes(stripHTMLIf(markup, repairUTF8(a.Source))))
	a.Outlet = oneLine(normalizeRunes(stripHTMLIf(markup, repairUTF8(a.Outlet))))

	if markup && isHTMLDocument(a.Body) {
		// A whole page pushed as the body: keep its article, not its chrome.
		p := readPage([]byte(repairUTF8(a.Body)), a.URL)
		a.Body = p.Body
		if strings.TrimSpace(a.Title) == "" {
			a.Title = p.Title
		}
		if a.URL == "" {
			a.URL = p.URL
		}
		if a.Lang == "" {
			a.Lang = langTag(p.Lang)
		}
		if a.Image == "" {
			a.Image = safeImageURL(p.Image)
		}
	}
	rawTitle := line(a.Title)
	a.Title = rawTitle
	if head, outlet := splitOutlet(rawTitle); outlet != "" {
		if a.Outlet == "" {
			a.Outlet = outlet
		}
		if strings.EqualFold(outlet, a.Outlet) {
			a.Title = head
		}
	}
	a.Body = cutBytes(text(a.Body, a.Title, rawTitle), maxBody)
	if a.Summary != "" {
		// A feed's own description, cleaned and cut to size.
		a.Summary = summary.Summarize(a.Title, text(a.Summary, a.Title, rawTitle), 0)
	}
	if a.Title == "" {
		// A titleless item (some feeds, a pushed page) is named by its
		// first line rather than left blank in an alert.
		first, _, _ := strings.Cut(a.Body, "\n")
		a.Title = truncateWords(first, 160)
	}

	if a.URL != "" {
		if u, err := CanonicalURL(repairUTF8(a.URL)); err == nil {
			a.URL = u
		} else {
			a.URL = strings.TrimSpace(normalizeRunes(repairUTF8(a.URL)))
		}
	}
	a.Lang = chooseLang(langTag(repairUTF8(a.Lang)), detectLang(a.Title+"\n"+a.Body))
	a.ContentHash = ContentHash(a.Title, a.Body)
	if a.ID == "" {
		a.ID = articleID(a)
	}
	return a
}

// Limits on what Clean reads and keeps, in bytes.
const (
	maxRawBody = 4 << 20   // body or summary as given, markup included
	maxBody    = 256 << 10 // cleaned body text
	maxTitle   = 4 << 10
)

// cutBytes cuts s to at most n bytes, at a line break when one is near the
// end, else at a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	if nl := strings.LastIndexByte(s[:cut], '\n'); nl > cut*3/4 {
		cut = nl
	}
	return strings.TrimRight(s[:cut], " \n\t\r")
}

// ContentHash is the hash of an article's normalised text: the same words
// in the same order, whatever the case, spacing or punctuation, hash the
// same.
func ContentHash(title, body string) string {
	return alerts.ContentID(hashForm(title), hashForm(body))
}

// hashForm is s in lower case, its words (see isWordRune) separated by
// single spaces: strings.ToLower, FieldsFunc and Join in one pass.
func hashForm(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	gap := false // a separator since the last word rune written
	for _, r := range s {
		// strings.ToLower maps each rune with unicode.ToLower (ASCII
		// alike), and an invalid byte to U+FFFD, which separates words.
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
				gap = true
				continue
			}
		} else if r = unicode.ToLower(r); !isWordRune(r) {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte(' ')
		}
		gap = false
		b.WriteRune(r)
	}
	return b.String()
}

// articleID derives an article's stable ID (alerts.DerivedID): from the
// GUID (scoped to the source unless it is a URL or URN, since feeds number
// their items "1", "2" …), else from the canonical URL, else from the
// content.
func articleID(a alerts.Article) string { return alerts.DerivedID(&a) }

// cleanLine is the cleaning of a one-line field such as the title.
func cleanLine(s string) string { return cleanTextLine(stripHTML(repairUTF8(s))) }

// cleanTextLine is cleanLine for a field that is text already.
func cleanTextLine(s string) string {
	s = normalizeRunes(repairUTF8(s))
	return oneLine(stripInlineNoise(s))
}

// cleanText is the cleaning of a multi-line field such as the body.
// titles are the article's own title forms; a first line repeating one is
// dropped.
func cleanText(s string, titles ...string) string {
	return cleanPlainText(stripHTML(repairUTF8(s)), titles...)
}

// cleanPlainText is cleanText for a field that is text already.
func cleanPlainText(s string, titles ...string) string {
	s = normalizeRunes(repairUTF8(s))
	s = stripInlineNoise(s)
	return joinLines(removeNoise(splitLines(s), titles...))
}

func stripHTMLIf(markup bool, s string) string {
	if markup {
		return stripHTML(s)
	}
	return s
}

// truncateWords cuts s at a word boundary to at most max bytes, adding "…".
func truncateWords(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := strings.LastIndexByte(s[:max], ' ')
	if cut <= 0 {
		cut = max
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
	}
	return strings.TrimSpace(s[:cut]) + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// ParseText reads an article in the scraped text form: the first non-empty
// line is the title (lines that are only noise, such as a lone
// "ADVERTISEMENT", are skipped), the rest is the body. The result is
// cleaned.
func ParseText(r io.Reader, source string) (alerts.Article, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return alerts.Article{}, fmt.Errorf("read article: %w", err)
	}
	text := normalizeRunes(repairUTF8(string(data)))
	lines := strings.Split(text, "\n")
	title, rest := "", ""
	for i, line := range lines {
		line = cleanLine(line)
		if line == "" || classifyLine(line) != notNoise {
			continue
		}
		title, rest = line, strings.Join(lines[i+1:], "\n")
		break
	}
	if title == "" {
		return alerts.Article{}, fmt.Errorf("no title: the first non-empty line is the title")
	}
	return Clean(alerts.Article{Title: title, Body: rest, Source: source}), nil
}

// chooseLang keeps the declared language unless the text's script says
// otherwise.
func chooseLang(declared, detected string) string {
	if declared == "" || (detected != "" && isCyrillicLang(declared) != isCyrillicLang(detected)) {
		return detected
	}
	return declared
}

func isCyrillicLang(tag string) bool {
	switch tag {
	case "ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn":
		return true
	}
	return false
}

// isHTMLDocument reports whether s is a whole HTML page rather than a
// fragment.
func isHTMLDocument(s string) bool {
	head := strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	if len(head) > 512 {
		head = head[:512]
	}
	head = strings.ToLower(head)
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

// langTag keeps the primary subtag of a page's lang attribute ("en-GB" →
// "en").
func langTag(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i > 0 {
		s = s[:i]
	}
	if len(s) < 2 || len(s) > 3 {
		return ""
	}
	return s
}
