package feeds

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/feeds/feedtest"
	"github.com/herald-news/herald/alerts"
)

// BenchmarkPoll5000 polls 5,000 feeds on loopback with conditional GET:
// after the first round (which fetches every feed and sets its baseline)
// every round is 5,000 requests answered 304. One iteration is one round,
// driven by the poller's own scheduler and workers. hosts spreads the
// feeds over that many servers: the poller allows two requests at a time
// per host. Figures include the fake servers, which run in the same
// process.
func BenchmarkPoll5000(b *testing.B) {
	for _, hosts := range []int{1, 50} {
		b.Run(fmt.Sprintf("hosts=%d", hosts), func(b *testing.B) { benchPoll(b, 5000, hosts) })
	}
}

func benchPoll(b *testing.B, n, hosts int) {
	var urls []string
	perHost := n / hosts
	for range hosts {
		m := feedtest.NewMany(perHost, 10)
		srv := httptest.NewServer(m)
		b.Cleanup(srv.Close)
		for i := range perHost {
			urls = append(urls, fmt.Sprintf("%s/feed/%d", srv.URL, i))
		}
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	p := NewPoller(PollerOptions{
		Feeds:       urls,
		MinInterval: 24 * time.Hour, MaxInterval: 24 * time.Hour, // rounds are forced
		FlushInterval: time.Second,
	}, newMemStore(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan alerts.Article, 1024)
	go func() {
		for range out {
		}
	}()
	done := make(chan struct{})
	go func() { p.Run(ctx, out); close(done) }()
	defer func() { cancel(); <-done }()

	round := func() {
		target := p.stats.completed.Load() + uint64(len(urls))
		p.mu.Lock()
		feeds := append([]*feed(nil), p.order...)
		p.mu.Unlock()
		for _, f := range feeds {
			p.pollSoon(f)
		}
		for p.stats.completed.Load() < target {
			time.Sleep(time.Millisecond)
		}
	}
	round() // baseline: full bodies
	if s := p.Stats(); s.Failures > 0 {
		b.Fatalf("baseline round: %d failures", s.Failures)
	}
	nm0 := p.Stats().NotModified
	cpu0 := cpuTime()
	start := time.Now()
	rounds := 0
	b.ResetTimer()
	for b.Loop() {
		round()
		rounds++
	}
	b.StopTimer()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	polled := float64(rounds * len(urls))
	if got := p.Stats().NotModified - nm0; got != uint64(polled) {
		b.Errorf("%d of %v polls answered 304", got, polled)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(polled/elapsed.Minutes(), "feeds/min")
	b.ReportMetric(float64(cpu.Microseconds())/polled, "cpu-µs/feed")
	b.ReportMetric(float64(cpu)/float64(elapsed), "cores")
	b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(after.HeapInuse-min(after.HeapInuse, before.HeapInuse))/(1<<20), "poller-heap-MiB")
	b.ReportMetric(rssMiB(), "rss-MiB")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMiB is the process's resident set size.
func rssMiB() float64 { return procStatusMiB("VmRSS:") }

// peakRSSMiB is the process's peak resident set size since the last
// resetPeakRSS (or its start).
func peakRSSMiB() float64 { return procStatusMiB("VmHWM:") }

// resetPeakRSS starts the peak RSS over from the current RSS (Linux).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func procStatusMiB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field) {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, field)), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}
