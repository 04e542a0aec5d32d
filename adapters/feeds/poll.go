package feeds

import (
	"container/heap"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// StateStore keeps small named values across restarts; the bbolt store
// implements it. GetMeta returns an error wrapping alerts.ErrNotFound for a
// missing key. Implementations must be safe for concurrent use.
type StateStore interface {
	GetMeta(key string) ([]byte, error)
	PutMeta(key string, v []byte) error
}

// PollerOptions configure a Poller. Zero values take the defaults in
// brackets.
type PollerOptions struct {
	// Feeds are the operator's feeds (HERALD_FEEDS); they may reach any
	// address, and file:// URLs.
	Feeds []string
	// MinInterval and MaxInterval bound the adaptive poll interval of a
	// feed (HERALD_POLL_MIN, HERALD_POLL_MAX) [1m, 30m].
	MinInterval, MaxInterval time.Duration
	// AllowPrivate lets feeds added from chat reach private, loopback and
	// link-local addresses (HERALD_ALLOW_PRIVATE_FEEDS).
	AllowPrivate bool
	// DisableAfter is how long a feed may fail before it is disabled and
	// no longer polled [7 days]. Adding it again from chat re-enables it.
	DisableAfter time.Duration
	// Fetch are the HTTP knobs: timeouts, body cap, redirects, per-host
	// concurrency.
	Fetch     FetchOptions
	UserAgent string
	// Workers caps concurrent fetches over all hosts [64].
	Workers int
	// PublicURL is the base URL at which Herald's HTTP server is reachable
	// from the internet; WebSub callbacks are {PublicURL}/websub/{id}.
	// Empty turns WebSub off.
	PublicURL string
	// Extract lists feeds whose teaser-only items get their page fetched
	// and the article text extracted.
	Extract []string
	// FlushInterval is how often changed feed state is written to the
	// store [10s]; it is also written when Run returns.
	FlushInterval time.Duration
	// Now is the clock [time.Now].
	Now func() time.Time
	// Owner, when set, says which feeds this process polls (cluster
	// mode); nil polls all.
	Owner Owner
}

func (o PollerOptions) withDefaults() PollerOptions {
	if o.MinInterval <= 0 {
		o.MinInterval = time.Minute
	}
	if o.MaxInterval <= 0 {
		o.MaxInterval = 30 * time.Minute
	}
	if o.MaxInterval < o.MinInterval {
		o.MaxInterval = o.MinInterval
	}
	if o.DisableAfter <= 0 {
		o.DisableAfter = 7 * 24 * time.Hour
	}
	if o.Workers <= 0 {
		o.Workers = 64
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return o
}

// Poller polls feeds and emits their new items as articles. It implements
// bot.ArticleSource and bot.Catalog.
type Poller struct {
	opts  PollerOptions
	store StateStore
	log   *slog.Logger
	fetch *fetcher

	mu     sync.Mutex
	feeds  map[string]*feed // by URL
	byID   map[string]*feed // by WebSub callback ID
	order  []*feed          // in the order they were configured or added
	queue  feedQueue
	dirty  map[*feed]bool
	out    chan<- alerts.Article // set while Run runs
	runCtx context.Context

	// gates holds, per host, the polls under way and the feeds parked
	// until one ends: a slow host with many feeds must not tie up every
	// worker. Guarded by mu.
	gates map[string]*hostGate

	addMu sync.Mutex // serialises AddSource's writes of the added list
	// flushMu serialises writes of feed state: flush against RemoveSource.
	flushMu sync.Mutex

	wake    chan struct{}
	running atomic.Bool
	stats   pollStats
}

// Interface guards.
var (
	_ bot.ArticleSource = (*Poller)(nil)
	_ bot.Catalog       = (*Poller)(nil)
)

const addedFeedsKey = "feeds:added"

func feedStateKey(url string) string { return "feed:" + url }

// NewPoller builds a poller for the operator's feeds and the feeds added
// from chat earlier, restoring their state from store. log may be nil.
func NewPoller(opts PollerOptions, store StateStore, log *slog.Logger) *Poller {
	opts = opts.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Poller{
		opts:  opts,
		store: store,
		log:   log,
		fetch: newFetcher(opts.Fetch, opts.UserAgent),
		feeds: map[string]*feed{},
		byID:  map[string]*feed{},
		dirty: map[*feed]bool{},
		gates: map[string]*hostGate{},
		wake:  make(chan struct{}, 1),
	}
	extract := map[string]bool{}
	for _, u := range opts.Extract {
		extract[strings.TrimSpace(u)] = true
	}
	for _, u := range opts.Feeds {
		u = strings.TrimSpace(u)
		if u == "" || p.feeds[u] != nil {
			continue
		}
		f := p.loadFeed(u)
		f.st.UserAdded = false
		f.st.Extract = extract[u]
		p.register(f)
	}
	for _, u := range p.loadAdded() {
		if p.feeds[u] != nil {
			continue
		}
		f := p.loadFeed(u)
		f.st.UserAdded = true
		f.st.Extract = f.st.Extract || extract[u]
		p.register(f)
	}
	return p
}

// loadFeed restores a feed's state, or starts a fresh one.
func (p *Poller) loadFeed(feedURL string) *feed {
	f := &feed{st: feedState{URL: feedURL}}
	if p.store != nil {
		data, err := p.store.GetMeta(feedStateKey(feedURL))
		switch {
		case err == nil:
			if err := json.Unmarshal(data, &f.st); err != nil {
				p.log.Warn("Feed state is unreadable; starting afresh", "feed", logURL(feedURL), "error", err)
				f.st = feedState{URL: feedURL}
			}
		case !errors.Is(err, alerts.ErrNotFound):
			p.log.Warn("Unable to load feed state", "feed", logURL(feedURL), "error", err)
		}
	}
	f.st.URL = feedURL
	if f.st.Interval <= 0 {
		f.st.Interval = p.clampInterval(2 * p.opts.MinInterval)
	}
	if f.st.CallbackID == "" {
		// Random, so a WebSub callback cannot be guessed from the feed.
		var b [12]byte
		crand.Read(b[:])
		f.st.CallbackID = hex.EncodeToString(b[:])
	}
	f.id = f.st.CallbackID
	if u, err := url.Parse(feedURL); err == nil {
		f.host = u.Host
	}
	return f
}

func (p *Poller) loadAdded() []string {
	if p.store == nil {
		return nil
	}
	data, err := p.store.GetMeta(addedFeedsKey)
	if err != nil {
		if !errors.Is(err, alerts.ErrNotFound) {
			p.log.Warn("Unable to load the feeds added from chat", "error", err)
		}
		return nil
	}
	var urls []string
	if err := json.Unmarshal(data, &urls); err != nil {
		p.log.Warn("The list of feeds added from chat is unreadable", "error", err)
	}
	return urls
}

// register adds a feed to the catalogue and, unless disabled, the queue.
func (p *Poller) register(f *feed) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.feeds[f.st.URL] = f
	p.byID[f.id] = f
	p.order = append(p.order, f)
	if !f.st.Disabled {
		f.due = f.st.NextPoll
		heap.Push(&p.queue, f)
	}
	p.nudge()
}

func (p *Poller) nudge() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run polls the feeds until ctx is cancelled, sending new items to out.
// It returns nil once ctx is cancelled and the state is written.
func (p *Poller) Run(ctx context.Context, out chan<- alerts.Article) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("feeds: the poller is already running")
	}
	defer p.running.Store(false)
	p.mu.Lock()
	p.out, p.runCtx = out, ctx
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.out, p.runCtx = nil, nil
		p.mu.Unlock()
	}()

	jobs := make(chan *feed)
	var wg sync.WaitGroup
	for range p.opts.Workers {
		wg.Go(func() {
			for f := range jobs {
				if !p.mayPoll(f) {
					continue
				}
				host := f.host
				if !p.gateEnter(host, f) {
					continue // parked until the host has a free slot
				}
				p.pollFeed(ctx, f, out)
				p.reschedule(f)
				p.gateLeave(host)
			}
		})
	}
	flushDone := make(chan struct{})
	go func() {
		defer close(flushDone)
		t := time.NewTicker(p.opts.FlushInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.flush()
			}
		}
	}()

	p.schedule(ctx, jobs)
	close(jobs)
	wg.Wait()
	p.unparkAll()
	<-flushDone
	p.flush()
	return nil
}

// schedule hands due feeds to the workers until ctx is cancelled.
func (p *Poller) schedule(ctx context.Context, jobs chan<- *feed) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var due []*feed
		wait := time.Hour
		p.mu.Lock()
		now := p.opts.Now()
		for p.queue.Len() > 0 {
			next := p.queue[0]
			if d := next.due.Sub(now); d > 0 {
				wait = d
				break
			}
			heap.Pop(&p.queue)
			next.polling = true
			due = append(due, next)
		}
		p.mu.Unlock()
		for i, f := range due {
			select {
			case jobs <- f:
			case <-ctx.Done():
				p.mu.Lock()
				for _, f := range due[i:] {
					p.requeueLocked(f) // still due at the next Run
				}
				p.mu.Unlock()
				return
			}
		}
		if len(due) > 0 {
			continue
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-p.wake:
		}
	}
}

// reschedule puts a polled feed back in the queue for its next poll.
func (p *Poller) reschedule(f *feed) {
	f.mu.Lock()
	next, disabled := f.st.NextPoll, f.st.Disabled
	f.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	f.polling = false
	p.dirty[f] = true
	if disabled || f.inQueue || f.removed.Load() {
		return
	}
	f.due = next
	heap.Push(&p.queue, f)
	p.nudge()
}

// hostGate counts the polls under way to one host and parks the feeds
// that wait for a slot.
type hostGate struct {
	active int
	parked []*feed
}

// gateEnter takes a poll slot for host, or parks f until gateLeave frees
// one; it reports whether f may be polled now.
func (p *Poller) gateEnter(host string, f *feed) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.gates[host]
	if g == nil {
		g = &hostGate{}
		p.gates[host] = g
	}
	if g.active >= p.fetch.opts.PerHost {
		g.parked = append(g.parked, f) // f.polling stays set: not queued twice
		return false
	}
	g.active++
	return true
}

// gateLeave frees a slot and puts the first parked feed, if any, back in
// the queue as due now.
func (p *Poller) gateLeave(host string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.gates[host]
	g.active--
	if len(g.parked) > 0 {
		f := g.parked[0]
		g.parked = g.parked[1:]
		p.requeueLocked(f)
	}
	if g.active == 0 && len(g.parked) == 0 {
		delete(p.gates, host)
	}
}

// unparkAll puts parked feeds back in the queue when Run stops.
func (p *Poller) unparkAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for host, g := range p.gates {
		for _, f := range g.parked {
			p.requeueLocked(f)
		}
		delete(p.gates, host)
	}
}

// requeueLocked queues a feed that was taken off the queue as due now.
// p.mu must be held.
func (p *Poller) requeueLocked(f *feed) {
	f.polling = false
	if !f.inQueue && !f.removed.Load() {
		f.due = p.opts.Now()
		heap.Push(&p.queue, f)
		p.nudge()
	}
}

// pollSoon makes a feed due now (a re-enabled feed, a benchmark round).
func (p *Poller) pollSoon(f *feed) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f.due = p.opts.Now()
	switch {
	case f.removed.Load():
	case f.inQueue:
		heap.Fix(&p.queue, f.index)
	case !f.polling:
		heap.Push(&p.queue, f)
	}
	p.nudge()
}

// markDirty asks for a feed's state to be written at the next flush.
func (p *Poller) markDirty(f *feed) {
	p.mu.Lock()
	p.dirty[f] = true
	p.mu.Unlock()
}

// flush writes changed feed state to the store.
func (p *Poller) flush() {
	if p.store == nil {
		return
	}
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	dirty := p.dirty
	p.dirty = map[*feed]bool{}
	p.mu.Unlock()
	if bs, ok := p.store.(BatchStateStore); ok && len(dirty) > 1 {
		kv := make(map[string][]byte, len(dirty))
		for f := range dirty {
			if f.removed.Load() {
				continue // RemoveSource saved it last; a re-added feed is another *feed
			}
			if key, data, err := p.encodeFeed(f); err == nil {
				kv[key] = data
			}
		}
		if err := bs.PutMetas(kv); err != nil {
			p.log.Warn("Unable to save feed state", "feeds", len(kv), "error", err)
			p.mu.Lock()
			for f := range dirty {
				p.dirty[f] = true
			}
			p.mu.Unlock()
		}
		return
	}
	for f := range dirty {
		if f.removed.Load() {
			continue
		}
		if err := p.saveFeed(f); err != nil {
			p.log.Warn("Unable to save feed state", "feed", logURL(f.st.URL), "error", err)
			p.markDirty(f)
		}
	}
}

// BatchStateStore is a StateStore that can write many values in one
// transaction; the poller uses it when the store offers it, so thousands
// of feeds cost one disk sync per flush instead of one each.
type BatchStateStore interface {
	StateStore
	PutMetas(kv map[string][]byte) error
}

// encodeFeed marshals a feed's state and notes when it was saved.
func (p *Poller) encodeFeed(f *feed) (key string, data []byte, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err = json.Marshal(&f.st)
	f.savedAt = p.opts.Now()
	return feedStateKey(f.st.URL), data, err
}

func (p *Poller) saveFeed(f *feed) error {
	if p.store == nil {
		return nil
	}
	key, data, err := p.encodeFeed(f)
	if err != nil {
		return err
	}
	return p.store.PutMeta(key, data)
}

func (p *Poller) clampInterval(d time.Duration) time.Duration {
	return max(p.opts.MinInterval, min(p.opts.MaxInterval, d))
}

// jitter spreads d by ±frac so feeds that share a host drift apart.
func jitter(d time.Duration, frac float64) time.Duration {
	if d <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 - frac + 2*frac*rand.Float64()))
}

// PollerStats are counters since the poller was built.
type PollerStats struct {
	Polls         uint64 // fetches attempted
	NotModified   uint64 // answered 304 (or an unchanged file)
	Failures      uint64 // fetches or parses that failed
	Articles      uint64 // new items emitted
	Pushes        uint64 // WebSub notifications accepted
	BadSignatures uint64 // WebSub notifications refused for their signature
}

type pollStats struct {
	polls, notModified, failures, articles, pushes, badSignatures atomic.Uint64
	// completed counts finished polls (tests and benchmarks wait on it).
	completed atomic.Uint64
}

// Stats returns the poller's counters.
func (p *Poller) Stats() PollerStats {
	return PollerStats{
		Polls:         p.stats.polls.Load(),
		NotModified:   p.stats.notModified.Load(),
		Failures:      p.stats.failures.Load(),
		Articles:      p.stats.articles.Load(),
		Pushes:        p.stats.pushes.Load(),
		BadSignatures: p.stats.badSignatures.Load(),
	}
}

// feedQueue is a min-heap of feeds by due time.
type feedQueue []*feed

func (q feedQueue) Len() int           { return len(q) }
func (q feedQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q feedQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *feedQueue) Push(x any) {
	f := x.(*feed)
	f.index, f.inQueue = len(*q), true
	*q = append(*q, f)
}
func (q *feedQueue) Pop() any {
	old := *q
	f := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	f.index, f.inQueue = -1, false
	return f
}
