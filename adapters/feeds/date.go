package feeds

import (
	"regexp"
	"strings"
	"time"

	"github.com/itlightning/dateparse"
)

// Feeds write dates every way: RFC 822 with any zone name, RFC 3339, W3C
// dates cut to the day or the month, Russian and Ukrainian month names,
// and worse. The standard layouts are tried first; dateparse, which knows
// most of the rest (but no Cyrillic month names: englishDate translates
// them), after.

var dateLayouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC3339Nano, time.RFC3339,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 -0700", "2 Jan 2006 15:04:05 MST", "Mon, 02 Jan 06 15:04:05 -0700",
	"2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02 15:04:05 -0700",
	"20060102T150405Z0700", "20060102T150405", "2 Jan 2006 15:04", "2 Jan 2006 15:04 -0700",
	"2006-01-02 15:04:05", "2006-01-02", "2006-01",
}

// zoneOffsets are the zone names of RFC 822 and the ones feeds add, which
// time.Parse would otherwise read as UTC.
var zoneOffsets = map[string]string{
	"UT": "+0000", "GMT": "+0000", "UTC": "+0000", "Z": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
	"BST": "+0100", "CET": "+0100", "CEST": "+0200", "EET": "+0200", "EEST": "+0300",
	"MSK": "+0300", "IST": "+0530", "JST": "+0900", "KST": "+0900", "AEST": "+1000", "AEDT": "+1100",
}

// parseDate reads a feed's date; the zero time when it cannot.
func parseDate(s string) (t time.Time) {
	defer func() {
		if recover() != nil { // a date is not worth a feed
			t = time.Time{}
		}
	}()
	s = strings.Join(strings.Fields(s), " ")
	if s == "" || len(s) > 64 {
		return time.Time{}
	}
	s = englishDate(s)
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		if off, ok := zoneOffsets[strings.ToUpper(s[i+1:])]; ok {
			s = s[:i+1] + off
		} else if m := gmtOffsetRE.FindStringSubmatch(s[i+1:]); m != nil {
			// "GMT+3", "UTC+03:00": what the writer meant is the offset.
			hours, minutes := m[2], m[3]
			if len(hours) == 1 {
				hours = "0" + hours
			}
			if minutes == "" {
				minutes = "00"
			}
			s = s[:i+1] + m[1] + hours + minutes
		}
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	// 10.06.2025 is the 10th of June wherever dates are written with
	// dots; 06/10/2025 is June as in America.
	dayFirst := dottedDateRE.MatchString(s)
	if t, err := dateparse.ParseIn(s, time.UTC, dateparse.PreferMonthFirst(!dayFirst)); err == nil {
		return t.UTC()
	}
	return time.Time{}
}

var (
	gmtOffsetRE  = regexp.MustCompile(`^(?i:GMT|UTC)([+-])(\d{1,2}):?(\d{2})?$`)
	dottedDateRE = regexp.MustCompile(`^\d{1,2}\.\d{1,2}\.\d{2,4}\b`)
	// weekdayCommaRE finds "Tue,10 Jun": a comma with no space after.
	weekdayCommaRE = regexp.MustCompile(`^(\pL+),(\S)`)
)

// englishDate rewrites a date written with Russian or Ukrainian month
// and weekday names ("10 июня 2025 г., 10:00", "Вт, 10 Июн 2025
// 10:00:00 +0300", as PHP prints dates in a Russian locale) with English
// ones, and puts the space RFC 822 wants after a weekday's comma.
func englishDate(s string) string {
	s = weekdayCommaRE.ReplaceAllString(s, "$1, $2")
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x400 && r <= 0x4FF }) {
		return s
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	out := fields[:0]
	for _, f := range fields {
		word := strings.TrimSuffix(strings.ToLower(f), ".")
		if m, ok := cyrillicMonths[word]; ok {
			out = append(out, m)
			continue
		}
		if cyrillicDropped[word] {
			continue // a weekday, "г.", "года", "в"
		}
		out = append(out, f)
	}
	return strings.Join(out, " ")
}

// cyrillicMonths maps the Russian and Ukrainian names of months, whole,
// in the genitive ("июня", "червня") and cut short ("июн", "черв"), to
// English.
var cyrillicMonths = func() map[string]string {
	m := map[string]string{}
	for i, names := range [12]string{
		"январь января янв січень січня січ",
		"февраль февраля фев февр лютий лютого лют",
		"март марта мар березень березня бер",
		"апрель апреля апр квітень квітня кві квіт",
		"май мая травень травня тра трав",
		"июнь июня июн червень червня чер черв",
		"июль июля июл липень липня лип",
		"август августа авг серпень серпня сер серп",
		"сентябрь сентября сен сент вересень вересня вер",
		"октябрь октября окт жовтень жовтня жов жовт",
		"ноябрь ноября ноя нояб листопад листопада лис лист",
		"декабрь декабря дек грудень грудня гру груд",
	} {
		for _, n := range strings.Fields(names) {
			m[n] = time.Month(i + 1).String()[:3]
		}
	}
	return m
}()

// cyrillicDropped are the words of a Russian or Ukrainian date that carry
// nothing a parser needs: weekdays, "year", "at".
var cyrillicDropped = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("пн вт ср чт пт сб вс нд понедельник вторник среда четверг пятница суббота воскресенье " +
		"понеділок вівторок середа четвер пʼятниця п'ятниця субота неділя г год года р рік року в о") {
		m[w] = true
	}
	return m
}()
