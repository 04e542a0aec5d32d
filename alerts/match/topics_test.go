package match

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/herald-news/herald/alerts"
)

// labelled is one article of testdata/topics.txt: its language and the
// topics it mentions.
type labelled struct {
	line   int
	lang   string
	topics []string
	a      alerts.Article
}

// loadLabelled reads a labelled set: "=== LANG topic | topic" (or "-" for
// none), then the title line, then body lines.
func loadLabelled(t testing.TB, path string) []labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "=== "); ok {
			lang, labels, _ := strings.Cut(h, " ")
			l := labelled{line: n, lang: lang}
			if labels = strings.TrimSpace(labels); labels != "-" {
				for _, t := range strings.Split(labels, "|") {
					l.topics = append(l.topics, strings.TrimSpace(t))
				}
			}
			out = append(out, l)
			continue
		}
		if len(out) == 0 || strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		a := &out[len(out)-1].a
		if a.Title == "" {
			a.Title = line
		} else {
			a.Body = strings.TrimSpace(a.Body + "\n" + line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type prCounts struct{ tp, fp, fn int }

func (c prCounts) precision() float64 { return float64(c.tp) / float64(max(1, c.tp+c.fp)) }
func (c prCounts) recall() float64    { return float64(c.tp) / float64(max(1, c.tp+c.fn)) }

// topicEval matches every topic of names, as a user's bare query of its
// name, against the labelled articles, and counts per family and
// language; expansion counts only matches that the name alone, without
// the topics list, would not have made.
type topicEval struct {
	byFamily, byLang, expansion map[string]*prCounts
	all, allExp                 prCounts
	errors                      []string
}

func evalTopics(t testing.TB, names *Names, set []labelled) *topicEval {
	t.Helper()
	topics := names.Topics()
	family := map[string]string{}
	x := NewIndex(names)
	plain := NewIndex(nil)
	for i, tp := range topics {
		family[tp.Name] = tp.Family
		q, err := Parse(tp.Name, names)
		if err != nil {
			t.Fatalf("topic %q: %v", tp.Name, err)
		}
		if exp := q.Expansions(); len(exp) != 1 || !strings.Contains(exp[0], "→ topic "+tp.Name+":") {
			t.Fatalf("the query %q does not stand for its topic: %q", tp.Name, exp)
		}
		if err := x.Add(alerts.Subscription{ID: uint64(i + 1), Query: tp.Name}); err != nil {
			t.Fatal(err)
		}
		if err := plain.Add(alerts.Subscription{ID: uint64(i + 1), Query: tp.Name}); err != nil {
			t.Fatal(err)
		}
	}
	ev := &topicEval{byFamily: map[string]*prCounts{}, byLang: map[string]*prCounts{}, expansion: map[string]*prCounts{}}
	get := func(m map[string]*prCounts, k string) *prCounts {
		if m[k] == nil {
			m[k] = &prCounts{}
		}
		return m[k]
	}
	for _, l := range set {
		want := map[string]bool{}
		for _, tp := range l.topics {
			if _, ok := family[tp]; !ok {
				t.Fatalf("testdata line %d: %q is not a topic", l.line, tp)
			}
			want[tp] = true
		}
		got, lit := map[string]bool{}, map[string]bool{}
		x.MatchFunc(&l.a, func(id uint64) { got[topics[id-1].Name] = true })
		plain.MatchFunc(&l.a, func(id uint64) { lit[topics[id-1].Name] = true })
		for _, tp := range topics {
			g, w := got[tp.Name], want[tp.Name]
			if !g && !w {
				continue
			}
			cs := []*prCounts{&ev.all, get(ev.byFamily, tp.Family), get(ev.byLang, l.lang)}
			if g && !lit[tp.Name] || w && !g {
				// Found through the topic's other forms (or missed).
				cs = append(cs, &ev.allExp, get(ev.expansion, tp.Family))
			}
			for _, c := range cs {
				switch {
				case g && w:
					c.tp++
				case g:
					c.fp++
				default:
					c.fn++
				}
			}
			if g != w {
				kind := "missed"
				if g {
					kind = "wrongly matched"
				}
				ev.errors = append(ev.errors, fmt.Sprintf("line %d (%s): %s %q: %s", l.line, l.lang, kind, tp.Name, l.a.Title))
			}
		}
	}
	return ev
}

func (ev *topicEval) table() string {
	var b strings.Builder
	fams := make([]string, 0, len(ev.byFamily))
	for f := range ev.byFamily {
		fams = append(fams, f)
	}
	sort.Strings(fams)
	fmt.Fprintf(&b, "| family | precision | recall | tp | fp | fn | expansions only: precision | recall | tp | fp | fn |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	row := func(name string, c, e prCounts) {
		fmt.Fprintf(&b, "| %s | %.3f | %.3f | %d | %d | %d | %.3f | %.3f | %d | %d | %d |\n", name,
			c.precision(), c.recall(), c.tp, c.fp, c.fn, e.precision(), e.recall(), e.tp, e.fp, e.fn)
	}
	for _, f := range fams {
		e := prCounts{}
		if ev.expansion[f] != nil {
			e = *ev.expansion[f]
		}
		row(f, *ev.byFamily[f], e)
	}
	row("all", ev.all, ev.allExp)
	langs := make([]string, 0, len(ev.byLang))
	for l := range ev.byLang {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		c := ev.byLang[l]
		fmt.Fprintf(&b, "language %s: precision %.3f recall %.3f (tp %d fp %d fn %d)\n", l, c.precision(), c.recall(), c.tp, c.fp, c.fn)
	}
	return b.String()
}

// TestTopicPrecisionRecall measures the built-in topics on the labelled
// articles of testdata/topics.txt (English, Russian and Ukrainian): each
// topic's name, subscribed to as a bare word, against the topics each
// article was labelled with. "Expansions only" counts the matches the
// name could not have made without the topics list, and the misses.
// Run with -v for the table and every miss and wrong match.
func TestTopicPrecisionRecall(t *testing.T) {
	set := loadLabelled(t, "testdata/topics.txt")
	langs := map[string]int{}
	for _, l := range set {
		langs[l.lang]++
	}
	if len(set) < 300 || langs["en"] < 80 || langs["ru"] < 80 || langs["uk"] < 80 {
		t.Errorf("the labelled set has %d articles (%v); it should have 300, each language 80 or more", len(set), langs)
	}
	ev := evalTopics(t, DefaultNames(), set)
	t.Logf("development set: %d labelled articles %v\n%s", len(set), langs, ev.table())
	held := loadLabelled(t, "testdata/topics_heldout.txt")
	hev := evalTopics(t, DefaultNames(), held)
	t.Logf("held-out set: %d labelled articles\n%s", len(held), hev.table())
	if testing.Verbose() {
		for _, e := range ev.errors {
			t.Log(e)
		}
		for _, e := range hev.errors {
			t.Log("held-out " + e)
		}
	}
	if p := hev.all.precision(); p < 0.95 {
		t.Errorf("held-out topic precision %.3f, below 0.95", p)
	}
	if p := ev.all.precision(); p < 0.97 {
		t.Errorf("topic precision %.3f, below 0.97", p)
	}
	if p := ev.allExp.precision(); p < 0.97 {
		t.Errorf("precision of the matches only the topics list made %.3f, below 0.97", p)
	}
	if r := ev.all.recall(); r < 0.85 {
		t.Errorf("topic recall %.3f, below 0.85", r)
	}
}

// TestTopicScope: a topic's words apart are not the topic, and a quoted
// word stays exact.
func TestTopicScope(t *testing.T) {
	names := DefaultNames()
	tests := []struct {
		query, title string
		want         bool
	}{
		{"ceasefire", "Переговоры о перемирии продолжатся", true},
		{"ceasefire", "Сторони домовилися про припинення вогню", true},
		{"ceasefire", "Стороны объявили о прекращении огня", true},
		{"ceasefire", "A truce holds", true},
		{"ceasefire", "Огонь охватил склад", false},
		{"ceasefire", "Прекращение поставок газа", false},
		{"ceasefire", "The plant ceased operations after the fire", false},
		{"ceasefire", "Вогонь знищив будинок, а рух припинено", false},
		{`"ceasefire"`, "Переговоры о перемирии продолжатся", false},
		{`"ceasefire"`, "Ceasefire agreed", true},
		{"sanctions", "ЕС ввел новые санкции", true},
		{"sanctions", "Нові санкції проти Росії", true},
		{"drone", "Беспилотник сбит над Курском", true},
		{"drone", "БПЛА атаковали нефтебазу", true},
		{"drone", "Безпілотники атакували Одесу", true},
		{"prisoner exchange", "Россия и Украина провели обмен пленными", true},
		{"prisoner exchange", "Україна повернула додому 90 захисників внаслідок обміну полоненими", true},
		{"prisoner exchange", "A prisoner swap freed 90 soldiers", true},
		{"prisoner exchange", "Prisoner numbers rose; currency exchange rates fell", false},
		{"shelling", "Shell shares rise", false},
		{"shelling", "Обстріл Харкова", true},
		{"election", "Сделать выбор непросто", false},
		{"election", "На выборах победил кандидат", true},
		{"ambassador", "После России делегация поехала в Китай", false},
		{"ambassador", "МИД вызвал посла Франции", true},
		{"summit", "Я сам прийду", false},
		{"summit", "Саміт НАТО відбудеться у Гаазі", true},
	}
	for _, tt := range tests {
		q, err := Parse(tt.query, names)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := q.Explain(&alerts.Article{Title: tt.title}); ok != tt.want {
			t.Errorf("%s on %q = %v, want %v", tt.query, tt.title, ok, tt.want)
		}
	}
}

// TestTopicsList: the built-in list loads, is large enough across the
// families, has forms in both scripts for every topic, and shares no form
// with the actors list (a shared form would go to the actor).
func TestTopicsList(t *testing.T) {
	topics := DefaultTopics().Topics()
	if len(topics) < 150 {
		t.Errorf("%d topics, want 150 or more", len(topics))
	}
	fams := map[string]int{}
	for _, tp := range topics {
		fams[tp.Family]++
		latin, cyr := 0, 0
		for _, f := range tp.Forms {
			if strings.ContainsFunc(f, func(r rune) bool {
				return r >= 'а' && r <= 'я' || r >= 'А' && r <= 'Я' || strings.ContainsRune("іїєґІЇЄҐ", r)
			}) {
				cyr++
			} else {
				latin++
			}
		}
		if latin == 0 || cyr == 0 {
			t.Errorf("topic %q has %d Latin and %d Cyrillic forms; it needs both", tp.Name, latin, cyr)
		}
	}
	for _, f := range []string{"war", "diplomacy", "politics", "economy", "energy", "disasters", "justice"} {
		if fams[f] < 15 {
			t.Errorf("family %s has %d topics", f, fams[f])
		}
	}
	a, tp := DefaultActors(), DefaultTopics()
	for k, i := range tp.byKey {
		if j, ok := a.byKey[k]; ok {
			t.Errorf("topic %q and actor %q share the form key %q", tp.entries[i].name(), a.entries[j].name(), k)
		}
	}
	all := DefaultNames()
	if got := len(all.Topics()); got != len(topics) {
		t.Errorf("DefaultNames has %d topics, DefaultTopics %d", got, len(topics))
	}
	if !slices.ContainsFunc(all.Topics(), func(tp Topic) bool { return tp.Name == "ceasefire" }) {
		t.Error("no ceasefire topic")
	}
}
