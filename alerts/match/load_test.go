package match

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/herald-news/herald/alerts"
)

// TestLoadTwins: a load into an empty index makes a body for every query
// a worker has not seen, so queries that compile alike ("ceasefire",
// "Ceasefire") and queries seen again after a worker forgot what it parsed
// make twins; settling merges them. The index ends with the bodies one
// Add at a time would have made, and matches as brute force does.
func TestLoadTwins(t *testing.T) {
	old := loadMemoMax
	loadMemoMax = 16 // workers forget often
	defer func() { loadMemoMax = old }()
	r := rand.New(rand.NewPCG(3, 9))
	alike := []string{"ceasefire", "Ceasefire", "CEASEFIRE", `"peace deal"`, `"Peace Deal"`,
		"truce OR ceasefire", "Truce OR Ceasefire", "Kyiv", "Kiev", "Zelensky -Putin", "zelensky -putin"}
	var subs []alerts.Subscription
	for id := uint64(1); id <= 4000; id++ {
		q := alike[r.IntN(len(alike))]
		if r.IntN(3) == 0 {
			q = randQuery(r, 2)
		}
		subs = append(subs, alerts.Subscription{ID: id, Query: q})
	}
	x, one, b := NewIndex(DefaultActors()), NewIndex(DefaultActors()), NewBrute(DefaultActors())
	if err := x.Load(subs); err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		one.Add(s)
		b.Add(s)
	}
	if x.Len() != b.Len() || x.bodies.n != one.bodies.n {
		t.Fatalf("Len %d (brute %d), %d bodies (one by one: %d)", x.Len(), b.Len(), x.bodies.n, one.bodies.n)
	}
	for i := 0; i < 200; i++ {
		a := randArticle(r)
		if gi, wi := matchedIDs(x, a), matchedIDs(b, a); !slices.Equal(gi, wi) {
			t.Fatalf("article %d %q: index %v, brute %v", i, a.Title, gi, wi)
		}
	}
	// The settled index takes adds and removes like any other.
	for i := 0; i < 500; i++ {
		id := uint64(1 + r.IntN(5000))
		if r.IntN(3) == 0 {
			x.Remove(id)
			b.Remove(id)
			continue
		}
		s := alerts.Subscription{ID: id, Query: alike[r.IntN(len(alike))]}
		x.Add(s)
		b.Add(s)
	}
	for i := 0; i < 100; i++ {
		a := randArticle(r)
		if gi, wi := matchedIDs(x, a), matchedIDs(b, a); !slices.Equal(gi, wi) {
			t.Fatalf("after changes, article %d: index %v, brute %v", i, gi, wi)
		}
	}
}

// TestLoadWhileMatching loads an empty index while matches run and an Add
// waits for the load (go test -race checks the hand-over of the tables).
func TestLoadWhileMatching(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	var subs []alerts.Subscription
	for id := uint64(1); id <= 3000; id++ {
		subs = append(subs, alerts.Subscription{ID: id, Query: randQuery(r, 2)})
	}
	arts := make([]alerts.Article, 30)
	for i := range arts {
		arts[i] = *randArticle(r)
	}
	x := NewIndex(DefaultActors())
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				x.MatchFunc(&arts[i%len(arts)], func(uint64) {})
			}
		}()
	}
	extra := alerts.Subscription{ID: 1, Query: "ceasefire"} // replaces subscription 1
	added := make(chan struct{})
	x.LoadSeq(func(yield func(uint64, string) bool) {
		for i, s := range subs {
			if i == len(subs)/2 {
				go func() {
					x.Add(extra) // waits for the load
					close(added)
				}()
			}
			if !yield(s.ID, s.Query) {
				return
			}
		}
	}, nil)
	<-added
	close(stop)
	wg.Wait()
	b := NewBrute(DefaultActors())
	for _, s := range subs[1:] {
		b.Add(s)
	}
	b.Add(extra)
	if x.Len() != b.Len() {
		t.Fatalf("Len %d, brute %d", x.Len(), b.Len())
	}
	for i := range arts {
		if gi, wi := matchedIDs(x, &arts[i]), matchedIDs(b, &arts[i]); !slices.Equal(gi, wi) {
			t.Fatalf("article %d: index %v, brute %v", i, gi, wi)
		}
	}
}
