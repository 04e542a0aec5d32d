package match

import (
	"errors"
	"strings"
	"testing"

	"github.com/herald-news/herald/alerts"
)

func art(title, body string) *alerts.Article {
	return &alerts.Article{Title: title, Body: body}
}

// matchBoth checks the query against the article with Explain, the Index
// and the brute-force evaluator, which must agree.
func matchBoth(t *testing.T, q string, a *alerts.Article) bool {
	t.Helper()
	pq, err := Parse(q, DefaultActors())
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	ok, _ := pq.Explain(a)
	x := NewIndex(DefaultActors())
	if err := x.Add(alerts.Subscription{ID: 7, Query: q}); err != nil {
		t.Fatalf("Add(%q): %v", q, err)
	}
	got := x.Match(a)
	if (len(got) == 1) != ok {
		t.Fatalf("%q: Explain says %v, Index says %v", q, ok, got)
	}
	n := 0
	x.MatchFunc(a, func(uint64) { n++ })
	if (n == 1) != ok {
		t.Fatalf("%q: Explain says %v, MatchFunc found %d", q, ok, n)
	}
	return ok
}

// The rows of the README's query table, and the traps around them
// (substrings, stems, phrases across fields).
func TestQueryTable(t *testing.T) {
	tests := []struct {
		name, query, title, body string
		want                     bool
	}{
		// ceasefire: the word, ignoring case, accents, inflection, hyphens.
		{"word", "ceasefire", "Ceasefire agreed", "", true},
		{"word case", "CEASEFIRE", "ceasefire agreed", "", true},
		{"word inflection", "ceasefire", "Ceasefires collapse", "", true},
		{"word possessive", "ceasefire", "The ceasefire's terms", "", true},
		{"word hyphenated in text", "ceasefire", "A cease-fire holds", "", true},
		{"word en dash in text", "ceasefire", "A cease–fire holds", "", true},
		{"hyphenated query, joined text", "cease-fire", "A ceasefire holds", "", true},
		{"hyphenated query, hyphenated text", "cease-fire", "A cease-fire holds", "", true},
		{"hyphenated query, spaced text", "cease-fire", "A cease fire holds", "", true},
		{"word accents", "resume", "Talks to résumé today", "", true},
		{"word accents query", "résumé", "Talks resume today", "", true},
		{"word in body", "ceasefire", "Talks", "The ceasefire held.", true},
		{"word absent", "ceasefire", "Talks continue", "Nothing agreed.", false},
		{"whole word: Putin not Rasputin", "Putin", "Rasputin the film", "", false},
		{"whole word: war not award", "war", "An award for peace", "", false},
		{"whole word: war not software", "war", "New software", "", false},
		{"whole word: war", "war", "The war goes on", "", true},
		{"possessive curly", "Trump", "Trump’s envoy", "", true},
		{"possessive straight", "Trump", "Trump's envoy", "", true},
		{"apostrophe in query", "Trump’s", "Trump envoy", "", true},
		{"curly quotes as quotes", "“peace deal”", "A peace deal", "", true},
		{"russian inflection", "Зеленский", "Встреча с Зеленским", "", true},
		{"russian inflection 2", "переговоры", "Итоги переговоров", "", true},
		{"yo folded", "ёлка", "Елка", "", true},

		// "peace deal": in a row, exact, no aliases.
		{"phrase", `"peace deal"`, "A peace deal is near", "", true},
		{"phrase punctuation between", `"peace deal"`, "For peace, deal first", "", true},
		{"phrase not in a row", `"peace deal"`, "A peace and a deal", "", false},
		{"phrase order", `"peace deal"`, "The deal for peace", "", false},
		{"phrase no stemming", `"peace deal"`, "Peace deals are near", "", false},
		{"quoted word no stemming", `"ceasefire"`, "Ceasefires collapse", "", false},
		{"quoted word exact", `"ceasefire"`, "The Ceasefire", "", true},
		{"quoted word no aliases", `"Kyiv"`, "News from Kiev", "", false},
		{"quoted word case-insensitive", `"KYIV"`, "News from Kyiv", "", true},
		{"phrase across title and body", `"peace deal"`, "Peace", "deal signed", false},
		{"phrase with hyphenated word", `"cease-fire talks"`, "Cease-fire talks resume", "", true},
		{"phrase across hyphen", `"cease fire"`, "A cease-fire", "", true},
		{"bare multi-word phrase", "U.S.", "The U.S. said", "", true},

		// Zelensky: any alias.
		{"actor alias", "Zelensky", "Zelenskyy visits", "", true},
		{"actor cyrillic", "Zelensky", "Зеленский заявил", "", true},
		{"actor cyrillic inflected", "Zelensky", "встреча с Зеленским", "", true},
		{"actor ukrainian", "Zelensky", "Зеленський заявив", "", true},
		{"actor full name", "Zelensky", "Volodymyr Zelenskiy visits", "", true},
		{"actor written in cyrillic", "Зеленский", "Zelenskyy visits", "", true},
		{"actor multi-word query", "Volodymyr Zelensky", "Zelenskyy visits", "", true},
		{"actor possessive", "Zelensky", "Zelensky’s plan", "", true},
		{"actor other person", "Zelensky", "Putin visits", "", false},

		// Places.
		{"place Kyiv/Kiev", "Kyiv", "News from Kiev", "", true},
		{"place Kiev/Kyiv", "Kiev", "News from Kyiv", "", true},
		{"place cyrillic", "Kyiv", "Новости из Киева", "", true},
		{"place Luhansk", "Luhansk", "Shelling in Lugansk", "", true},
		{"place Zaporizhzhia", "Zaporizhzhia", "Zaporozhye plant", "", true},
		{"place Odesa", "Odesa", "Port of Odessa", "", true},
		{"place Kharkiv", "Kharkiv", "Харькове", "", true},
		{"place Mykolaiv", "Mykolaiv", "Nikolaev port", "", true},

		// AND, OR, NOT.
		{"implicit and", "ceasefire Gaza", "Gaza ceasefire", "", true},
		{"implicit and missing", "ceasefire Gaza", "Ceasefire in Sudan", "", false},
		{"AND", "ceasefire AND Gaza", "Gaza ceasefire", "", true},
		{"AND missing", "ceasefire AND Gaza", "Gaza talks", "", false},
		{"OR", "ceasefire OR truce", "A truce", "", true},
		{"OR neither", "ceasefire OR truce", "A war", "", false},
		{"NOT", "ceasefire NOT Gaza", "Ceasefire in Sudan", "", true},
		{"NOT excluded", "ceasefire NOT Gaza", "Gaza ceasefire", "", false},
		{"minus", "ceasefire -Gaza", "Gaza ceasefire", "", false},
		{"minus kept", "ceasefire -Gaza", "Sudan ceasefire", "", true},
		{"minus phrase", `ceasefire -"peace deal"`, "Ceasefire and peace deal", "", false},
		{"precedence AND over OR", "a OR b c", "b only", "", false},
		{"precedence AND over OR 2", "a OR b c", "a only", "", true},
		{"precedence NOT over AND", "NOT a b", "b", "", true},
		{"parentheses", "(a OR b) c", "a and c", "", true},
		{"parentheses missing", "(a OR b) c", "a and b", "", false},
		{"nested", "ceasefire AND (Putin OR Zelensky) -truce", "Ceasefire: Зеленский", "", true},
		{"lowercase or is a word", "putin or trump", "Putin and Trump", "", false},

		// Fields.
		{"title field", "title:ceasefire", "Ceasefire agreed", "", true},
		{"title field body only", "title:ceasefire", "Talks", "The ceasefire held.", false},
		{"title phrase", `title:"peace deal"`, "Talks", "A peace deal", false},
		{"title group", "title:(truce OR ceasefire)", "A truce", "", true},
		{"title actor", "title:Zelensky", "Зеленский", "", true},
		{"title actor body only", "title:Zelensky", "News", "Zelensky spoke", false},
		{"field uppercase", "TITLE:ceasefire", "Ceasefire agreed", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchBoth(t, tt.query, art(tt.title, tt.body)); got != tt.want {
				t.Errorf("%q on %q/%q = %v, want %v", tt.query, tt.title, tt.body, got, tt.want)
			}
		})
	}
}

func TestSourceField(t *testing.T) {
	a := &alerts.Article{Title: "Talks – Bloomberg", Source: "RT News", Outlet: "Bloomberg", URL: "https://www.rt.com/news/1?x=1"}
	tests := []struct {
		query string
		want  bool
	}{
		{"source:bloomberg", true},
		{"source:Bloomberg", true},
		{"source:rt", true},
		{`source:"rt news"`, true},
		{"source:rt.com", true},
		{"source:www.rt.com", true},
		{"source:reuters", false},
		{"source:news", true},
		{"talks source:bloomberg", true},
		{"talks -source:bloomberg", false},
		{"source:(reuters OR bloomberg) talks", true},
		{"source:bloomberg.com", false},
	}
	for _, tt := range tests {
		if got := matchBoth(t, tt.query, a); got != tt.want {
			t.Errorf("%q = %v, want %v", tt.query, got, tt.want)
		}
	}
	b := &alerts.Article{Title: "x", URL: "https://bloomberg.com/a"}
	if !matchBoth(t, "source:bloomberg", b) || !matchBoth(t, "source:bloomberg.com", b) {
		t.Error("source:bloomberg should match URL host bloomberg.com")
	}
	c := &alerts.Article{Title: "x", Source: "bloomberg.com"}
	if !matchBoth(t, "source:bloomberg", c) {
		t.Error("source:bloomberg should match Source bloomberg.com")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		query string
		col   int
		msg   string
	}{
		{"ceasefire AND (Putin)) x", 22, `unexpected ")"`},
		{"(a", 3, `expected ")"`},
		{"a OR", 5, "unexpected end of query"},
		{"OR a", 1, `unexpected "OR"`},
		{"a AND AND b", 7, `unexpected "AND"`},
		{`"peace deal`, 1, "unterminated quote"},
		{`""`, 1, "empty phrase"},
		{"-a", 1, "no positive term"},
		{"NOT a", 1, "no positive term"},
		{"-a OR b", 1, `"-a" cannot be an alternative of OR`},
		{"a OR -b", 6, `"-b" cannot be an alternative of OR: alone it matches every article without b, so the whole query would; to exclude b, leave out the OR: "a -b"`},
		{"a OR c OR NOT (b OR d)", 11, `leave out the OR: "(a OR c) NOT (b OR d)"`},
		{"-a OR -b", 1, "no positive term"},
		{"title:-ceasefire", 1, "no positive term"},
		{"-title:ceasefire", 1, "no positive term"},
		{"NOT", 4, "expected a term after"},
		{"a -", 4, "expected a term after"},
		{"title:", 7, `after "title:"`},
		{"foo:bar", 1, `unknown field "foo:"`},
		{"a ()", 4, `unexpected ")"`},
		{"", 1, "empty query"},
		{"   ", 1, "empty query"},
		{"&&", 1, "no letters or digits"},
		{"ceasefire ) x", 11, `unexpected ")"`},
		{"Зеленский )", 11, `unexpected ")"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.query, DefaultActors())
		var qe *alerts.QueryError
		if !errors.As(err, &qe) {
			t.Errorf("Parse(%q) = %v, want a *QueryError", tt.query, err)
			continue
		}
		if qe.Column != tt.col || !strings.Contains(qe.Msg, tt.msg) {
			t.Errorf("Parse(%q) = column %d %q, want column %d containing %q", tt.query, qe.Column, qe.Msg, tt.col, tt.msg)
		}
	}
	x := NewIndex(nil)
	if err := x.Add(alerts.Subscription{ID: 1, Query: "a )"}); err == nil {
		t.Error("Index.Add accepted a malformed query")
	}
}

func TestStringAndExpansions(t *testing.T) {
	tests := []struct{ query, want string }{
		{"a b", "a AND b"},
		{"a OR b c", "a OR b AND c"},
		{"(a OR b) c", "(a OR b) AND c"},
		{"-a b", "NOT a AND b"},
		{`title:"peace deal" source:bloomberg`, `title:"peace deal" AND source:bloomberg`},
		{"Zelensky -truce", "Zelensky AND NOT truce"},
		{"cease-fire", "cease-fire"},
		{"NOT (a OR b) c", "NOT (a OR b) AND c"},
	}
	for _, tt := range tests {
		q, err := Parse(tt.query, DefaultActors())
		if err != nil {
			t.Fatal(err)
		}
		if got := q.String(); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.query, got, tt.want)
		}
		// The canonical form parses to the same canonical form.
		q2, err := Parse(q.String(), DefaultActors())
		if err != nil || q2.String() != q.String() {
			t.Errorf("canonical %q does not round-trip: %v %v", q.String(), q2, err)
		}
	}
	q, _ := Parse("Zelensky ceasefire", DefaultActors())
	exp := q.Expansions()
	if len(exp) != 1 || !strings.HasPrefix(exp[0], "Zelensky → ") || !strings.Contains(exp[0], "Зеленский") || !strings.Contains(exp[0], "Zelenskyy") {
		t.Errorf("Expansions = %q", exp)
	}
	q, _ = Parse(`"Zelensky"`, DefaultActors())
	if len(q.Expansions()) != 0 {
		t.Errorf("a quoted word expanded: %q", q.Expansions())
	}
}

func TestExplain(t *testing.T) {
	a := &alerts.Article{
		Title: "Trump’s envoy sought to convince Putin on terms of ceasefire deal – Bloomberg",
		Body:  "Встреча с Зеленским. A peace deal may follow.",
	}
	q, err := Parse(`Zelensky AND "peace deal" AND title:ceasefire -truce`, DefaultActors())
	if err != nil {
		t.Fatal(err)
	}
	ok, hits := q.Explain(a)
	if !ok {
		t.Fatal("no match")
	}
	want := []alerts.TermHit{
		{Term: "Zelensky", Matched: "Зеленским", Field: alerts.FieldBody, Entry: "Volodymyr Zelensky"},
		{Term: `"peace deal"`, Matched: "peace deal", Field: alerts.FieldBody},
		{Term: "ceasefire", Matched: "ceasefire", Field: alerts.FieldTitle},
	}
	if len(hits) != len(want) {
		t.Fatalf("hits = %+v, want %+v", hits, want)
	}
	for i := range want {
		if hits[i] != want[i] {
			t.Errorf("hit %d = %+v, want %+v", i, hits[i], want[i])
		}
	}
	x := NewIndex(DefaultActors())
	texts := map[uint64]string{3: q.Source(), 1: "Trump", 2: "truce", 4: "trump"}
	for id, q := range texts {
		x.Add(alerts.Subscription{ID: id, Query: q})
	}
	got := x.Match(a)
	if len(got) != 3 || got[0].Sub != 1 || got[1].Sub != 3 || got[2].Sub != 4 || len(got[0].Terms) != 0 {
		t.Errorf("Match without the texts = %+v", got)
	}
	// An owner that reads the texts of some hits explains those itself.
	explain := x.Explainer(a)
	if terms := explain("Trump"); len(terms) != 1 || terms[0].Matched != "Trump’s" || terms[0].Term != "Trump" {
		t.Errorf("Explainer(Trump) = %+v", terms)
	}
	if terms := explain(q.Source()); len(terms) != 3 {
		t.Errorf("Explainer(%q) = %+v", q.Source(), terms)
	}
	if terms := explain("truce"); len(terms) != 0 {
		t.Errorf("Explainer(truce), not in the article = %+v", terms)
	}
	// The index explains each hit from its own text, read from its owner.
	x.ExplainFrom(func(id uint64) (string, bool) {
		q, ok := texts[id]
		return q, ok
	})
	got = x.Match(a)
	if len(got) != 3 || got[0].Sub != 1 || got[1].Sub != 3 || got[2].Sub != 4 || len(got[1].Terms) != 3 ||
		got[0].Terms[0].Matched != "Trump’s" || got[0].Terms[0].Term != "Trump" || got[2].Terms[0].Term != "trump" {
		t.Errorf("Match = %+v", got)
	}
}

// TestActorLookaheadHyphen: a query word that is itself several words
// ("al-Assad") still names an actor whose key starts with them.
func TestActorLookaheadHyphen(t *testing.T) {
	a, err := LoadActors(strings.NewReader("Bashar al-Assad | al-Assad | Assad\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"al-Assad", "Bashar al-Assad", "assad"} {
		p, err := Parse(q, a)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Expansions()) == 0 {
			t.Errorf("%q: not expanded to the actor", q)
		}
	}
}

// TestFieldNegation: a dash after a field prefix negates, as it does
// after a space, instead of being dropped.
func TestFieldNegation(t *testing.T) {
	tests := []struct {
		query, title, body string
		want               bool
	}{
		{"truce title:-ceasefire", "Truce holds", "", true},
		{"truce title:-ceasefire", "Truce and ceasefire", "", false},
		{"truce title:-ceasefire", "Truce holds", "a ceasefire too", true},
		{"truce title:–ceasefire", "Truce and ceasefire", "", false},
		{`truce title:-"peace deal"`, "Truce and peace deal", "", false},
		{"truce title:-(a OR b)", "Truce and b", "", false},
	}
	for _, tt := range tests {
		if got := matchBoth(t, tt.query, art(tt.title, tt.body)); got != tt.want {
			t.Errorf("%q on %q / %q = %v, want %v", tt.query, tt.title, tt.body, got, tt.want)
		}
	}
	q, err := Parse("truce title:-ceasefire", nil)
	if err != nil || q.String() != "truce AND NOT title:ceasefire" {
		t.Errorf("canonical form %v %v", q, err)
	}
}

// TestCleanQuery: what a reader cannot see is not stored: bidirectional
// controls, zero-width and other format characters.
func TestCleanQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ceasefire", "ceasefire"},
		{"  ceasefire ", "ceasefire"},
		{"\u202eeriftsaec\u202c", "eriftsaec"}, // RLO … PDF: shows as "ceasefire"
		{"cease\u200bfire", "ceasefire"},       // zero-width space
		{"\u2067Зеленский\u2069 -Путин", "Зеленский -Путин"}, // RLI … PDI
		{"a\u200e\u200fb\u061c", "ab"}, // LRM, RLM, ALM
		{"peace\tdeal\nnow", "peace deal now"},
		{"x\u00ady\ufeff", "xy"},
		{"\U000e0041tag", "tag"},
	}
	for _, tt := range tests {
		if got := CleanQuery(tt.in); got != tt.want {
			t.Errorf("CleanQuery(%+q) = %+q, want %+q", tt.in, got, tt.want)
		}
	}
	// Articles with such characters inside a word still match it.
	if !matchBoth(t, "ceasefire", art("A cease\u200dfire\u2069 holds", "")) {
		t.Error("a word with a joiner and a bidi control inside did not match")
	}
}
