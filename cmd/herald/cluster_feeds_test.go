package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/feeds"
	"github.com/herald-news/herald/adapters/feeds/feedtest"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage/jetstream"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// pollLog records which poller fetched which feed.
type pollLog struct {
	mu  sync.Mutex
	by  map[string]map[string]int // path → user agent → fetches
	all http.Handler
}

func (l *pollLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	if l.by[r.URL.Path] == nil {
		l.by[r.URL.Path] = map[string]int{}
	}
	l.by[r.URL.Path][r.UserAgent()]++
	l.mu.Unlock()
	l.all.ServeHTTP(w, r)
}

func (l *pollLog) reset() {
	l.mu.Lock()
	l.by = map[string]map[string]int{}
	l.mu.Unlock()
}

func (l *pollLog) pollers(path string) map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.by[path] {
		out[k] = v
	}
	return out
}

type setOwner struct{ set *jetstream.Set }

func (o setOwner) Owns(u string) bool {
	h := fnv.New32a()
	h.Write([]byte(u))
	return o.set.Holds(int(h.Sum32() % uint32(o.set.Size())))
}

// TestClusterFeedsPolledOnce: two processes share the feeds: each is
// polled by one of them, a feed added from chat in one is polled within
// one interval by whichever owns it, and when a poller dies its feeds move
// to the other.
func TestClusterFeedsPolledOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out several poll intervals and a lease expiry")
	}
	nc := natstest.Start(t, 3)
	const n, interval = 12, 2 * time.Second
	log := &pollLog{by: map[string]map[string]int{}, all: feedtest.NewMany(n+1, 3)}
	srv := httptest.NewServer(log)
	defer srv.Close()
	var urls []string
	for i := range n {
		urls = append(urls, fmt.Sprintf("%s/feed/%d", srv.URL, i))
	}
	type proc struct {
		st     *jetstream.Store
		poller *feeds.Poller
		set    *jetstream.Set
		stop   context.CancelFunc
	}
	start := func(name string) *proc {
		ctx, cancel := context.WithCancel(context.Background())
		st, err := jetstream.Open(ctx, jetstream.Options{URL: nc.URL(), Name: name, LeaseTTL: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		co := st.NewCoordinator()
		set := co.Set("feeds", 16, 0, nil)
		p := feeds.NewPoller(feeds.PollerOptions{Feeds: urls, MinInterval: interval / 2, MaxInterval: interval,
			AllowPrivate: true, UserAgent: name, Owner: setOwner{set}}, st, nil)
		go co.Run(ctx)
		go st.WatchMeta(ctx, "feeds:added", p.SyncAdded)
		out := make(chan alerts.Article, 1024)
		go func() {
			for range out {
			}
		}()
		go p.Run(ctx, out)
		t.Cleanup(func() { cancel(); st.Close() })
		return &proc{st: st, poller: p, set: set, stop: cancel}
	}
	one, two := start("one"), start("two")
	waitForWithin(t, 15*time.Second, "both processes hold feeds", func() bool { return len(one.set.Held()) == 8 && len(two.set.Held()) == 8 })
	time.Sleep(interval) // polls begun under the earlier split finish
	log.reset()
	time.Sleep(3 * interval)
	for _, u := range urls {
		path := u[len(srv.URL):]
		got := log.pollers(path)
		if len(got) != 1 {
			t.Errorf("%s polled by %v, want exactly one process", path, got)
		}
	}

	// A feed added from chat in one process is polled within one interval
	// by its owner, whichever that is.
	added := fmt.Sprintf("%s/feed/%d", srv.URL, n)
	if _, err := one.poller.AddSource(context.Background(), added, "telegram:-1001"); err != nil {
		t.Fatal(err)
	}
	addedAt := time.Now()
	waitForWithin(t, interval+2*time.Second, "the chat-added feed polled after its baseline", func() bool {
		total := 0
		for _, c := range log.pollers(added[len(srv.URL):]) {
			total += c
		}
		return total >= 2
	})
	t.Logf("chat-added feed polled %s after it was added", time.Since(addedAt).Round(100*time.Millisecond))

	// The second poller dies without a word: its feeds move.
	two.st.Conn().Close()
	two.stop()
	died := time.Now()
	waitForWithin(t, 15*time.Second, "the survivor holds every feed partition", func() bool { return len(one.set.Held()) == 16 })
	log.reset()
	waitForWithin(t, 15*time.Second-time.Since(died)+2*interval, "every feed polled by the survivor", func() bool {
		for _, u := range urls {
			if log.pollers(u[len(srv.URL):])["one"] == 0 {
				return false
			}
		}
		return true
	})
	t.Logf("a dead poller's feeds were polled by the survivor %s after it died", time.Since(died).Round(100*time.Millisecond))
}
