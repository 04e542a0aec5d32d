package bot

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/herald-news/herald/alerts"
)

// readZone reads a time zone as people type it: an IANA name in any case
// ("europe/kyiv" is Europe/Kyiv), or an offset from UTC ("UTC+3",
// "GMT-05:30", "+03:00", "+0530"), which becomes a fixed zone
// "UTC+03:00". It returns the name to store and the zone, or ok false.
func readZone(s string) (name string, loc *time.Location, fixed, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "local") {
		return "", nil, false, false // Local is the server's zone, not the chat's
	}
	if name, ok := readOffset(s); ok {
		loc, err := alerts.LoadZone(name)
		return name, loc, name != "UTC", err == nil
	}
	for _, cand := range zoneSpellings(s) {
		if loc, err := time.LoadLocation(cand); err == nil && !strings.EqualFold(cand, "local") {
			return loc.String(), loc, false, true
		}
	}
	return "", nil, false, false
}

// readOffset reads "UTC+3", "GMT-5", "+03:00", "-0430", "UTC−3" (with a
// minus sign), "Z" or a bare "UTC" into the fixed zone's name.
func readOffset(s string) (string, bool) {
	u := strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "−", "-"))
	for _, p := range []string{"UTC", "GMT"} {
		if rest, ok := strings.CutPrefix(u, p); ok {
			if rest == "" {
				return "UTC", true
			}
			u = rest
			break
		}
	}
	if u == "Z" {
		return "UTC", true
	}
	if len(u) < 2 || (u[0] != '+' && u[0] != '-') {
		return "", false
	}
	neg, digits := u[0] == '-', u[1:]
	hh, mm := digits, "0"
	if h, m, ok := strings.Cut(digits, ":"); ok {
		hh, mm = h, m
		if len(mm) != 2 {
			return "", false
		}
	} else if len(digits) == 4 {
		hh, mm = digits[:2], digits[2:]
	}
	if len(hh) == 0 || len(hh) > 2 {
		return "", false
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil {
		return "", false
	}
	return alerts.FixedZoneName(neg, h, m)
}

// zoneExceptions are the words of IANA names that neither capitalising
// each word nor upper-casing gives back.
var zoneExceptions = map[string]string{
	"dar_es_salaam": "Dar_es_Salaam", "comodrivadavia": "ComodRivadavia", "knox_in": "Knox_IN",
	"port-au-prince": "Port-au-Prince", "port_of_spain": "Port_of_Spain", "dumontdurville": "DumontDUrville",
	"mcmurdo": "McMurdo", "denoronha": "DeNoronha", "easterisland": "EasterIsland",
	"isle_of_man": "Isle_of_Man", "bajanorte": "BajaNorte", "bajasur": "BajaSur", "gb-eire": "GB-Eire",
}

// zoneSpellings returns s as typed, then the spellings an IANA name of
// the same letters may have: each part capitalised per word, upper-cased
// (UTC, US/…, Etc/GMT+3), or as zoneExceptions spell it.
func zoneSpellings(s string) []string {
	out := []string{s}
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) > 3 {
		return out
	}
	var walk func(i int, prefix string)
	walk = func(i int, prefix string) {
		if i == len(parts) {
			out = append(out, prefix)
			return
		}
		if i > 0 {
			prefix += "/"
		}
		seen := map[string]bool{}
		for _, w := range []string{zoneExceptions[parts[i]], titleWords(parts[i]), strings.ToUpper(parts[i])} {
			if w != "" && !seen[w] {
				seen[w] = true
				walk(i+1, prefix+w)
			}
		}
	}
	walk(0, "")
	return out
}

// titleWords capitalises each word of a zone name's part, words being
// separated by _ or -.
func titleWords(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if up {
			r = unicode.ToUpper(r)
		}
		b.WriteRune(r)
		up = r == '_' || r == '-'
	}
	return b.String()
}
