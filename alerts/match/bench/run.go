package bench

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
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
	// ColdAllocsPerDc is allocations per article on articles whose words
	// the stem cache has not seen (the engine and the floor).
	ColdAllocsPerDc float64 `json:"cold_allocs_per_doc"`
	// RSSMB is the process's resident memory after the run, and PeakRSSMB
	// the most it has been so far, in MiB.
	RSSMB     float64 `json:"rss_mb"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
	// The figures a busy machine distorts least (Linux; 0 elsewhere): the
	// CPU time of one article in one goroutine on its own thread, of one
	// Add while matching runs (p99), and of the whole process during the
	// load. Wall time adds the waits for a core to these.
	CPUusPerDoc float64 `json:"cpu_us_per_doc"`
	AddCPUP99us float64 `json:"add_cpu_p99_us"`
	LoadCPUS    float64 `json:"load_cpu_s"`
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

// Run measures the floor and the naive tokenizer once, then the engines at
// each size, and calls report after each.
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
	names := match.DefaultNames()
	for _, eng := range []string{"floor", "naive"} {
		report(runTokenizer(eng, docs, avgMB, o))
	}
	maxN := slices.Max(sizes)
	var small []alerts.Subscription // for the slow baselines
	if slices.ContainsFunc(sizes, func(n int) bool { return n <= SlowLimit }) {
		small = w.Subscriptions(min(maxN, SlowLimit))
	}
	extra := w.Extra(uint64(maxN)+1, o.Adds)
	for _, n := range sizes {
		for _, eng := range []string{"engine", "brute", "regexp"} {
			if eng != "engine" && n > SlowLimit {
				continue
			}
			r, err := runOne(eng, names, w, n, small, extra, docs, avgMB, o)
			if err != nil {
				return fmt.Errorf("%s at %d: %w", eng, n, err)
			}
			report(r)
		}
	}
	return nil
}

// ParseSize reads a subscription count: digits, or digits with k or M
// ("100k", "10M").
func ParseSize(s string) (int, error) {
	s = strings.TrimSpace(s)
	mult := 1
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1_000, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mult, s = 1_000_000, s[:len(s)-1]
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil || n <= 0 || n > 100_000_000/mult {
		return 0, fmt.Errorf("%q is not a positive count (digits, or with k or M: 100k, 10M; at most 100M)", s)
	}
	return n * mult, nil
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// rssMB returns the process's resident memory and its peak so far, in
// MiB (Linux; 0 elsewhere).
func rssMB() (now, peak float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	kb := func(v string) float64 {
		n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		return float64(n) / 1024
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			now = kb(v)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			peak = kb(v)
		}
	}
	return now, peak
}

func runOne(eng string, names *match.Names, w *Workload, n int, small, extra []alerts.Subscription, docs []alerts.Article, avgMB float64, o Options) (Result, error) {
	res := Result{Engine: eng, Subs: n, Workers: o.Workers, Mix: "cold"}
	if o.Hot {
		res.Mix = "hot"
	}
	before := heap()
	t0, c0 := time.Now(), ProcessCPU()
	var m matcher
	switch eng {
	case "engine":
		// Streamed, as start-up streams the store into the index.
		x := match.NewIndex(names)
		var lerr error
		x.LoadSeq(w.SubscriptionSeq(n), func(id uint64, err error) {
			lerr = fmt.Errorf("subscription %d: %w", id, err)
		})
		if lerr != nil {
			return res, lerr
		}
		m = x
	case "brute":
		b := match.NewBrute(names)
		for _, s := range small[:n] {
			if err := b.Add(s); err != nil {
				return res, err
			}
		}
		m = b
	case "regexp":
		rl := match.NewRegexpLoop(names)
		for _, s := range small[:n] {
			if err := rl.Add(s); err != nil {
				return res, err
			}
		}
		m = rl
	}
	res.LoadS = time.Since(t0).Seconds()
	res.LoadCPUS = (ProcessCPU() - c0).Seconds()
	res.BytesPerSub = float64(int64(heap())-int64(before)) / float64(n)

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
	nop := func(uint64) {}
	res.AllocsPerDc = allocsPerDoc(docs[:ck], func(a *alerts.Article) { m.MatchFunc(a, nop) })
	if eng == "engine" {
		res.ColdAllocsPerDc = coldAllocs(docs[:ck], func(a *alerts.Article) { m.MatchFunc(a, nop) })
	}

	res.CPUusPerDoc = cpuPerDoc(docs[:ck], func(a *alerts.Article) { m.MatchFunc(a, nop) })

	// Throughput and latency: Workers goroutines for Duration.
	res.DocsPerS, res.P50us, res.P99us = timed(docs, o, func(a *alerts.Article) { m.MatchFunc(a, nop) })
	res.MBPerS = res.DocsPerS * avgMB

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
	addsCPU := make([]time.Duration, 0, len(extra))
	runtime.LockOSThread()
	for _, s := range extra {
		t, c := time.Now(), ThreadCPU()
		if err := m.Add(s); err != nil {
			runtime.UnlockOSThread()
			close(stop)
			mw.Wait()
			return res, err
		}
		adds = append(adds, time.Since(t))
		addsCPU = append(addsCPU, ThreadCPU()-c)
	}
	runtime.UnlockOSThread()
	close(stop)
	mw.Wait()
	slices.Sort(adds)
	slices.Sort(addsCPU)
	res.AddP99us = us(adds[len(adds)*99/100])
	res.AddCPUP99us = us(addsCPU[len(addsCPU)*99/100])
	res.RSSMB, res.PeakRSSMB = rssMB()
	runtime.KeepAlive(m)
	return res, nil
}

// runTokenizer measures a row without subscriptions: "floor", Herald's
// own tokenizer (reading, folding, stemming: what the engine does before
// it looks anything up), or "naive", strings.Fields over strings.ToLower.
func runTokenizer(eng string, docs []alerts.Article, avgMB float64, o Options) Result {
	res := Result{Engine: eng, Workers: o.Workers, Mix: "cold"}
	if o.Hot {
		res.Mix = "hot"
	}
	var scan func() func(a *alerts.Article)
	switch eng {
	case "floor":
		scan = func() func(a *alerts.Article) {
			var f match.Floor
			return func(a *alerts.Article) { f.Scan(a) }
		}
	default:
		scan = func() func(a *alerts.Article) {
			return func(a *alerts.Article) {
				n := len(strings.Fields(strings.ToLower(a.Title))) + len(strings.Fields(strings.ToLower(a.Body)))
				runtime.KeepAlive(n)
			}
		}
	}
	ck := min(len(docs), 100)
	f := scan()
	for i := range docs[:ck] {
		f(&docs[i])
	}
	res.AllocsPerDc = allocsPerDoc(docs[:ck], f)
	if eng == "floor" {
		res.ColdAllocsPerDc = coldAllocs(docs[:ck], f)
	}
	res.CPUusPerDoc = cpuPerDoc(docs[:ck], f)
	res.DocsPerS, res.P50us, res.P99us = timedEach(docs, o, scan)
	res.MBPerS = res.DocsPerS * avgMB
	res.RSSMB, res.PeakRSSMB = rssMB()
	return res
}

// coldAllocs is allocsPerDoc on articles whose words no cache has seen,
// after one such round that lets the buffers grow to the longer words.
func coldAllocs(docs []alerts.Article, f func(a *alerts.Article)) float64 {
	allocsPerDoc(coldDocs(docs), f)
	return allocsPerDoc(coldDocs(docs), f)
}

// coldDocs returns copies of docs whose words no cache has seen: each word
// gets a fresh prefix, so every word is stemmed anew.
var coldRound atomic.Uint64

func coldDocs(docs []alerts.Article) []alerts.Article {
	r := coldRound.Add(1)
	out := make([]alerts.Article, len(docs))
	for i, d := range docs {
		// Letters of the word's own script, so that it is stemmed.
		n := r<<20 | uint64(i)
		latin, cyr := letters(n, 'a'), letters(n, 'а')
		re := func(s string) string {
			f := strings.Fields(s)
			for j, w := range f {
				if strings.ContainsFunc(w, func(r rune) bool { return r >= 'а' && r <= 'я' || r >= 'А' && r <= 'Я' }) {
					f[j] = "зх" + cyr + w
				} else {
					f[j] = "zq" + latin + w
				}
			}
			return strings.Join(f, " ")
		}
		out[i] = d
		out[i].Title, out[i].Body = re(d.Title), re(d.Body)
	}
	return out
}

// letters spells n in base 26 with the letters from first on.
func letters(n uint64, first rune) string {
	var b []rune
	for {
		b = append(b, first+rune(n%26))
		if n /= 26; n == 0 {
			return string(b)
		}
	}
}

// cpuPerDoc is the CPU time of one call of f per article, in µs, on one
// thread, over the articles three times.
func cpuPerDoc(docs []alerts.Article, f func(a *alerts.Article)) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t := ThreadCPU()
	for range 3 {
		for i := range docs {
			f(&docs[i])
		}
	}
	return us(ThreadCPU()-t) / float64(3*len(docs))
}

// allocsPerDoc is the mean number of allocations of one call of f per
// article, in one goroutine.
func allocsPerDoc(docs []alerts.Article, f func(a *alerts.Article)) float64 {
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for i := range docs {
		f(&docs[i])
	}
	runtime.ReadMemStats(&ms1)
	return float64(ms1.Mallocs-ms0.Mallocs) / float64(len(docs))
}

// timed runs f on the articles in o.Workers goroutines for o.Duration and
// returns articles per second and the latency percentiles in µs.
func timed(docs []alerts.Article, o Options, f func(a *alerts.Article)) (perS, p50, p99 float64) {
	return timedEach(docs, o, func() func(a *alerts.Article) { return f })
}

// timedEach is timed with a function of its own for each goroutine.
func timedEach(docs []alerts.Article, o Options, each func() func(a *alerts.Article)) (perS, p50, p99 float64) {
	var done atomic.Int64
	lat := make([][]time.Duration, o.Workers)
	var wg sync.WaitGroup
	start := time.Now()
	stopAt := start.Add(o.Duration)
	for g := 0; g < o.Workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			f := each()
			l := make([]time.Duration, 0, 1<<16)
			for i := g; ; i++ {
				t := time.Now()
				f(&docs[i%len(docs)])
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
	return float64(done.Load()) / el, us(all[len(all)/2]), us(all[len(all)*99/100])
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
