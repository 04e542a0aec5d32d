package feeds

import (
	"container/heap"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
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
	// MaxItems is how many items of one document are read: the newest
	// [DefaultMaxItems]. A feed of 300,000 items costs what 1,000 do.
	MaxItems int
	// FloodCap is how many new items one poll of one feed may emit [100].
	// A poll with more (a feed that changed every GUID, an archive
	// republished undated) emits none: its items become the feed's new
	// baseline, and /sources and the metrics say so.
	FloodCap int
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
	if o.MaxItems <= 0 {
		o.MaxItems = DefaultMaxItems
	}
	if o.FloodCap <= 0 {
		o.FloodCap = 100
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
