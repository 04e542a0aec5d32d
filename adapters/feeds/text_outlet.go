package feeds

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// knownOutlets are news outlets a title may cite at its end. Lower case.
var knownOutlets = map[string]bool{}

func init() {
	for _, o := range strings.Split(`reuters|bloomberg|associated press|ap|afp|agence france-presse|bbc|bbc news|cnn|al jazeera|axios|politico|financial times|ft|the guardian|guardian|nyt|new york times|the new york times|washington post|the washington post|wsj|wall street journal|the wall street journal|the economist|economist|forbes|cnbc|nbc|nbc news|cbs|cbs news|abc|abc news|fox news|sky news|euronews|deutsche welle|dw|france 24|rt|sputnik|tass|ria novosti|ria|interfax|interfax-ukraine|kommersant|vedomosti|meduza|kyiv independent|the kyiv independent|ukrainska pravda|kyiv post|ukrinform|unian|suspilne|novaya gazeta|izvestia|rbc|yonhap|xinhua|kyodo|nhk|ansa|efe|dpa|le monde|der spiegel|spiegel|bild|haaretz|times of israel|the times of israel|jerusalem post|newsweek|time|the times|the telegraph|telegraph|the independent|daily mail|mirror|the hill|npr|pbs|vox|semafor|nikkei|nikkei asia|south china morning post|scmp|anadolu|anadolu agency|trt world|al arabiya|the atlantic|usa today|los angeles times|la times|business insider|insider|the verge|techcrunch|wired|ars technica|radio liberty|rfe/rl|radio free europe|voice of america|voa|novaya gazeta europe|the insider|the moscow times|moscow times|lenta.ru|gazeta.ru|тасс|риа новости|риа|интерфакс|коммерсантъ|коммерсант|ведомости|медуза|рбк|известия|газета.ру|лента.ру|украинская правда|українська правда|униан|уніан|укринформ|укрінформ|суспільне|радио свобода|радіо свобода|би-би-си|bbc русская служба|bbc news україна|новая газета|фонтанка|росбизнесконсалтинг|рег.ру|ria.ru|tass.ru|интерфакс-украина|інтерфакс-україна|гордон|цензор.нет|dw русская служба|настоящее время|эхо|дождь|tvrain|the bell|reuters.com|bloomberg.com`, "|") {
		knownOutlets[o] = true
	}
}

// outletWords mark a name as an outlet's: "… – Kyiv Post", "… | NV News".
var outletWords = map[string]bool{
	"news": true, "times": true, "post": true, "journal": true, "press": true, "daily": true,
	"herald": true, "tribune": true, "gazette": true, "telegraph": true, "guardian": true,
	"chronicle": true, "observer": true, "review": true, "magazine": true, "media": true,
	"agency": true, "radio": true, "tv": true, "television": true, "network": true, "today": true,
	"weekly": true, "wire": true, "insider": true, "express": true, "mail": true, "standard": true,
	"independent": true, "novosti": true, "pravda": true, "broadcasting": true, "online": true,
	"новости": true, "новини": true, "правда": true, "известия": true, "газета": true, "тв": true,
	"радио": true, "радіо": true, "вести": true, "вісті": true, "ведомости": true, "агентство": true,
	"info": true, "інфо": true, "инфо": true, "телеканал": true, "журнал": true,
}

// notOutlets are acronyms that speak in headlines but publish no news.
var notOutlets = map[string]bool{}

func init() {
	for _, o := range strings.Fields(`nato eu un us usa uk imf who fbi cia kgb fsb sbu gur isw iaea opec g7 g20 ecb fed sec wto osce mod mfa idf hamas ira pm ceo мид всу сбу фсб гур оон нато ес сша мвф обсе магатэ мо минобороны зсу`) {
		notOutlets[o] = true
	}
}

var domainRE = regexp.MustCompile(`(?i)^[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.(?:com|net|org|ru|ua|uk|co\.uk|io|news|info|de|fr|eu|by|kz|media|tv|рф|укр)$`)

// titleSeparators split a headline from a cited outlet, strongest first.
var titleSeparators = []string{" | ", " – ", " — ", " - ", " :: ", " // ", " • "}

// splitOutlet returns the headline without a trailing outlet and the
// outlet, when the title clearly ends in one ("… – Bloomberg",
// "… | Reuters", "… - BBC News"). A quote's speaker ("… – Russian
// presidential aide", "… – Zelensky") is not an outlet and stays.
func splitOutlet(title string) (head, outlet string) {
	best := -1
	sepLen := 0
	for _, sep := range titleSeparators {
		if i := strings.LastIndex(title, sep); i > best {
			best, sepLen = i, len(sep)
		}
	}
	if best <= 0 {
		return title, ""
	}
	head = strings.TrimSpace(title[:best])
	cand := strings.TrimSpace(title[best+sepLen:])
	if len(strings.Fields(head)) < 2 || !isOutletName(cand) {
		return title, ""
	}
	return head, cand
}

// isOutletName reports whether s reads as the name of a news outlet.
func isOutletName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 40 {
		return false
	}
	lower := strings.ToLower(s)
	if knownOutlets[lower] {
		return true
	}
	if domainRE.MatchString(s) {
		return true
	}
	if strings.ContainsAny(s, `"“”‘’«»?!:;,`) {
		return false
	}
	words := strings.Fields(s)
	if len(words) > 5 {
		return false
	}
	// Every word capitalised (or a connector), and either an outlet word
	// or a single all-caps acronym like "NHK", "УНН".
	marked := false
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		lw := strings.ToLower(w)
		if outletWords[lw] {
			marked = true
		}
		switch {
		case unicode.IsUpper(r), unicode.IsDigit(r):
		case lw == "of" || lw == "the" || lw == "and" || lw == "&" || lw == "de" || lw == "la":
		default:
			return false
		}
	}
	if marked {
		return true
	}
	if len(words) == 1 {
		n := utf8.RuneCountInString(s)
		if n >= 2 && n <= 6 && strings.ToUpper(s) == s && hasLetter(s) && !notOutlets[lower] {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
