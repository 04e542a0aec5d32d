package feeds

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/feeds/feedtest"
	"github.com/herald-news/herald/alerts"
)

// BenchmarkParseFiles reads every feed fixture in testdata/feeds (every
// encoding, every dialect, the broken ones) through the parse path the
// poller uses: decode, parse, clean. One iteration reads them all.
func BenchmarkParseFiles(b *testing.B) {
	var docs [][]byte
	filepath.WalkDir(filepath.Join("testdata", "feeds"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			docs = append(docs, data)
		}
		return nil
	})
	var bytesPer int
	for _, d := range docs {
		bytesPer += len(d)
	}
	b.SetBytes(int64(bytesPer))
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		for _, d := range docs {
			parseFeedDoc(context.Background(), bytes.NewReader(d), docMeta{FeedURL: "https://bench.example/feed"}, 0)
		}
		n++
	}
	b.ReportMetric(float64(n*len(docs))/time.Since(start).Seconds(), "files/s")
}

// BenchmarkParseBigFeed reads a 10 MiB feed of 300,000 items, keeping the
// newest 1,000. peak-RSS-MiB is the whole process's peak during the
// benchmark, the document (10 MiB, in memory to be read) included.
func BenchmarkParseBigFeed(b *testing.B) {
	doc := feedtest.BigDocument(300_000, 10<<20-1024)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	runtime.GC()
	resetPeakRSS()
	for b.Loop() {
		pf, err := parseFeedDoc(context.Background(), bytes.NewReader(doc), docMeta{FeedURL: "https://big.example/"}, 0)
		if err != nil || len(pf.Items) != DefaultMaxItems {
			b.Fatalf("%v, %d items", err, len(pf.Items))
		}
	}
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// BenchmarkPollBigFeeds has a poller fetch fourteen 10 MiB feeds of
// 300,000 items each, from fourteen loopback servers, at once: one
// iteration is one round, every feed fetched in full and read. The peak
// RSS is the whole process's, the servers' one shared copy of the
// document included.
func BenchmarkPollBigFeeds(b *testing.B) {
	urls, _ := bigFeeds(b, 14)
	p := NewPoller(PollerOptions{Feeds: urls, MinInterval: 24 * time.Hour, MaxInterval: 24 * time.Hour, FlushInterval: time.Hour}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan alerts.Article, 1024)
	done := make(chan struct{})
	go func() { p.Run(ctx, out); close(done) }()
	defer func() { cancel(); <-done }()
	p.mu.Lock()
	feeds := append([]*feed(nil), p.order...)
	p.mu.Unlock()
	round := func() {
		target := p.stats.completed.Load() + uint64(len(feeds))
		for _, f := range feeds {
			f.mu.Lock()
			f.st.ETag, f.st.LastModified = "", "" // fetch in full every round
			f.mu.Unlock()
			p.pollSoon(f)
		}
		for p.stats.completed.Load() < target {
			time.Sleep(time.Millisecond)
		}
	}
	runtime.GC()
	resetPeakRSS()
	cpu0 := cpuTime()
	for b.Loop() {
		round()
	}
	if s := p.Stats(); s.Failures > 0 {
		b.Fatalf("%d polls failed", s.Failures)
	}
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/round")
}
