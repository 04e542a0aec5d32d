package bot

import (
	"context"
	"errors"
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
	// Share is this process's part of the send budgets and Owns the
	// targets it sends to (cluster mode, see cluster.go); nil means all of
	// them.
	Share Share
	Owns  Owns
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
	// owns says which targets this process sends to (cluster mode).
	owns Owns

	pipe pipeline // see ingest.go
	subs *subTable
	wake chan struct{}
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
		metrics: o.Metrics, now: o.Now, owns: o.Owns, senders: map[alerts.Platform]Sender{},
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
		pc := newPacer(r, o.Now)
		if o.Share != nil {
			pc.share = func() float64 { return o.Share(p) }
		}
		b.pacers[p] = pc
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
	feed := newFeedIngest(b, func(ictx context.Context, a alerts.Article, turn uint64) {
		b.ingestHeld(ctx, ictx, a, turn)
	})
	defer feed.wait()
	for {
		select {
		case <-ctx.Done():
			b.drainArticles(in, feed.add)
			return nil
		case a, ok := <-in:
			if !ok {
				in = nil
				continue
			}
			feed.add(ctx, a)
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
