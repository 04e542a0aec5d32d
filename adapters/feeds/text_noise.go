package feeds

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Scraped pages carry text that is not the article: ad placeholders, teasers
// of other articles, "read the whole thing" links, timestamps and counters,
// share bars, newsletter and cookie prompts. The rules below recognise
// these by their shape (a short line that is nothing but such a thing), so
// they hold on pages they were not written from. Russian and Ukrainian
// forms are included.

// adLineRE is a line that only marks where an ad was.
var adLineRE = regexp.MustCompile(`^[^\p{L}\p{N}]*(?:(?:article|top|bottom|inline|mid|side|sticky)?\s*ad(?:vert)?\s*(?:box|slot|unit|placeholder|banner|container)|advertisements?|advertising|advertorial|adverts?|ads?|sponsored(?:\s+(?:content|post|story|links?|by\s+.{1,40}))?|promoted(?:\s+(?:content|stories|by\s+.{1,40}))?|paid\s+(?:content|post|partnership|for\s+by\s+.{1,40})|partner\s+content|skip\s+advertisement|(?:story|article)\s+continues\s+below(?:\s+(?:this\s+)?advertisement)?|continue\s+reading\s+(?:the\s+main\s+story|below)|scroll\s+(?:down\s+)?to\s+continue(?:\s+with\s+content)?|реклама|на\s+правах\s+рекламы|спонсорский\s+материал|партн[её]рский\s+материал|новости\s+партн[её]ров|новини\s+партнерів|партнерський\s+матеріал|промо)[^\p{L}\p{N}]*$`)

// inlineAdRE is an upper-case ad marker glued into running text.
var inlineAdRE = regexp.MustCompile(`\b(?:ARTICLE AD BOX|SKIP ADVERTISEMENT|STORY CONTINUES BELOW ADVERTISEMENT|ADVERTISEMENT|SPONSORED CONTENT)\b`)

// moreLinkRE is a line that only links to the full text elsewhere.
var moreLinkRE = regexp.MustCompile(`^[^\p{L}\p{N}]*(?:read\s+(?:the\s+)?(?:entire|full|whole|complete|original)\s+(?:article|story|post|report|piece)(?:\s+(?:here|at|on)\b.{0,60})?|read\s+(?:the\s+)?(?:rest|full\s+text)(?:\s+of\s+(?:the|this)\s+(?:article|story))?(?:\s+(?:here|at|on)\b.{0,60})?|read\s+more\s+(?:at|on|here)\b.{0,60}|continue\s+reading(?:\s+(?:here|at|on)\b.{0,60})?|(?:click|tap)\s+here\s+(?:to|for)\b.{0,60}|(?:view|show|see|load)\s+(?:more|all|comments?|full\s+(?:article|story))|more\s*(?:»|>>|→|\.\.\.|…)|source\s+link|original\s+article|читать\s+(?:далее|дальше|полностью|статью\s+полностью|подробнее|оригинал)|читати\s+(?:далі|повністю|більше)|подробнее|детальніше|докладніше|далее|далі)[^\p{L}\p{N}]*$`)

// trailingMoreRE is such a link glued to the end of a paragraph.
var trailingMoreRE = regexp.MustCompile(`(?i)([.!?…"”’»)])\s*(?:read\s+(?:the\s+)?(?:entire|full|whole)\s+(?:article|story)|continue\s+reading|читать\s+(?:далее|полностью)|читати\s+далі)[^\p{L}\p{N}]*$`)

// appearedFirstRE is the footer WordPress feeds add to every item.
var appearedFirstRE = regexp.MustCompile(`(?i)\s*(?:the\s+post|the\s+article|сообщение|запис)\s.{1,300}?\s(?:appeared\s+first\s+on|появилось\s+сначала\s+на|з.явився\s+спочатку\s+на)\s.{1,100}$|\s*\[(?:…|\.\.\.|&hellip;)\]\s*$`)

// teaserMarkerRE introduces links to other articles. When the marker is
// alone on its line, the short lines after it are their headlines.
var teaserMarkerRE = regexp.MustCompile(`^[^\p{L}\p{N}]*(?:read\s+(?:more|also|next)|also\s+read|more\s+(?:on\s+this(?:\s+story)?|from\s+.{1,40}|stories|news|to\s+read|like\s+this)|see\s+also|related(?:\s+(?:articles?|stories|news|content|coverage|reading|topics|links))?|recommended(?:\s+(?:for\s+you|stories|reading))?|you\s+(?:may|might)\s+(?:also\s+)?(?:like|be\s+interested\s+in)|(?:most\s+(?:read|popular|viewed|shared)|top\s+stories|trending(?:\s+now)?|popular(?:\s+now)?|editor'?s\s+picks?|don'?t\s+miss|latest\s+(?:news|stories)|in\s+other\s+news)|читайте\s+(?:также|тоже|еще|ещё|також|більше)|также\s+читайте|також\s+читайте|смотрите\s+также|дивіться\s+також|по\s+теме|на\s+тему|ещ[её]\s+по\s+теме|важное|популярное|самое\s+читаемое|новости\s+по\s+теме|читати\s+також|рекомендуем|рекомендуємо)[^\p{L}\p{N}]*$`)

// teaserPrefixRE is a marker followed by the headline on the same line.
var teaserPrefixRE = regexp.MustCompile(`^[^\p{L}\p{N}]*(?:read\s+(?:more|also|next)|also\s+read|see\s+also|related|more\s+on\s+this|читайте\s+(?:также|тоже|також)|также\s+читайте|смотрите\s+также|дивіться\s+також|по\s+теме|читати\s+також|watch|video|gallery|in\s+pictures|видео|відео|смотрите|дивіться)\s*[:|»>–—-]\s*\S`)

// newsletterRE is a call to sign up for mail, alerts or a channel.
var newsletterRE = regexp.MustCompile(`^[^\p{L}\p{N}]*(?:(?:sign\s+up|subscribe|register)\b.{0,80}\b(?:newsletters?|briefings?|inbox|e-?mails?|digest|alerts?|updates?)\b|(?:get|join|receive)\s+(?:our|the\s+latest|free|exclusive|breaking)\b.{0,80}\b(?:newsletters?|briefings?|inbox|e-?mails?|digest|alerts?|updates?|delivered)\b|enter\s+your\s+e-?mail|never\s+miss\s+(?:a|an|the)\b|don'?t\s+miss\s+(?:a|an|out)\b|.{0,60}\b(?:sign\s+up\s+(?:for|to)|subscribe\s+to)\s+our\b|.{0,40}\bnewsletter\b.{0,40}(?:sign\s+up|subscribe|inbox)|by\s+(?:signing\s+up|subscribing|clicking)\b|(?:подпишитесь|подписывайтесь|підпишіться|підписуйтесь)\s+на(?:\s|$)|.{0,60}(?:рассылк|розсилк)\p{L}*|(?:получайте|отримуйте)\s.{0,60}(?:почт|пошт|telegram|телеграм))`)

// followRE is a prompt to follow the outlet somewhere.
var followRE = regexp.MustCompile(`^[^\p{L}\p{N}]*(?:(?:follow|like|join|find|connect\s+with)\s+(?:us|@\S+|[\p{L}\s]{1,30}?)\s+(?:on|in|at)\s+(?:twitter|x|facebook|instagram|telegram|tiktok|youtube|linkedin|threads|bluesky|whatsapp|google\s+news|viber|social\s+media|mastodon)\b|follow\s+us\b|(?:подписывайтесь|подпишитесь|следите|читайте|смотрите|стежте|слідкуйте|приєднуйтесь|присоединяйтесь)[\s,].{0,50}?(?:telegram|телеграм|вконтакте|vk|twitter|facebook|youtube|дзен|яндекс|google|viber|соцсет|соцмереж|instagram|tiktok|канал))`)

// cookieRE is a cookie or consent notice.
var cookieRE = regexp.MustCompile(`\bcookies?\b.{0,160}?\b(?:you|your|our|this\s+(?:site|website)|accept|by\s+continuing|settings|preferences)\b|\b(?:we|this\s+(?:site|website))\s+uses?\s+cookies|\b(?:you|our)\b.{0,100}\bcookies?\b|(?:cookie|куки).{0,160}?(?:используем|использует|соглаша|продолжая|принять|використову|погоджу|продовжуючи)|(?:мы\s+используем|продолжая\s+(?:пользоваться|использовать)|ми\s+використовуємо|продовжуючи).{0,160}(?:cookie|куки)|^[^\p{L}]*(?:accept(?:\s+all)?(?:\s+cookies)?|reject\s+all|manage\s+(?:preferences|cookies|consent|options)|cookie\s+settings|i\s+agree|got\s+it|принять(?:\s+все)?|согласен|прийняти)[^\p{L}]*$`)

// creditRE is a wire story's credit line: "(Reporting by Jane Doe;
// Editing by John Smith)", in parentheses as the agencies print it.
var creditRE = regexp.MustCompile(`^\((?:additional\s+)?(?:reporting|writing|editing|compiled|translated|graphics|fact-checking)\s+by\b[^()]{1,200}\)$`)

// copyrightRE is a rights notice: "© 2026 Globe Media", "Copyright ©
// 2026 …", "Copyright 2026 Reuters. All rights reserved.", or the last
// part alone on its line. A sentence
// that only reports on copyright ("Copyright 2019 lawsuit dismissed", "…
// said all rights were reserved") has neither the sign nor both parts.
var copyrightRE = regexp.MustCompile(`^[^\p{L}\p{N}]*(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)))|^[^\p{L}\p{N}]*(?:copyright|авторское\s+право|авторське\s+право)\b.*(?:all\s+rights\s+reserved|все\s+права\s+защищены|всі\s+права\s+захищені)[^\p{L}\p{N}]*$|^[^\p{L}\p{N}]*(?:all\s+rights\s+reserved|все\s+права\s+защищены|всі\s+права\s+захищені)[^\p{L}\p{N}]*$`)

// Noise inside a paragraph, between two sentences: an ad marker, a call to
// click, a teaser of another article with its headline. Each must start
// after a sentence end ("… on Monday. Advertisement The talks …"), so a
// sentence that only uses the word is kept.
var (
	// midAdRE: an ad word after a sentence end and before the next
	// sentence's capital. (Not "Advertising" or "Реклама": sentences
	// start with them.)
	midAdRE = regexp.MustCompile(`([.!?…"”’»])\s+(?:Advertisement|ADVERTISEMENT|Sponsored content|SPONSORED CONTENT|РЕКЛАМА)\s*:?\s+(\p{Lu})`)
	// midClickStart: where "Click here to …" starts.
	midClickStart = regexp.MustCompile(`(?:^|[.!?…"”’»]\s+)((?:Click|Tap|CLICK|TAP)\s+(?:here|HERE)\s+(?:to|for|TO|FOR)\b)`)
	// midTeaserStart: where "Read more: <headline>" starts.
	midTeaserStart = regexp.MustCompile(`[.!?…"”’»]\s+((?:Read more|READ MORE|Read also|READ ALSO|Also read|ALSO READ|See also|SEE ALSO|Related|RELATED|Читайте также|Читайте також|Смотрите также|Дивіться також)\s*[:|]\s*\S)`)
)

// maxMidTeaserWords bounds the headline a mid-paragraph teaser may take
// with it. A headline flattened into the text without a full stop runs on
// into the next sentence, and the two cannot be told apart; past this
// many words the teaser is left alone rather than a sentence of the
// article lost with it.
const maxMidTeaserWords = 10

// stripMidNoise removes the noise that sits inside a paragraph.
func stripMidNoise(line string) string {
	if len(line) < 24 {
		return line
	}
	if strings.Contains(line, "dvertisement") || strings.Contains(line, "DVERTISEMENT") || strings.Contains(line, "ponsored") || strings.Contains(line, "PONSORED") || strings.Contains(line, "РЕКЛАМА") {
		line = midAdRE.ReplaceAllString(line, "$1 $2")
	}
	if (strings.Contains(line, "here") || strings.Contains(line, "HERE")) && containsAny(line, midClickHints) {
		line = cutSpans(line, midClickStart, 100, 0)
	}
	if strings.ContainsAny(line, ":|") && containsAny(line, midTeaserHints) {
		line = cutSpans(line, midTeaserStart, 200, maxMidTeaserWords+2)
	}
	return line
}

// cutSpans removes, for each match of start (its first group), the text
// from there to the end of its sentence, when that is within maxBytes and,
// if maxWords > 0, that many words.
func cutSpans(line string, start *regexp.Regexp, maxBytes, maxWords int) string {
	for from := 0; from < len(line); {
		loc := start.FindStringSubmatchIndex(line[from:])
		if loc == nil {
			break
		}
		i := from + loc[2]
		j := sentenceEnd(line, i+(loc[3]-loc[2]))
		span := line[i:j]
		if j-i > maxBytes || (maxWords > 0 && countFields(span) > maxWords) {
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

// sentenceEnd returns the index just past the sentence that runs through
// i: after a run of . ! ? that ends the line or is followed by a space and
// a capital ("U.S. statement" does not end at "U."), else the line's end.
func sentenceEnd(line string, i int) int {
	for k := i; k < len(line); k++ {
		if c := line[k]; c != '.' && c != '!' && c != '?' {
			continue
		}
		e := k + 1
		for e < len(line) && (line[e] == '.' || line[e] == '!' || line[e] == '?') {
			e++
		}
		if e == len(line) {
			return e
		}
		if line[e] != ' ' {
			k = e - 1
			continue
		}
		r, _ := utf8.DecodeRuneInString(strings.TrimLeft(line[e:], " \"'“‘«"))
		if unicode.IsUpper(r) {
			return e
		}
		k = e - 1
	}
	return len(line)
}

// captionRE is an image credit or caption label.
var captionRE = regexp.MustCompile(`^[^\p{L}\p{N}]*(?:image\s+(?:source|caption|copyright)|photo(?:graph)?(?:\s+credit)?\s*[:,©/]|picture\s*[:,]|credit\s*:|©|фото\s*[:,©/]|фото\s+\S+\s*/|источник\s+фото|джерело\s+фото|getty\s+images$|media\s+caption)`)

// tagsRE is a line listing the page's tags or topics.
var tagsRE = regexp.MustCompile(`^[^\p{L}]*(?:tags|topics|related\s+topics|filed\s+under|categories|category|section|теги|метки|темы|теми|рубрика|рубрики)\s*:`)

// bylineRE is a line naming the author only.
var bylineRE = regexp.MustCompile(`^(?:By|BY|Автор:?|Author:?|Written\s+by|Reporting\s+by)\s+\p{Lu}[\p{L}.'’-]*(?:\s+(?:\p{Lu}[\p{L}.'’-]*|and|&|de|van|von|и|і))*(?:\s*[,|]\s*.{0,40})?$`)

// metaTokenRE matches one piece of a page's meta line at its start: a
// relative or absolute time, a reading time, a counter, a share button.
// A line made only of such pieces is noise ("5 hours ago 2",
// "Updated 12:03 GMT | 3 min read | 12 comments").
var metaTokenRE = regexp.MustCompile(`^(?:` +
	`(?:(?:last\s+)?(?:updated|published|posted|edited|modified|обновлено|опубликовано|оновлено|опубліковано)\s*:?|on)\s*` +
	`|(?:about|over|almost|less\s+than|около|більше|более)?\s*(?:\d+|an?|one|few|a\s+few)\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?|mos?|months?|y|yrs?|years?)\s+ago\b` +
	`|(?:\d+|одну|один|одна|пару|несколько)?\s*(?:секунд\p{L}*|сек\.?|минут\p{L}*|мин\.?|час\p{L}*|ч\.|дн\p{L}*|день|недел\p{L}*|месяц\p{L}*|год\p{L}*|лет|хвилин\p{L}*|хв\.?|годин\p{L}*|тиж\p{L}*|місяц\p{L}*|рок\p{L}*|рік)\s+(?:назад|тому)` +
	`|just\s+now|moments?\s+ago|yesterday|today|tonight|только\s+что|вчера|сегодня|щойно|вчора|сьогодні` +
	`|\d+\s*(?:-\s*)?(?:min|mins|minutes?|m)\s+(?:read|listen|watch)|(?:reading\s+time|время\s+чтения|час\s+читання)\s*:?\s*\d+\s*\p{L}*` +
	`|\d+\s*мин(?:ут\p{L}*)?\.?\s*(?:чтения|на\s+чтение)|\d+\s*хв(?:илин\p{L}*)?\.?\s*(?:читання|на\s+читання)|(?:читать|читати)\s+за\s+\d+\s*\p{L}+\.?` +
	`|\d[\d.,\s]*[kmкм]?\s*(?:comments?|shares?|views?|likes?|reactions?|replies|retweets?|reposts?|reads?|комментари\p{L}*|коммент\p{L}*|коментар\p{L}*|просмотр\p{L}*|перегляд\p{L}*|репост\p{L}*|лайк\p{L}*|поделил\p{L}*)` +
	`|(?:comments?|shares?|views?|likes?|комментарии|коментарі|просмотры|перегляди)\s*:?\s*\(?\d[\d.,]*[kmкм]?\)?` +
	`|(?:(?:at|в|о|об)\s+)?\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?\s*(?:gmt|utc|bst|msk|cet|cest|eet|eest|et|est|edt|pt|pst|pdt|мск|по\s+киеву|за\s+київським\s+часом)?` +
	`|\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s*(?:\d{4})?` +
	`|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?` +
	`|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s*(?:\d{4})?` +
	`|\d{1,2}\s+(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр|січн|лют|берез|квітн|травн|червн|липн|серпн|вересн|жовтн|листопад|грудн)\p{L}*\s*(?:\d{4})?\s*(?:г\.|года|р\.|року)?` +
	`|\d{4}-\d{2}-\d{2}(?:t[\d:]+z?)?|\d{1,2}[./]\d{1,2}[./]\d{2,4}` +
	`|share(?:\s+(?:this|on|via)(?:\s+(?:article|story|page|post))?)?|tweet|e-?mail|print|save|copy\s+(?:link|url)|facebook|twitter|whatsapp|telegram|linkedin|reddit|pinterest|flipboard|messenger|vk|ok|x|listen(?:\s+to\s+(?:this\s+)?article)?|comments?|поделиться|поширити|сохранить|зберегти|комментарии|коментарі|написать\s+комментарий|печать|друк` +
	`|\d+\s*(?:min|mins|m|sec|secs|s|h|hrs?|мин\.?|хв\.?|сек\.?)` +
	`|\d[\d.,]*[kmкм]?` +
	`)(?:\s*[|•·,:/()\-–—]+\s*|\s+|$)`)

// isMetaLine reports whether line consists only of meta pieces.
func isMetaLine(line string) bool {
	rest := strings.TrimSpace(line)
	if rest == "" || utf8.RuneCountInString(rest) > 120 {
		return false
	}
	for i := 0; rest != "" && i < 24; i++ {
		if !metaWords.starts(rest) {
			return false
		}
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

// noiseKind classifies one line.
type noiseKind int

const (
	notNoise     noiseKind = iota
	junkLine               // drop the line
	teaserMarker           // drop the line and the headlines that follow
)

// maxNoiseWords bounds the lines the prompt rules may drop: a paragraph of
// reporting that happens to mention a newsletter or cookies is kept.
const maxNoiseWords = 40

// maxMarkerRunes bounds the lines the whole-line rules look at.
const maxMarkerRunes = 120

func classifyLine(line string) noiseKind {
	if line == "" {
		return notNoise
	}
	// A bar of several pieces ("Advertisement · Scroll to continue",
	// "Share | Save") is noise when every piece is.
	for _, sep := range []string{" · ", " | ", " • "} {
		if !strings.Contains(line, sep) {
			continue
		}
		all := true
		for part := range strings.SplitSeq(line, sep) {
			if k := classifyPart(strings.TrimSpace(part)); k != junkLine {
				all = false
				break
			}
		}
		if all {
			return junkLine
		}
	}
	return classifyPart(line)
}

func classifyPart(line string) noiseKind {
	if line == "" {
		return junkLine
	}
	if !hasWordChar(line) {
		return junkLine // rules, bullets, lone punctuation
	}
	words := countFields(line)
	short := utf8.RuneCountInString(line) <= maxMarkerRunes
	if !short && words > maxNoiseWords {
		return notNoise // reporting: no rule looks at a line this long
	}
	// The rules are written in lower case; matching lowered text is much
	// faster than case-folding regular expressions.
	lower := strings.ToLower(line)
	// lead is where the anchored rules' words start: past the marks,
	// bullets and spaces their [^\p{L}\p{N}]* takes. A line whose lead
	// starts with none of a rule's first words cannot match it.
	lead := strings.TrimLeftFunc(lower, notLetterOrNumber)
	// The whole-line rules match at most ~100 characters: longer lines
	// are reporting, and skipping them saves most of the cost.
	if short {
		if teaserMarkerWords.starts(lead) && teaserMarkerRE.MatchString(lower) {
			return teaserMarker
		}
		if (adLineWords.starts(lead) && adLineRE.MatchString(lower)) || (moreLinkWords.starts(lead) && moreLinkRE.MatchString(lower)) ||
			isMetaLine(lower) {
			return junkLine
		}
	}
	if words <= maxNoiseWords {
		if (teaserPrefixWords.starts(lead) && teaserPrefixRE.MatchString(lower)) ||
			(containsAny(lower, newsletterHints) && newsletterRE.MatchString(lower)) ||
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

func hasWordChar(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// isHeadlineLike reports whether a line reads as another article's
// headline rather than a paragraph: short, and not a finished sentence.
func isHeadlineLike(line string) bool {
	if utf8.RuneCountInString(line) > 220 || countFields(line) > 32 {
		return false
	}
	t := strings.TrimRight(line, " \"'”’»)]")
	if t == "" {
		return true
	}
	last, _ := utf8.DecodeLastRuneInString(t)
	switch last {
	case '.', ':', ';', ',':
		// "U.S." or an initial at the end is still a headline; a sentence is not.
		return last == '.' && strings.HasSuffix(t, ".S.")
	}
	return true
}

// removeNoise drops noise lines from the lines of a body (as splitLines
// returns them) and the headlines that follow a teaser marker. titles are the
// article's own title forms: a first line repeating one is dropped too.
func removeNoise(lines []string, titles ...string) []string {
	out := lines[:0:0]
	seenText := false // whether out holds a text line yet
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			out = append(out, line)
			continue
		}
		if len(line) > 12 && hasTrailingMore(line) {
			line = oneLine(trailingMoreRE.ReplaceAllString(line, "$1"))
		}
		if strings.Contains(line, "appeared first on") || strings.HasSuffix(line, "]") || strings.Contains(line, "сначала на") || strings.Contains(line, "спочатку на") {
			line = oneLine(appearedFirstRE.ReplaceAllString(line, ""))
			if line == "" {
				continue
			}
		}
		if line = stripMidNoise(line); line == "" {
			continue
		}
		if !seenText && isOwnTitle(line, titles) {
			continue
		}
		switch classifyLine(line) {
		case junkLine:
			continue
		case teaserMarker:
			i = skipTeasers(lines, i+1) - 1
			continue
		}
		out = append(out, line)
		seenText = true
	}
	return out
}

// skipTeasers returns the index of the first line at or after i that is not
// part of the teaser block a marker opened: up to six headline-like lines,
// across at most one paragraph break between each.
func skipTeasers(lines []string, i int) int {
	const maxHeadlines = 6
	n := 0
	for i < len(lines) && n < maxHeadlines {
		j := i
		if lines[j] == "" {
			j++
		}
		if j >= len(lines) {
			return j
		}
		l := lines[j]
		if k := classifyLine(l); k == junkLine {
			i = j + 1
			continue
		}
		if !isHeadlineLike(l) {
			return i
		}
		// After the first headline, a paragraph break followed by another
		// headline-like line continues the list only if the next line is a
		// list item too (short); a lone short paragraph of reporting ends
		// in a full stop and is not headline-like.
		n++
		i = j + 1
	}
	return i
}

func isOwnTitle(line string, titles []string) bool {
	for _, t := range titles {
		if t != "" && strings.EqualFold(line, t) {
			return true
		}
	}
	return false
}

// isWordRune reports whether r is part of a word for hashing and matching.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// hasTrailingMore is a cheap test before trailingMoreRE: does the line end
// in a word such links end with?
func hasTrailingMore(line string) bool {
	tail := line[max(0, len(line)-40):]
	tail = strings.ToLower(tail)
	for _, w := range []string{"article", "story", "reading", "далее", "полностью", "далі"} {
		if strings.Contains(tail, w) {
			return true
		}
	}
	return false
}

// Cheap hints that gate the costlier unanchored rules.
var (
	followHints = []string{"follow", "twitter", "facebook", "instagram", "telegram", "tiktok",
		"youtube", "linkedin", "threads", "bluesky", "whatsapp", "google", "viber", "social",
		"mastodon", " x", "телеграм", "вконтакте", "vk", "дзен", "яндекс", "соцсет", "соцмереж", "канал"}
	cookieHints     = []string{"cookie", "куки"}
	newsletterHints = []string{"sign", "subscri", "regist", "join", "get ", "receive", "email", "e-mail",
		"miss", "click", "newsletter", "подпиш", "подпис", "підпиш", "підпис", "рассылк", "розсилк", "получайте", "отримуйте"}
)

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
