package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/summary"
)

// testText holds the replies of /test.
var testText = struct {
	Usage   string // queryText.Help
	Newest  string // how many are shown
	Article string // title, source, the terms that fired
}{
	Usage:   "Give me a query to try: /test ceasefire\n%s",
	Newest:  "; the newest %d",
	Article: "• %s (%s)\n  %s\n",
}

// testShown is how many matching articles /test lists.
const testShown = 5

func (b *Bot) cmdTest(c *call) Reply {
	testText := texts(c.lang, &testText)
	queryText := texts(c.lang, &queryText)
	q := c.args
	if q == "" {
		return Reply{Text: fmt.Sprintf(testText.Usage, queryText.Help)}
	}
	parsed, err := b.parse(q)
	if err != nil {
		return Reply{Text: fmt.Sprintf(queryText.Unreadable, err, queryText.Help)}
	}
	recent, err := b.store.RecentArticles(500)
	if err != nil {
		return b.storeTrouble(c.lang, err)
	}
	var sb strings.Builder
	n := 0
	for i := range recent {
		ok, terms := parsed.Explain(&recent[i])
		if !ok {
			continue
		}
		n++
		if n <= testShown {
			fmt.Fprintf(&sb, testText.Article, recent[i].Title, sourceOf(c.lang, recent[i]), describeTerms(c.lang, terms))
		}
	}
	if n == 0 {
		return Reply{Text: pluralf(c.lang, "testNone", len(recent), len(recent), parsed.String())}
	}
	head := pluralf(c.lang, "testSome", n, n, trPlural(c.lang, "lastArticles", len(recent)), parsed.String())
	if n > testShown {
		head += fmt.Sprintf(testText.Newest, testShown)
	}
	return Reply{Text: head + ":\n" + sb.String()}
}

// whyText holds the replies of /why and of the Why? button.
var whyText = struct {
	NoAlert   string
	Recent    string // number, title, source, when
	Pick      string
	Unknown   string // the source of an article without one
	Because   string // title, source
	Match     string // subscription ID, query, the terms that fired
	Sources   string // the outlets
	InArticle string // the sentence, terms marked
	InTitle   string // the headline, terms marked
	Matched   string // the terms, joined
	MatchedNo string // no term to name
	AsForm    string // the form that fired
	FormOf    string // the form that fired, the actor or topic it is one of
	InField   string // the term, the field
}{
	NoAlert:   "No alert has been sent here yet.",
	Recent:    "%d. %s (%s, %s)\n",
	Pick:      "/why 2 explains the second, and so on.",
	Unknown:   "unknown source",
	Because:   "“%s” (%s) was sent because:\n",
	Match:     "#%d %s: %s\n",
	Sources:   "Reported by: %s",
	InArticle: "\nIn the article: %s",
	InTitle:   "\nIn the headline: %s",
	Matched:   "matched %s",
	MatchedNo: "matched",
	AsForm:    " (as %q)",
	FormOf:    "%s → %s",
	InField:   "%s in %s",
}

// whyDepth is how far back /why N reaches, and how many alerts it lists
// when N is not one of them.
const whyDepth = 20

// cmdWhy explains the Nth latest alert sent to this chat (1, the default,
// is the newest), counting back through the delivery log. A number past
// the alerts it remembers, or something else than a number, gets the list
// of recent alerts with their numbers.
func (b *Bot) cmdWhy(c *call) Reply {
	whyText := texts(c.lang, &whyText)
	arg := strings.TrimPrefix(strings.TrimSpace(c.args), "#")
	n := 1
	if arg != "" {
		var err error
		if n, err = strconv.Atoi(arg); err != nil {
			n = -1
		}
	}
	recent, err := b.store.RecentSent(c.target.ID, whyDepth)
	if err != nil {
		return b.storeTrouble(c.lang, err)
	}
	if len(recent) == 0 {
		return Reply{Text: whyText.NoAlert}
	}
	if n >= 1 && n <= len(recent) {
		return Reply{Text: b.explainAlert(c.lang, recent[n-1].Alert)}
	}
	var sb strings.Builder
	if n == -1 {
		sb.WriteString(pluralf(c.lang, "whyNotNumber", len(recent), c.args, len(recent)))
	} else {
		sb.WriteString(pluralf(c.lang, "whyNoSuch", len(recent), len(recent), n))
	}
	for i, s := range recent {
		fmt.Fprintf(&sb, whyText.Recent, i+1, s.Alert.Article.Title, sourceOf(c.lang, s.Alert.Article), fmtTime(c.lang, s.At, c.target.Settings))
	}
	sb.WriteString(whyText.Pick)
	return Reply{Text: sb.String()}
}

// explainAlert says which subscriptions and terms made an alert, and quotes
// the sentence of the article where they occur, terms in «».
func (b *Bot) explainAlert(lang string, a alerts.Alert) string {
	whyText := texts(lang, &whyText)
	s := explainMatches(lang, a)
	var terms []string
	for _, m := range a.Matches {
		for _, th := range m.Terms {
			if th.Field == alerts.FieldSource {
				continue
			}
			terms = append(terms, nonEmpty(th.Matched, th.Term))
		}
	}
	text := a.Article.Summary
	if art, err := b.store.GetArticle(a.Article.ID); err == nil && art.Body != "" {
		text = art.Body
	}
	if sentence, marks := summary.WhySentence(text, terms); sentence != "" {
		s += fmt.Sprintf(whyText.InArticle, summary.Mark(sentence, marks, "«", "»", nil))
	} else if sentence, marks := summary.WhySentence(a.Article.Title, terms); sentence != "" {
		s += fmt.Sprintf(whyText.InTitle, summary.Mark(sentence, marks, "«", "»", nil))
	}
	return s
}

func explainMatches(lang string, a alerts.Alert) string {
	whyText := texts(lang, &whyText)
	var sb strings.Builder
	fmt.Fprintf(&sb, whyText.Because, a.Article.Title, sourceOf(lang, a.Article))
	for _, m := range a.Matches {
		fmt.Fprintf(&sb, whyText.Match, m.Sub, m.Query, describeTerms(lang, m.Terms))
	}
	if len(a.Sources) > 1 {
		fmt.Fprintf(&sb, whyText.Sources, strings.Join(a.Sources, ", "))
	}
	return strings.TrimSpace(sb.String())
}

func sourceOf(lang string, a alerts.Article) string {
	switch {
	case a.Outlet != "":
		return a.Outlet
	case a.Source != "":
		return a.Source
	}
	return texts(lang, &whyText).Unknown
}

// describeTerms says which terms fired where: "matched ceasefire in body,
// truce (as "truces") in title".
func describeTerms(lang string, terms []alerts.TermHit) string {
	whyText := texts(lang, &whyText)
	parts := make([]string, 0, len(terms))
	for _, th := range terms {
		s := th.Term
		switch {
		case th.Entry != "" && th.Matched != "":
			// The form that fired and the actor or topic it is one of:
			// "перемирия → ceasefire".
			s = fmt.Sprintf(whyText.FormOf, th.Matched, th.Entry)
		case th.Matched != "" && !strings.EqualFold(th.Matched, strings.Trim(th.Term, `"`)):
			s += fmt.Sprintf(whyText.AsForm, th.Matched)
		}
		parts = append(parts, fmt.Sprintf(whyText.InField, s, th.Field))
	}
	if len(parts) == 0 {
		return whyText.MatchedNo
	}
	return fmt.Sprintf(whyText.Matched, strings.Join(parts, ", "))
}
