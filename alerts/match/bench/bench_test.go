package bench

import (
	"fmt"
	"runtime"
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
			warm(x, docs)
			i := 0
			cpuLoop(b, func() {
				x.MatchFunc(&docs[i%len(docs)], nop)
				i++
			})
		})
	}
}

// BenchmarkMatchHot is BenchmarkMatch on the output-bound "hot" mix.
func BenchmarkMatchHot(b *testing.B) {
	w := NewHotWorkload(1)
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
			b.ReportAllocs()
			nop := func(uint64) {}
			warm(x, docs)
			i := 0
			cpuLoop(b, func() {
				x.MatchFunc(&docs[i%len(docs)], nop)
				i++
			})
		})
	}
}

// BenchmarkAdd measures adding subscriptions to an index of a million
// (one goroutine, nothing matching; cpu-ns/op is the Add's own CPU time).
func BenchmarkAdd(b *testing.B) {
	if testing.Short() {
		b.Skip("short")
	}
	w := NewWorkload(1)
	x := match.NewIndex(match.DefaultNames())
	x.LoadSeq(w.SubscriptionSeq(1_000_000), nil)
	extra := w.Extra(1_000_001, 100_000)
	i := 0
	cpuLoop(b, func() {
		if err := x.Add(extra[i%len(extra)]); err != nil {
			b.Fatal(err)
		}
		i++
	})
}

// BenchmarkLoad measures bulk loading 100k subscriptions.
func BenchmarkLoad(b *testing.B) {
	subs := NewWorkload(1).Subscriptions(100_000)
	actors := match.DefaultActors()
	loadLoop(b, func() {
		x := match.NewIndex(actors)
		if err := x.Load(subs); err != nil {
			b.Fatal(err)
		}
	})
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
	loadLoop(b, func() {
		x := match.NewIndex(actors)
		if err := x.Load(subs); err != nil {
			b.Fatal(err)
		}
	})
}

func avgBytes(docs []alerts.Article) int64 {
	n := 0
	for i := range docs {
		n += len(docs[i].Title) + len(docs[i].Body)
	}
	return int64(n / len(docs))
}

// warm matches every article once, so that the timed loop finds the
// stems and the index's cache of words filled, as a running bot does.
func warm(x *match.Index, docs []alerts.Article) {
	for i := range docs {
		x.MatchFunc(&docs[i], func(uint64) {})
	}
}

// cpuLoop runs f in a b.Loop on one locked OS thread and reports its CPU
// time per call (cpu-ns/op), the figure a busy machine distorts least:
// wall time counts the waits for a core.
func cpuLoop(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := ThreadCPU()
	for b.Loop() {
		measured(f)
	}
	b.ReportMetric(float64(ThreadCPU()-t0)/float64(b.N), "cpu-ns/op")
}

// measured calls f: valgrind --toggle-collect='*measured*' counts the
// timed calls alone.
//
//go:noinline
func measured(f func()) { f() }

// loadLoop runs f in a b.Loop and reports the CPU time of the whole
// process per call (proc-cpu-ns/op): every worker's, and the collector's.
func loadLoop(b *testing.B, f func()) {
	t0 := ProcessCPU()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(ProcessCPU()-t0)/float64(b.N), "proc-cpu-ns/op")
}
