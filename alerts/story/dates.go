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

// weekdays maps the forms of weekday names to 0 (Monday) … 6.
var weekdays = map[string]int{}

// months maps month names (and their case forms' stems) to 1 … 12.
var months = map[string]int{}

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
			weekdays[f] = i
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
			months[f] = i + 1
		}
	}
}

// datesOf returns the days an article's title and lead name.
func datesOf(a *alerts.Article) set {
	var out []uint64
	words := strings.FieldsFunc(strings.ToLower(a.Title+" "+a.Body[:min(len(a.Body), 3000)]), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != 'ʼ'
	})
	for i, w := range words {
		if d, ok := weekdays[w]; ok {
			out = append(out, weekdayKey+uint64(d))
			continue
		}
		m, ok := months[w]
		if !ok {
			continue
		}
		// "14 March" or "March 14".
		for _, j := range []int{i - 1, i + 1} {
			if j < 0 || j >= len(words) {
				continue
			}
			if d, err := strconv.Atoi(words[j]); err == nil && d >= 1 && d <= 31 {
				out = append(out, dateKey+uint64(m*32+d))
				break
			}
		}
	}
	return makeSet(out)
}
