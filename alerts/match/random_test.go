package match

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/herald-news/herald/alerts"
)

var randWords = strings.Fields(`ceasefire cease-fire truce peace deal talks war award Putin Rasputin
Zelensky Зеленский Зеленского Kyiv Kiev Киева Trump Trump’s sanctions oil gas Gaza Odesa Odessa
said the of and minister envoy summit Bloomberg Reuters attack drone drones strike strikes
переговоры переговоров мир войны U.S. NATO НАТО élection election deal-making`)

// randArticle is an article of random words, source and URL.
func randArticle(r *rand.Rand) *alerts.Article {
	return &alerts.Article{
		Title:  randText(r, 3+r.IntN(8)),
		Body:   randText(r, r.IntN(80)),
		Source: []string{"Bloomberg", "RT", "Reuters", ""}[r.IntN(4)],
		URL:    []string{"https://www.rt.com/x", "https://bloomberg.com/y", ""}[r.IntN(3)],
	}
}

// matchedIDs returns the IDs of the subscriptions m matches for a, sorted.
func matchedIDs(m interface {
	MatchFunc(*alerts.Article, func(uint64))
}, a *alerts.Article) []uint64 {
	var ids []uint64
	m.MatchFunc(a, func(id uint64) { ids = append(ids, id) })
	slices.Sort(ids)
	return ids
}

func randText(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString([]string{" ", " ", " ", ", ", ". ", "-", " – "}[r.IntN(7)])
		}
		b.WriteString(randWords[r.IntN(len(randWords))])
	}
	return b.String()
}

func randQuery(r *rand.Rand, depth int) string {
	term := func() string {
		w := randWords[r.IntN(len(randWords))]
		switch r.IntN(8) {
		case 0:
			return `"` + w + " " + randWords[r.IntN(len(randWords))] + `"`
		case 1:
			return "title:" + w
		case 2:
			return "source:" + []string{"bloomberg", "reuters", "rt.com", "rt"}[r.IntN(4)]
		case 3:
			return `"` + w + `"`
		}
		return w
	}
	if depth == 0 || r.IntN(3) == 0 {
		return term()
	}
	a, b := randQuery(r, depth-1), randQuery(r, depth-1)
	switch r.IntN(4) {
	case 0:
		return a + " OR " + b
	case 1:
		return "(" + a + ") -" + term()
	case 2:
		return "(" + a + " OR " + b + ") " + term()
	}
	return a + " " + b
}

// TestIndexEqualsBruteForce is the randomized proof that the index returns
// exactly what evaluating every query does, including after removals and
// replacements.
func TestIndexEqualsBruteForce(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 150
	}
	testIndexEqualsBruteForce(t, n)
}

// withSurface runs a test with the surface cache on from the first term.
func withSurface(t *testing.T, f func(*testing.T)) {
	old := surfMinTerms
	surfMinTerms = 0
	defer func() { surfMinTerms = old }()
	f(t)
}

func TestIndexEqualsBruteForceSurface(t *testing.T) {
	withSurface(t, func(t *testing.T) { testIndexEqualsBruteForce(t, 150) })
}

func TestConcurrentAddMatchSurface(t *testing.T) { withSurface(t, testConcurrentAddMatch) }

func testIndexEqualsBruteForce(t *testing.T, articles int) {
	r := rand.New(rand.NewPCG(42, 1))
	actors := DefaultActors()
	x := NewIndex(actors)
	b := NewBrute(actors)
	// The texts Match explains hits from, as the bot keeps them.
	texts := make(map[uint64]string)
	x.ExplainFrom(func(id uint64) (string, bool) {
		q, ok := texts[id]
		return q, ok
	})
	for id := uint64(1); id <= 3000; id++ {
		q := randQuery(r, 3)
		e1 := x.Add(alerts.Subscription{ID: id, Query: q})
		e2 := b.Add(alerts.Subscription{ID: id, Query: q})
		if (e1 == nil) != (e2 == nil) {
			t.Fatalf("%q: index error %v, brute error %v", q, e1, e2)
		}
		if e1 == nil {
			texts[id] = q
		}
	}
	for i := 0; i < 600; i++ { // remove and replace some
		id := uint64(1 + r.IntN(3000))
		if r.IntN(2) == 0 {
			x.Remove(id)
			b.Remove(id)
			delete(texts, id)
		} else {
			q := randQuery(r, 2)
			if x.Add(alerts.Subscription{ID: id, Query: q}) == nil {
				texts[id] = q
			}
			b.Add(alerts.Subscription{ID: id, Query: q})
		}
	}
	if x.Len() != b.Len() {
		t.Fatalf("Len: index %d, brute %d", x.Len(), b.Len())
	}
	total := 0
	for i := 0; i < articles; i++ {
		a := randArticle(r)
		if i%20 == 10 { // new terms while matching: cached lookups go stale
			q := randQuery(r, 2)
			id := uint64(4000 + i)
			e1 := x.Add(alerts.Subscription{ID: id, Query: q})
			if (e1 == nil) != (b.Add(alerts.Subscription{ID: id, Query: q}) == nil) {
				t.Fatalf("%q: index and brute force disagree on the error", q)
			}
			if e1 == nil {
				texts[id] = q
			}
		}
		// Every article compares the sets of IDs; every eighth also the
		// terms that fired (Match re-parses each hit's query: slow).
		if i%8 != 0 {
			gi, wi := matchedIDs(x, a), matchedIDs(b, a)
			total += len(wi)
			if !slices.Equal(gi, wi) {
				t.Fatalf("article %d %q: index %v, brute %v", i, a.Title, gi, wi)
			}
			continue
		}
		got := x.Match(a)
		want := b.Match(a)
		total += len(want)
		if len(got) != len(want) {
			t.Fatalf("article %d %q: index %d hits, brute %d", i, a.Title, len(got), len(want))
		}
		for j := range got {
			if got[j].Sub != want[j].Sub || fmt.Sprint(got[j].Terms) != fmt.Sprint(want[j].Terms) {
				t.Fatalf("article %d: hit %d index %+v, brute %+v", i, j, got[j], want[j])
			}
		}
	}
	if total < 2*articles {
		t.Fatalf("only %d matches: the test proves little", total)
	}
}

// TestConcurrentAddMatch runs adds, removes and matches together (go test
// -race finds unsynchronised access).
func TestConcurrentAddMatch(t *testing.T) { testConcurrentAddMatch(t) }

func testConcurrentAddMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	x := NewIndex(DefaultActors())
	last := make(map[uint64]string) // what each ID follows
	add := func(id uint64, q string) {
		if x.Add(alerts.Subscription{ID: id, Query: q}) == nil {
			last[id] = q
		}
	}
	for id := uint64(1); id <= 2000; id++ {
		add(id, randQuery(r, 2))
	}
	arts := make([]alerts.Article, 50)
	for i := range arts {
		arts[i] = alerts.Article{Title: randText(r, 6), Body: randText(r, 300)}
	}
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				x.MatchFunc(&arts[(i+g)%len(arts)], func(uint64) {})
			}
		}(g)
	}
	rr := rand.New(rand.NewPCG(8, 8))
	for i := 0; i < 2000; i++ {
		id := uint64(1 + rr.IntN(3000))
		if i%3 == 0 {
			x.Remove(id)
			delete(last, id)
		} else {
			add(id, randQuery(rr, 2))
		}
	}
	wg.Wait()
	// After the dust settles the index still equals brute force.
	b := NewBrute(DefaultActors())
	for id := uint64(1); id <= 3000; id++ {
		q, ok := last[id]
		if !ok {
			if x.Has(id) {
				t.Fatalf("subscription %d removed, still in the index", id)
			}
			continue
		}
		if !x.follows(id, q) {
			t.Fatalf("subscription %d does not follow %q", id, q)
		}
		b.Add(alerts.Subscription{ID: id, Query: q})
	}
	for i := range arts {
		if g, w := len(x.Match(&arts[i])), len(b.Match(&arts[i])); g != w {
			t.Fatalf("article %d: index %d, brute %d", i, g, w)
		}
	}
}

func TestMatchFuncAllocatesNothing(t *testing.T) {
	x := NewIndex(DefaultActors())
	r := rand.New(rand.NewPCG(9, 9))
	for id := uint64(1); id <= 500; id++ {
		x.Add(alerts.Subscription{ID: id, Query: randQuery(r, 2)})
	}
	a := &alerts.Article{Title: randText(r, 8), Body: randText(r, 400), Source: "Bloomberg", URL: "https://www.rt.com/a"}
	n := 0
	fn := func(uint64) { n++ }
	x.MatchFunc(a, fn)
	if allocs := testing.AllocsPerRun(50, func() { x.MatchFunc(a, fn) }); allocs != 0 {
		t.Errorf("MatchFunc allocates %.1f times per article in the steady state", allocs)
	}
}

// TestMatchFuncColdAllocatesNothing: words no cache has seen (stemmed
// anew) cost no allocation either.
func TestMatchFuncColdAllocatesNothing(t *testing.T) {
	x := NewIndex(DefaultNames())
	r := rand.New(rand.NewPCG(9, 10))
	for id := uint64(1); id <= 500; id++ {
		x.Add(alerts.Subscription{ID: id, Query: randQuery(r, 2)})
	}
	fresh := func(i int) *alerts.Article {
		var b strings.Builder
		for j := range 300 {
			fmt.Fprintf(&b, "%s zq%sation переговор%sами высокотехнологичн%sыми ", randWords[(i+j)%len(randWords)],
				letters(i*1000+j), cyrLetters(i*1000+j), cyrLetters(i*1000+j))
		}
		return &alerts.Article{Title: "Cease-fire talks", Body: b.String(), Source: "Bloomberg"}
	}
	arts := make([]*alerts.Article, 60)
	for i := range arts {
		arts[i] = fresh(i)
	}
	fn := func(uint64) {}
	x.MatchFunc(arts[0], fn)
	i := 1
	if allocs := testing.AllocsPerRun(50, func() { x.MatchFunc(arts[i], fn); i++ }); allocs != 0 {
		t.Errorf("MatchFunc allocates %.1f times per article of new words", allocs)
	}
}

func letters(n int) string {
	var b []byte
	for {
		b = append(b, byte('a'+n%26))
		if n /= 26; n == 0 {
			return string(b)
		}
	}
}

func cyrLetters(n int) string {
	var b []rune
	for {
		b = append(b, 'а'+rune(n%26))
		if n /= 26; n == 0 {
			return string(b)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"ceasefire", `"peace deal" OR (a AND NOT b)`, "title:(x OR y) -source:rt", "a ) (", `"`, "-", "NOT NOT a", "Zelensky Kyiv", "x:y", "((((a"} {
		f.Add(s)
	}
	actors := DefaultNames()
	f.Fuzz(func(t *testing.T, q string) {
		p, err := Parse(q, actors)
		if err != nil {
			return
		}
		// The canonical form parses, and to the same thing.
		p2, err := Parse(p.String(), actors)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", p.String(), q, err)
		}
		_ = p2
		// Two spellings of one query share its canonical form.
		if p2.Canonical() != p.Canonical() {
			t.Fatalf("canonical forms differ: %q and %q", p.Canonical(), p2.Canonical())
		}
		p.TooBroad()
		if c := CleanQuery(q); c != q {
			Parse(c, actors)
		}
		p.Explain(&alerts.Article{Title: q, Body: q})
		x := NewIndex(actors)
		if err := x.Add(alerts.Subscription{ID: 1, Query: q}); err == nil {
			x.Match(&alerts.Article{Title: q, Body: q})
		}
	})
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"Trump’s cease-fire", "e\u0301te\u0301", "Зеленського", "a--b", "'s", "x\u00ADy", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var ws wordScanner
		ws.reset(s, 0)
		last := -1
		for ws.next() {
			w := ws.w
			if w.start < 0 || w.stop > len(s) || w.start >= w.stop || w.end <= w.pos {
				t.Fatalf("bad word %+v in %q", w, s)
			}
			if !w.joined && w.pos <= last {
				t.Fatalf("positions not increasing in %q", s)
			}
			if !w.joined {
				last = w.pos
			}
		}
		NewDoc(&alerts.Article{Title: s, Body: s, Source: s, URL: s})
	})
}

// TestSurfaceStale: a word looked up before its term existed is found once
// a subscription adds the term (the surface cache's "no such term" goes
// stale), by stem and by exact form.
func TestSurfaceStale(t *testing.T) {
	withSurface(t, func(t *testing.T) {
		x := NewIndex(nil)
		x.Add(alerts.Subscription{ID: 1, Query: "alpha"})
		a := &alerts.Article{Title: "Betas and gammas", Body: "delta"}
		for i := 0; i < 3; i++ {
			if n := len(x.Match(a)); n != 0 {
				t.Fatalf("%d hits before the terms exist", n)
			}
		}
		x.Add(alerts.Subscription{ID: 2, Query: "beta"})
		x.Add(alerts.Subscription{ID: 3, Query: `"gammas"`})
		x.Add(alerts.Subscription{ID: 4, Query: `delta -alpha`})
		if hits := x.Match(a); len(hits) != 3 {
			t.Fatalf("hits %+v, want subscriptions 2, 3 and 4", hits)
		}
	})
}

// TestLoadEqualsBruteForce checks the bulk path (parallel parsing with
// memos shared across queries, chunked inserts) against the brute force
// fed one subscription at a time: repeated queries, malformed ones, and
// IDs given twice (the later one wins).
func TestLoadEqualsBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 3))
	actors := DefaultActors()
	pool := make([]string, 1500)
	for i := range pool {
		pool[i] = randQuery(r, 3)
		switch r.IntN(40) {
		case 0:
			pool[i] = "(" + pool[i]
		case 1:
			pool[i] = "-" + randWords[r.IntN(len(randWords))]
		}
	}
	subs := make([]alerts.Subscription, 10_000)
	for i := range subs {
		id := uint64(i + 1)
		if r.IntN(20) == 0 {
			id = uint64(1 + r.IntN(i+1))
		}
		subs[i] = alerts.Subscription{ID: id, Query: pool[r.IntN(len(pool))]}
	}
	x := NewIndex(actors)
	b := NewBrute(actors)
	lerr := x.Load(subs)
	var berrs []string
	for _, s := range subs {
		if err := b.Add(s); err != nil {
			berrs = append(berrs, fmt.Sprintf("subscription %d: %v", s.ID, err))
		}
	}
	if lerr == nil || lerr.Error() != strings.Join(berrs, "\n") {
		t.Fatalf("Load errors:\n%v\nwant:\n%s", lerr, strings.Join(berrs, "\n"))
	}
	if x.Len() != b.Len() {
		t.Fatalf("Len: index %d, brute %d", x.Len(), b.Len())
	}
	// The query each ID ends up with: its last well-formed one.
	last := make(map[uint64]string)
	for _, s := range subs {
		if _, err := Parse(s.Query, actors); err == nil {
			last[s.ID] = s.Query
		}
	}
	for _, s := range subs {
		w, wok := last[s.ID]
		if ok := x.Has(s.ID); ok != wok || ok && !x.follows(s.ID, w) {
			t.Fatalf("subscription %d: in the index %v, want %q %v", s.ID, ok, w, wok)
		}
	}
	total := 0
	for i := 0; i < 60; i++ {
		a := randArticle(r)
		gi, wi := matchedIDs(x, a), matchedIDs(b, a)
		total += len(wi)
		if !slices.Equal(gi, wi) {
			t.Fatalf("article %d %q: index %v, brute %v", i, a.Title, gi, wi)
		}
	}
	if total < 120 {
		t.Fatalf("only %d matches: the test proves little", total)
	}

	// IDs in increasing order into an empty index: Load skips looking
	// them up.
	var inc []alerts.Subscription
	for i, s := range subs {
		if s.ID == uint64(i+1) {
			inc = append(inc, s)
		}
	}
	x, b = NewIndex(actors), NewBrute(actors)
	x.Load(inc)
	for _, s := range inc {
		b.Add(s)
	}
	if x.Len() != b.Len() {
		t.Fatalf("increasing IDs: Len: index %d, brute %d", x.Len(), b.Len())
	}
	for i := 0; i < 20; i++ {
		a := &alerts.Article{Title: randText(r, 3+r.IntN(8)), Body: randText(r, r.IntN(80))}
		gi, wi := matchedIDs(x, a), matchedIDs(b, a)
		if !slices.Equal(gi, wi) {
			t.Fatalf("increasing IDs: article %d: index %v, brute %v", i, gi, wi)
		}
	}
}

// TestLargeIDs mixes IDs with and without a high half (an entry stores the
// high half only when it is not zero) through adds, replacements, removes
// and matches, against the brute force.
func TestLargeIDs(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 2))
	actors := DefaultActors()
	x := NewIndex(actors)
	b := NewBrute(actors)
	id := func() uint64 {
		switch r.IntN(3) {
		case 0:
			return uint64(1 + r.IntN(300))
		case 1:
			return 1<<32 + uint64(r.IntN(300))
		}
		return ^uint64(0) - uint64(r.IntN(300))
	}
	want := make(map[uint64]string)
	for i := 0; i < 3000; i++ {
		s := alerts.Subscription{ID: id(), Query: randQuery(r, 2)}
		if r.IntN(5) == 0 {
			x.Remove(s.ID)
			b.Remove(s.ID)
			delete(want, s.ID)
			continue
		}
		e1, e2 := x.Add(s), b.Add(s)
		if (e1 == nil) != (e2 == nil) {
			t.Fatalf("%q: index error %v, brute error %v", s.Query, e1, e2)
		}
		if e1 == nil {
			want[s.ID] = s.Query
		}
	}
	if x.Len() != len(want) || b.Len() != len(want) {
		t.Fatalf("Len: index %d, brute %d, want %d", x.Len(), b.Len(), len(want))
	}
	for id, q := range want {
		if !x.follows(id, q) {
			t.Fatalf("subscription %d does not follow %q", id, q)
		}
	}
	x.ExplainFrom(func(id uint64) (string, bool) {
		q, ok := want[id]
		return q, ok
	})
	total := 0
	for i := 0; i < 100; i++ {
		a := randArticle(r)
		gi, wi := matchedIDs(x, a), matchedIDs(b, a)
		total += len(wi)
		if !slices.Equal(gi, wi) {
			t.Fatalf("article %d: index %v, brute %v", i, gi, wi)
		}
		if i%10 == 0 {
			got, exp := x.Match(a), b.Match(a)
			if fmt.Sprint(got) != fmt.Sprint(exp) {
				t.Fatalf("article %d: Match index %v, brute %v", i, got, exp)
			}
		}
	}
	if total < 100 {
		t.Fatalf("only %d matches: the test proves little", total)
	}
}

// follows reports whether the index has the subscription id with the
// query q (the same program).
func (x *Index) follows(id uint64, q string) bool {
	p, err := Parse(q, x.names)
	if err != nil {
		return false
	}
	c := compileQuery(p)
	c.prepare(nil)
	x.mu.RLock()
	defer x.mu.RUnlock()
	off, ok := x.findSub(id)
	return ok && x.sameProg(bodyProg(x.ar.at(off)), c)
}
