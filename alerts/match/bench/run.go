package bench

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
)

// Result is one engine at one size: the fields of herald bench --json.
type Result struct {
	Engine      string  `json:"engine"`
	Subs        int     `json:"subs"`
	DocsPerS    float64 `json:"docs_per_s"`
	MBPerS      float64 `json:"mb_per_s"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	BytesPerSub float64 `json:"bytes_per_sub"`
	AllocsPerDc float64 `json:"allocs_per_doc"`
	AddP99us    float64 `json:"add_p99_us"`
	Checksum    string  `json:"checksum"`
	// ChecksumDocs is how many articles the checksum covers: the first 100
	// for the engine and brute force, fewer for the regexp loop.
	ChecksumDocs int `json:"checksum_docs"`
	// Secondary figures, to read the others by.
	LoadS       float64 `json:"load_s"`
	MatchPerDoc float64 `json:"matches_per_doc"`
	Workers     int     `json:"workers"`
	Mix         string  `json:"mix"`
}

// Options tune a run.
type Options struct {
	Seed     uint64
	Docs     int           // distinct articles (default 1000)
	Duration time.Duration // timed matching per engine and size (default 2 s)
	Workers  int           // matching goroutines (default GOMAXPROCS)
	Adds     int           // subscriptions added under load for add_p99_us (default 2000)
	Hot      bool          // the "hot" subscription mix (output-bound) instead of "cold"
}

func (o *Options) defaults() {
	if o.Docs <= 0 {
		o.Docs = 1000
	}
	if o.Duration <= 0 {
		o.Duration = 2 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Adds <= 0 {
		o.Adds = 2000
	}
}

// matcher is what the runner needs of an engine.
type matcher interface {
	Add(alerts.Subscription) error
	MatchFunc(a *alerts.Article, fn func(sub uint64))
}

// Engines run on every size; the slow baselines only up to this many
// subscriptions.
const SlowLimit = 10_000

// Run measures the engines at each size and calls report after each.
func Run(sizes []int, o Options, report func(Result)) error {
	o.defaults()
	w := NewWorkload(o.Seed)
	if o.Hot {
		w = NewHotWorkload(o.Seed)
	}
	docs := w.Articles(o.Docs)
	bytes := 0
	for i := range docs {
		bytes += len(docs[i].Title) + len(docs[i].Body)
	}
	avgMB := float64(bytes) / float64(len(docs)) / 1e6
	actors := match.DefaultActors()
	maxN := slices.Max(sizes)
	allSubs := w.Subscriptions(maxN + o.Adds)
	for _, n := range sizes {
		subs := allSubs[:n]
		extra := allSubs[maxN : maxN+o.Adds]
		for _, eng := range []string{"engine", "brute", "regexp"} {
			if eng != "engine" && n > SlowLimit {
				continue
			}
			r, err := runOne(eng, actors, subs, extra, docs, avgMB, o)
			if err != nil {
				return fmt.Errorf("%s at %d: %w", eng, n, err)
			}
			report(r)
		}
	}
	return nil
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func runOne(eng string, actors *match.Names, subs, extra []alerts.Subscription, docs []alerts.Article, avgMB float64, o Options) (Result, error) {
	res := Result{Engine: eng, Subs: len(subs), Workers: o.Workers, Mix: "cold"}
	if o.Hot {
		res.Mix = "hot"
	}
	before := heap()
	t0 := time.Now()
	var m matcher
	switch eng {
	case "engine":
		x := match.NewIndex(actors)
		if err := x.Load(subs); err != nil {
			return res, err
		}
		m = x
	case "brute":
		b := match.NewBrute(actors)
		for _, s := range subs {
			if err := b.Add(s); err != nil {
				return res, err
			}
		}
		m = b
	case "regexp":
		rl := match.NewRegexpLoop(actors)
		for _, s := range subs {
			if err := rl.Add(s); err != nil {
				return res, err
			}
		}
		m = rl
	}
	res.LoadS = time.Since(t0).Seconds()
	res.BytesPerSub = float64(int64(heap())-int64(before)) / float64(len(subs))

	// Checksum over the set of (article, subscription) pairs, in any order.
	ck := min(len(docs), 100)
	if eng == "regexp" {
		ck = min(len(docs), 3)
	}
	res.ChecksumDocs = ck
	var sum, count uint64
	for i := range docs[:ck] {
		m.MatchFunc(&docs[i], func(sub uint64) {
			sum += mix(uint64(i)<<40 ^ sub)
			count++
		})
	}
	res.Checksum = fmt.Sprintf("%016x", sum)
	res.MatchPerDoc = float64(count) / float64(ck)

	// Allocations per article, one goroutine, warm.
	var ms0, ms1 runtime.MemStats
	nop := func(uint64) {}
	runtime.ReadMemStats(&ms0)
	for i := range docs[:ck] {
		m.MatchFunc(&docs[i], nop)
	}
	runtime.ReadMemStats(&ms1)
	res.AllocsPerDc = float64(ms1.Mallocs-ms0.Mallocs) / float64(ck)

	// Throughput and latency: Workers goroutines for Duration.
	var done atomic.Int64
	lat := make([][]time.Duration, o.Workers)
	var wg sync.WaitGroup
	start := time.Now()
	stopAt := start.Add(o.Duration)
	for g := 0; g < o.Workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			l := make([]time.Duration, 0, 1<<16)
			for i := g; ; i++ {
				a := &docs[i%len(docs)]
				t := time.Now()
				m.MatchFunc(a, nop)
				l = append(l, time.Since(t))
				if time.Now().After(stopAt) {
					break
				}
			}
			lat[g] = l
			done.Add(int64(len(l)))
		}(g)
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	all := slices.Concat(lat...)
	slices.Sort(all)
	res.DocsPerS = float64(done.Load()) / el
	res.MBPerS = res.DocsPerS * avgMB
	res.P50us = us(all[len(all)/2])
	res.P99us = us(all[len(all)*99/100])

	// Adding under load: one goroutine adds while the others match.
	stop := make(chan struct{})
	var mw sync.WaitGroup
	for g := 0; g < o.Workers; g++ {
		mw.Add(1)
		go func(g int) {
			defer mw.Done()
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m.MatchFunc(&docs[i%len(docs)], nop)
			}
		}(g)
	}
	if eng != "engine" {
		extra = extra[:min(len(extra), 20)]
	}
	adds := make([]time.Duration, 0, len(extra))
	for _, s := range extra {
		t := time.Now()
		if err := m.Add(s); err != nil {
			close(stop)
			mw.Wait()
			return res, err
		}
		adds = append(adds, time.Since(t))
	}
	close(stop)
	mw.Wait()
	slices.Sort(adds)
	res.AddP99us = us(adds[len(adds)*99/100])
	runtime.KeepAlive(m)
	return res, nil
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
