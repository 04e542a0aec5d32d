package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/bot/bottest"
)

// latencyChat is the first chat ID of the latency probes' chats (see
// benchDB).
const latencyChat = 7000000000

// timedPlatform is the fake Telegram: bottest.Sender, which also keeps
// the arrival-to-send time of the alerts to the latency probes' chats
// apart, so a backlog being sent beside them does not blur them.
type timedPlatform struct {
	benchPlatform
	mu      sync.Mutex
	latency []time.Duration
}

func (p *timedPlatform) Send(ctx context.Context, t alerts.Target, m bot.Message) (string, error) {
	id, err := p.Sender.Send(ctx, t, m)
	if chat, _ := strconv.ParseInt(t.ID.ChatID(), 10, 64); chat >= latencyChat && chat < latencyChat+latencyChats {
		now := time.Now()
		p.mu.Lock()
		for _, a := range m.Alerts {
			p.latency = append(p.latency, now.Sub(a.Article.Ingested))
		}
		p.mu.Unlock()
	}
	return id, err
}

func (p *timedPlatform) latencies() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.latency)
}

var benchHTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}

// post pushes the phase's article i (its body written before the phase,
// see benchBodies) and returns how long the request took.
func (b *pipelineBench) post(i int) (time.Duration, error) {
	body, err := b.bodies.body(i)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := benchHTTP.Post("http://"+b.addr+"/v1/articles", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var ans struct{ Status, Error string }
	json.NewDecoder(resp.Body).Decode(&ans)
	took := time.Since(start)
	if resp.StatusCode != http.StatusAccepted || ans.Status != "accepted" {
		return took, fmt.Errorf("article %d: HTTP %d %s%s", i, resp.StatusCode, ans.Status, ans.Error)
	}
	return took, nil
}

// measure runs a phase and adds what the process did meanwhile: CPU, the
// highest RSS (sampled every 100 ms), the heap, the outbox and the alerts
// the platform received.
func (b *pipelineBench) measure(p benchPhase) (benchResult, error) {
	if err := b.bodies.fill(b.text, p); err != nil {
		return benchResult{}, fmt.Errorf("writing the articles: %w", err)
	}
	if b.profile != "" {
		f, err := os.Create(b.profile + "." + p.name + ".pprof")
		if err != nil {
			return benchResult{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return benchResult{}, err
		}
		defer pprof.StopCPUProfile()
	}
	var rssMax atomic.Int64
	var rssSamples []int64 // the sampler's; read once it is done
	stopRSS := make(chan struct{})
	rssDone := make(chan struct{})
	go func() {
		defer close(rssDone)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			rss := bottest.RSS()
			storeMax(&rssMax, rss)
			rssSamples = append(rssSamples, rss)
			select {
			case <-stopRSS:
				return
			case <-t.C:
			}
		}
	}()
	before, terr := b.ingestTotals()
	cpu0 := selfCPU()
	msgs0, sent0 := b.tg.Counts()
	start := time.Now()
	r, err := p.run(b, p)
	wall := time.Since(start)
	close(stopRSS)
	<-rssDone
	if terr == nil {
		var after ingestTotals
		if after, terr = b.ingestTotals(); terr == nil {
			r.addStages(before, after, wall.Seconds())
		}
	}
	if terr != nil {
		fmt.Fprintf(b.stderr, "%s: no account of the ingest stages: %v\n", p.name, terr)
	}
	r.Phase = p.name
	r.CPU = 100 * (selfCPU() - cpu0).Seconds() / wall.Seconds()
	msgs1, sent1 := b.tg.Counts()
	r.SentPerS = float64(sent1-sent0) / wall.Seconds()
	r.MessagesPerS = float64(msgs1-msgs0) / wall.Seconds()
	r.RSSMaxMB = mb(rssMax.Load())
	slices.Sort(rssSamples)
	r.RSSp50MB = mb(rssSamples[len(rssSamples)/2])
	anon, _ := procStatus("RssAnon")
	r.AnonMB = mb(anon)
	fileRSS, _ := procStatus("RssFile")
	r.FileRSSMB = mb(fileRSS)
	if fi, err := os.Stat(b.db.Path()); err == nil {
		r.FileMB = mb(fi.Size())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapMB = mb(int64(ms.HeapInuse))
	if b.memprofile != "" {
		if f, ferr := os.Create(b.memprofile + "." + p.name + ".heap"); ferr == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	heads, herr := b.db.Heads()
	for _, h := range heads {
		r.Pending += h.Count
	}
	if err == nil {
		err = herr
	}
	return r, err
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// push pushes the phase's articles from b.clients clients at once, each
// sending its next article when the last one was accepted.
func (b *pipelineBench) push(p benchPhase) (benchResult, error) { return b.pushWith(p, b.clients) }

func (b *pipelineBench) pushWith(p benchPhase, clients int) (benchResult, error) {
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				i := int(next.Add(1) - 1)
				if i >= p.articles {
					break
				}
				d, err := b.post(i)
				if err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					next.Store(int64(p.articles))
					break
				}
				mine = append(mine, d)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	r := benchResult{Articles: len(lat), Clients: clients, Seconds: el.Seconds(), PerSecond: float64(len(lat)) / el.Seconds()}
	r.HTTPp50ms, r.HTTPp99ms = msOf(bottest.Percentile(lat, 50)), msOf(bottest.Percentile(lat, 99))
	return r, first
}

// latency pushes the phase's matching articles one every 500 ms, each for
// a chat of its own, and times their alerts.
func (b *pipelineBench) latency(p benchPhase) (benchResult, error) {
	return b.latencyBeside(p, p.articles)
}

// latencyBeside is latency for the first n articles of the phase, with
// the rest pushed beside them at 200 a second, each in a request of its
// own whatever the others wait for (an open loop, as feeds and scrapers
// push). Both keep to a schedule, not to the time of the last request:
// a stalled server or machine does not lower the rate offered. The rate
// accepted beside is the articles accepted over the time from the first
// sent to the last answered.
func (b *pipelineBench) latencyBeside(p benchPhase, n int) (benchResult, error) {
	before := len(b.timed.latencies())
	var quiet, quietFailed atomic.Int64
	var lastDone atomic.Int64
	stop := make(chan struct{})
	var side sync.WaitGroup
	start := time.Now()
	if p.articles > n {
		side.Add(1)
		go func() {
			defer side.Done()
			for i := n; i < p.articles; i++ {
				select {
				case <-stop:
					return
				case <-time.After(time.Until(start.Add(time.Duration(i-n) * 5 * time.Millisecond))):
				}
				side.Add(1)
				go func(i int) {
					defer side.Done()
					_, err := b.post(i)
					storeMax(&lastDone, int64(time.Since(start)))
					if err != nil {
						quietFailed.Add(1)
						return
					}
					quiet.Add(1)
				}(i)
			}
		}()
	}
	var lat []time.Duration
	var err error
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * 500 * time.Millisecond)))
		var d time.Duration
		if d, err = b.post(i); err != nil {
			break
		}
		lat = append(lat, d)
	}
	// The alerts of the last articles may still be on their way.
	for deadline := time.Now().Add(time.Minute); len(b.timed.latencies()) < before+n && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	el := time.Since(start)
	close(stop)
	side.Wait()
	sent := b.timed.latencies()[before:]
	r := benchResult{Articles: n, Clients: 1, Seconds: el.Seconds(), PerSecond: float64(n) / el.Seconds(), Alerts: len(sent),
		Sentp50: msOf(bottest.Percentile(sent, 50)), Sentp90: msOf(bottest.Percentile(sent, 90)), Sentp99: msOf(bottest.Percentile(sent, 99))}
	r.HTTPp50ms, r.HTTPp99ms = msOf(bottest.Percentile(lat, 50)), msOf(bottest.Percentile(lat, 99))
	if p.articles > n {
		r.Beside = float64(quiet.Load()) / time.Duration(lastDone.Load()).Seconds()
		if f := quietFailed.Load(); f > 0 && err == nil {
			err = fmt.Errorf("%d of the articles pushed beside failed", f)
		}
	}
	if err == nil && len(sent) < n {
		err = fmt.Errorf("only %d of %d alerts arrived within a minute", len(sent), n)
	}
	return r, err
}

// storeMax raises v to x if x is larger.
func storeMax(v *atomic.Int64, x int64) {
	for old := v.Load(); x > old && !v.CompareAndSwap(old, x); old = v.Load() {
	}
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// procStatus reads a size in bytes from /proc/self/status ("RssAnon").
func procStatus(field string) (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
