package bot

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-news/herald/alerts"
)

// QueryParser compiles a query as the matcher will read it.
type QueryParser func(q string) (alerts.Query, error)

// Limits are the operator's bounds on what chats may do.
type Limits struct {
	// SubsPerTarget caps subscriptions per chat; default 50.
	SubsPerTarget int
	// QueryLength caps a query's length in characters; default 300.
	QueryLength int
	// CommandsPerMinute caps commands per user; default 20.
	CommandsPerMinute int
	// Backlog is the number of due alerts for one target above which they
	// go out as one catch-up digest; default 10.
	Backlog int
	// EditWindow is how long after an alert its story may still edit it;
	// default 24 h.
	EditWindow time.Duration
	// Retention is how long articles and the delivery log are kept;
	// default 30 days.
	Retention time.Duration
	// ChatSources says which chats may add feeds with /sources add: nil
	// lets the admins of any group or channel, an empty map no chat, and
	// otherwise the chats in it (their admins).
	ChatSources map[alerts.TargetID]bool
	// AllowedChats, when not nil, are the only chats that may use the bot
	// (HERALD_ALLOWED_CHATS): chat IDs, Discord servers as
	// "discord:GUILD", and people as "platform:USER" for their DMs.
	AllowedChats map[alerts.TargetID]bool
}

func (l *Limits) fill() {
	if l.SubsPerTarget <= 0 {
		l.SubsPerTarget = 50
	}
	if l.QueryLength <= 0 {
		l.QueryLength = 300
	}
	if l.CommandsPerMinute <= 0 {
		l.CommandsPerMinute = 20
	}
	if l.Backlog <= 0 {
		l.Backlog = 10
	}
	if l.EditWindow <= 0 {
		l.EditWindow = 24 * time.Hour
	}
	if l.Retention <= 0 {
		l.Retention = 30 * 24 * time.Hour
	}
}

// Options wire a Bot. Store, Matcher and Parse are required.
type Options struct {
	Store   Store
	Matcher alerts.Matcher
	Parse   QueryParser
	// Clusterer assigns stories; nil makes every article its own story.
	Clusterer Clusterer
	// Summarize makes an article's summary when ingest left it empty.
	Summarize func(title, body string) string
	// Catalog backs /sources; nil says no feeds are configured.
	Catalog Catalog
	Senders []Sender
	Limits  Limits
	// Rates sets the send budgets per platform; zero values take
	// DefaultRates.
	Rates   map[alerts.Platform]Rate
	Log     *slog.Logger
	Metrics *Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Bot runs the pipeline, the commands and the delivery scheduler.
type Bot struct {
	store     Store
	matcher   alerts.Matcher
	parse     QueryParser
	cluster   Clusterer
	summarize func(title, body string) string
	catalog   Catalog
	senders   map[alerts.Platform]Sender
	// pacers pace each platform, for alerts and command replies alike.
	pacers  map[alerts.Platform]*pacer
	limits  Limits
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time
	// started is when the bot was built: a chat first seen within its
	// pacing interval of it may have been sent to by the last process.
	started time.Time

	ingestMu sync.Mutex // one article through the pipeline at a time
	subs     *subTable
	wake     chan struct{}
	// sched is the running scheduler, told of what ingest commits.
	sched    atomic.Pointer[scheduler]
	cmdRate  *userRate
	refused  *refusedChats
	commands commandIndex
}

// New builds a Bot. Call Load before Run so the matcher knows the stored
// subscriptions.
func New(o Options) (*Bot, error) {
	if o.Store == nil || o.Matcher == nil || o.Parse == nil {
		return nil, errors.New("bot: Store, Matcher and Parse are required")
	}
	o.Limits.fill()
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Clusterer == nil {
		o.Clusterer = soloStories{}
	}
	if o.Summarize == nil {
		o.Summarize = leadSummary
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	b := &Bot{
		store: o.Store, matcher: o.Matcher, parse: o.Parse, cluster: o.Clusterer,
		summarize: o.Summarize, catalog: o.Catalog, limits: o.Limits, log: o.Log,
		metrics: o.Metrics, now: o.Now, senders: map[alerts.Platform]Sender{},
		pacers: map[alerts.Platform]*pacer{}, wake: make(chan struct{}, 1), started: o.Now(),
		subs: newSubTable(),
	}
	b.cmdRate = newUserRate(o.Limits.CommandsPerMinute, o.Now)
	b.refused = newRefusedChats(10000)
	b.commands = newCommandIndex(commandTable())
	for _, s := range o.Senders {
		b.senders[s.Platform()] = s
		b.metrics.start(s.Platform())
	}
	for p := range b.senders {
		r, ok := o.Rates[p]
		if !ok {
			r = DefaultRates(p)
		}
		b.pacers[p] = newPacer(r, o.Now)
	}
	return b, nil
}

// Load indexes every stored subscription. A stored query the matcher can
// no longer read is logged and skipped, not fatal. A matcher that loads in
// bulk (match.Index.LoadSeq) gets the subscriptions streamed from the
// store as they are read.
func (b *Bot) Load() (int, error) {
	bulk, ok := b.matcher.(bulkLoader)
	if !ok {
		n := 0
		err := b.store.ForEachSubscription(func(s alerts.Subscription) error {
			if err := b.matcher.Add(s); err != nil {
				b.log.Warn("Stored subscription no longer parses; skipped", "sub", s.ID, "target", s.Target, "err", err)
				return nil
			}
			b.setSub(s)
			n++
			return nil
		})
		return n, err
	}
	var err error
	n := 0
	bulk.LoadSeq(func(yield func(uint64, string) bool) {
		err = b.store.ForEachSubscription(func(s alerts.Subscription) error {
			b.setSub(s)
			n++
			if !yield(s.ID, s.Query) {
				return errStopLoad
			}
			return nil
		})
	}, func(id uint64, lerr error) {
		si, _ := b.subInfo(id)
		b.log.Warn("Stored subscription no longer parses; skipped", "sub", id, "target", si.Target, "err", lerr)
		b.dropSub(id)
		n--
	})
	if errors.Is(err, errStopLoad) {
		err = nil
	}
	return n, err
}

// bulkLoader is a matcher that takes many subscriptions at once, faster
// than one Add each.
type bulkLoader interface {
	LoadSeq(subs iter.Seq2[uint64, string], skipped func(id uint64, err error))
}

var errStopLoad = errors.New("load stopped")

// Run consumes articles and runs the delivery scheduler until ctx ends.
// Articles already handed over are not lost at shutdown: Run keeps
// ingesting from in until the producer closes it (it should once it has
// stopped), waiting at most DrainGrace for that.
func (b *Bot) Run(ctx context.Context, in <-chan alerts.Article) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.runScheduler(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.runMaintenance(ctx)
	}()
	defer wg.Wait()
	ingest := func(ictx context.Context, a alerts.Article) {
		// An article the store could not take (a full disk) is held and
		// tried again while Herald runs: the feed that brought it counts
		// it as seen, and would not bring it again. Meanwhile the feeds
		// wait on the channel.
		for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
			_, _, err := b.Ingest(ictx, a)
			var invalid invalidArticle
			if err == nil || errors.As(err, &invalid) || !waitOrDone(ctx, wait) {
				if err != nil {
					b.log.Error("Article not ingested", "title", a.Title, "url", a.URL, "err", err)
				} else if wait > time.Second {
					b.log.Info("Article stored after the store failed", "title", a.Title, "url", a.URL)
				}
				return
			}
			if wait == time.Second {
				b.log.Warn("Article not stored; holding it and trying again", "title", a.Title, "url", a.URL, "err", err)
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			b.drainArticles(in, ingest)
			return nil
		case a, ok := <-in:
			if !ok {
				in = nil
				continue
			}
			ingest(ctx, a)
		}
	}
}

// DrainGrace bounds how long Run waits at shutdown for the article
// producer to close its channel.
const DrainGrace = 3 * time.Second

func (b *Bot) drainArticles(in <-chan alerts.Article, ingest func(context.Context, alerts.Article)) {
	if in == nil {
		return
	}
	ctx := context.Background() // the commit must finish: these were handed over
	deadline := time.NewTimer(DrainGrace)
	defer deadline.Stop()
	n := 0
	for {
		select {
		case a, ok := <-in:
			if !ok {
				if n > 0 {
					b.log.Info("Ingested articles handed over during shutdown", "count", n)
				}
				return
			}
			ingest(ctx, a)
			n++
		case <-deadline.C:
			// The producer did not close in time; keep what is buffered.
			for {
				select {
				case a, ok := <-in:
					if !ok {
						return
					}
					ingest(ctx, a)
				default:
					return
				}
			}
		}
	}
}

// IngestResult says what became of an ingested article.
type IngestResult int

// The outcomes of Ingest.
const (
	// Ingested is a new article; Alerts planned may be zero.
	Ingested IngestResult = iota
	// Duplicate is an article seen before: nothing raised.
	Duplicate
	// Updated is a seen article whose headline changed: stored, nothing raised.
	Updated
)

// Ingest runs one article through dedupe, story, match and plan, and commits
// it with its deliveries. It returns the article's ID. Safe for concurrent
// use: articles go through one at a time.
func (b *Bot) Ingest(ctx context.Context, a alerts.Article) (string, IngestResult, error) {
	if strings.TrimSpace(a.Title) == "" && strings.TrimSpace(a.Body) == "" {
		return "", Ingested, invalidArticle("article has neither title nor body")
	}
	if a.ID == "" {
		return "", Ingested, invalidArticle("article has no ID: adapters must clean articles before ingest")
	}
	// The article's clock (herald_ingest_to_send_seconds) starts when it
	// arrived: adapters stamp Ingested then; otherwise now, before waiting
	// for the articles ahead of it.
	if a.Ingested.IsZero() {
		a.Ingested = b.now()
	}
	b.ingestMu.Lock()
	defer b.ingestMu.Unlock()
	now := b.now()
	b.metrics.articles.Inc()
	prev, seen, err := b.store.Seen(&a)
	if err != nil {
		return "", Ingested, fmt.Errorf("dedupe: %w", err)
	}
	if seen {
		if prev.ID == a.ID && prev.Title != a.Title && a.Title != "" {
			a.Ingested, a.StoryID, a.Summary = prev.Ingested, prev.StoryID, prev.Summary
			story, _ := b.store.GetStory(prev.StoryID)
			if err := b.store.Commit(a, story, nil); err != nil {
				return "", Ingested, err
			}
			return a.ID, Updated, nil
		}
		b.metrics.duplicates.Inc()
		return prev.ID, Duplicate, nil
	}
	if a.Summary == "" {
		a.Summary = b.summarize(a.Title, a.Body)
	}
	story, joined := b.cluster.Assign(&a)
	a.StoryID = story.ID
	planned, err := b.plan(&a, story, joined, now)
	if err != nil {
		return "", Ingested, err
	}
	if err := b.store.Commit(a, story, planned); err != nil {
		return "", Ingested, err
	}
	for _, d := range planned {
		b.metrics.planned.WithLabelValues(string(d.Target.Platform())).Inc()
	}
	b.queued(planned)
	return a.ID, Ingested, nil
}

// waitOrDone waits d, or less when ctx ends first; it reports whether ctx
// is still live.
func waitOrDone(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// invalidArticle is why Ingest refuses an article for what it is, which no
// retry changes (unlike a store that failed to write it).
type invalidArticle string

func (e invalidArticle) Error() string { return string(e) }

// Wake makes the scheduler read every waiting target's queue head again.
func (b *Bot) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// soloStories makes every article its own story.
type soloStories struct{}

func (soloStories) Assign(a *alerts.Article) (alerts.Story, bool) {
	src := a.Outlet
	if src == "" {
		src = a.Source
	}
	return alerts.Story{ID: a.ID, FirstArticle: a.ID, Title: a.Title, Sources: []string{src},
		Created: a.Ingested, Updated: a.Ingested}, false
}

// leadSummary is the fallback summary: the first sentences up to ~300
// characters.
func leadSummary(title, body string) string {
	body = strings.Join(strings.Fields(body), " ")
	const max = 300
	if len([]rune(body)) <= max {
		return body
	}
	r := []rune(body)[:max]
	s := string(r)
	if i := strings.LastIndexAny(s, ".!?"); i > max/3 {
		return s[:i+1]
	}
	if i := strings.LastIndex(s, " "); i > 0 {
		s = s[:i]
	}
	return s + "…"
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
