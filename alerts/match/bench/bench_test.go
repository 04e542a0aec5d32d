package bench

import (
	"fmt"
	"testing"

	"github.com/herald-news/herald/alerts"

	"github.com/herald-news/herald/alerts/match"
)

// BenchmarkMatch measures the index on the seeded workload:
// go test -bench Match ./alerts/match/bench (add -benchtime, and
// -run XXX; 1M takes a minute to build).
func BenchmarkMatch(b *testing.B) {
	w := NewWorkload(1)
	docs := w.Articles(500)
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			if testing.Short() && n > 100_000 {
				b.Skip("short")
			}
			x := match.NewIndex(match.DefaultActors())
			if err := x.Load(w.Subscriptions(n)); err != nil {
				b.Fatal(err)
			}
			bytes := 0
			for i := range docs {
				bytes += len(docs[i].Title) + len(docs[i].Body)
			}
			b.SetBytes(int64(bytes / len(docs)))
			b.ReportAllocs()
			nop := func(uint64) {}
			i := 0
			for b.Loop() {
				x.MatchFunc(&docs[i%len(docs)], nop)
				i++
			}
		})
	}
}

// BenchmarkMatchHot is BenchmarkMatch on the output-bound "hot" mix.
func BenchmarkMatchHot(b *testing.B) {
	w := NewHotWorkload(1)
	docs := w.Articles(500)
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			x := match.NewIndex(match.DefaultActors())
			if err := x.Load(w.Subscriptions(n)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			nop := func(uint64) {}
			i := 0
			for b.Loop() {
				x.MatchFunc(&docs[i%len(docs)], nop)
				i++
			}
		})
	}
}

// BenchmarkLoad measures bulk loading 100k subscriptions.
func BenchmarkLoad(b *testing.B) {
	subs := NewWorkload(1).Subscriptions(100_000)
	actors := match.DefaultActors()
	for b.Loop() {
		x := match.NewIndex(actors)
		if err := x.Load(subs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad1M measures bulk loading a million subscriptions, the
// size of the load-time target.
func BenchmarkLoad1M(b *testing.B) {
	if testing.Short() {
		b.Skip("short")
	}
	subs := NewWorkload(1).Subscriptions(1_000_000)
	actors := match.DefaultActors()
	b.ResetTimer()
	for b.Loop() {
		x := match.NewIndex(actors)
		if err := x.Load(subs); err != nil {
			b.Fatal(err)
		}
	}
}

func avgBytes(docs []alerts.Article) int64 {
	n := 0
	for i := range docs {
		n += len(docs[i].Title) + len(docs[i].Body)
	}
	return int64(n / len(docs))
}
