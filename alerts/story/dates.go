package story

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/herald-news/herald/alerts"
)

// Days the text of an article names, in any of its languages: "on
// Friday", "в пятницу", "у п'ятницю" (a weekday), "14 March", "March 14",
// "14 марта", "14 березня" (a date). Reports of one event in two languages
// name the same days; a report that names another day is most often about
// another event.
const (
	weekdayKey = 100  // + 0..6, Monday first
	dateKey    = 1000 // + month*32 + day
)

// dayWords maps the forms of weekday names to 0 (Monday) … 6, and month
// names (and their case forms) to 100 + 1 … 12.
var dayWords = map[string]int{}

func init() {
	for i, forms := range []string{
		"monday понедельник понедельника понеділок понеділка понеділкa",
		"tuesday вторник вторника вівторок вівторка",
		"wednesday среда среду среды середа середу середи",
		"thursday четверг четверга четвер четверга",
		"friday пятница пятницу пятницы п'ятниця п'ятницю п'ятниці пʼятниця пʼятницю",
		"saturday суббота субботу субботы субота суботу суботи",
		"sunday воскресенье воскресенья неділя неділю неділі",
	} {
		for _, f := range strings.Fields(forms) {
			dayWords[f] = i
		}
	}
	for i, forms := range []string{
		"january jan январь января січень січня",
		"february feb февраль февраля лютий лютого",
		"march mar март марта березень березня",
		"april apr апрель апреля квітень квітня",
		"may май мая травень травня",
		"june jun июнь июня червень червня",
		"july jul июль июля липень липня",
		"august aug август августа серпень серпня",
		"september sep sept сентябрь сентября вересень вересня",
		"october oct октябрь октября жовтень жовтня",
		"november nov ноябрь ноября листопад листопада",
		"december dec декабрь декабря грудень грудня",
	} {
		for _, f := range strings.Fields(forms) {
			if _, ok := dayWords[f]; !ok { // a weekday first
				dayWords[f] = 100 + i + 1
			}
		}
	}
}

// datesOf appends the days an article's title and lead (its first 3,000
// bytes) name to out. The words are the runs of letters, digits and
// apostrophes; a month's day is the number just before or after it.
func (b *builder) datesOf(a *alerts.Article, out []uint32) []uint32 {
	// The words of both as one text (the title's last word and the body's
	// first are neighbours), without copying either.
	b.spans = appendFields(b.spans[:0], a.Title)
	b.spans = appendFields(b.spans, a.Body[:min(len(a.Body), 3000)])
	words := b.spans
	for i, w := range words {
		k, ok := dayWord(w)
		if !ok {
			continue
		}
		if k < 100 {
			out = append(out, weekdayKey+uint32(k))
			continue
		}
		m := k - 100
		// "14 March" or "March 14".
		for _, j := range []int{i - 1, i + 1} {
			if j < 0 || j >= len(words) {
				continue
			}
			if d, err := strconv.Atoi(words[j]); err == nil && d >= 1 && d <= 31 {
				out = append(out, dateKey+uint32(m*32+d))
				break
			}
		}
	}
	return out
}

// appendFields appends the words of s: the runs of letters, digits and
// apostrophes.
func appendFields(out []string, s string) []string {
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == 'ʼ' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// dayWord looks a word up in dayWords, in lower case: a weekday (0 …
// 6), or 100 + a month (1 … 12).
func dayWord(w string) (int, bool) {
	if len(w) < 3 {
		return 0, false // the shortest name, "may", has three letters
	}
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		k, ok := dayWords[strings.ToLower(w)]
		return k, ok
	}
	// The longest name in ASCII, "wednesday" or "september", has nine.
	var buf [16]byte
	if len(w) > len(buf) {
		return 0, false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	k, ok := dayWords[string(buf[:len(w)])]
	return k, ok
}
