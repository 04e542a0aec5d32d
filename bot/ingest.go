package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-news/herald/alerts"
)

// The ingest pipeline. Ingest is called from many goroutines at once (the
// HTTP handlers of pushed articles, Run's workers for feed items), and an
// article goes through three stages:
//
//  1. Prepare, in the caller's goroutine, beside other articles: the
//     summary, the matcher, the chats its matches reach (subscriptions and
//     targets), and the story's reading of the article (StoryPreparer).
//     None of it depends on the articles before it, so it runs on every
//     core.
//  2. Order, one article at a time, in the order the articles arrived:
//     dedupe against every article before it (stored, or still being
//     committed), the story, and the deliveries (whose keys are the
//     story's). It reads the store at most twice, so it stays short.
//  3. Commit: the articles ordered while the last commit was being written
//     go to the store together, in order (Articles.CommitAll): a commit
//     costs two disk flushes whatever it holds. Each caller waits for its
//     own article's commit, so an article is acknowledged (and the
//     scheduler told of its deliveries) only once it is durable; until
//     then a later copy of it waits for it rather than being judged
//     against the store alone.

// maxCommitBatch bounds the articles of one CommitAll.
const maxCommitBatch = 256

// feedConcurrency bounds the feed articles Run has in the pipeline at once:
// enough to fill a commit, few enough to bound their memory.
const feedConcurrency = 128

// pipeline is the ingest pipeline's shared state.
type pipeline struct {
	turns turnstile

	mu sync.Mutex
	// inflight holds the dedupe keys (see dedupeKeys) of the articles
	// ordered and not yet committed.
	inflight map[string]*pending
	queue    []*pending // ordered, waiting for the next commit
	running  bool       // a commit loop is running
	// commits counts the commits done; prepare notes it before reading
	// the store, so the order stage knows whether its read is still
	// current.
	commits atomic.Uint64
}

// pending is one article ordered and on its way to the store.
type pending struct {
	c      alerts.ArticleCommit
	keys   []string
	result IngestResult
	done   chan struct{} // closed once committed or failed
	err    error
}

// prepared is what the prepare stage found out about an article.
type prepared struct {
	commits uint64 // pipeline.commits before the store was read
	seen    bool
	prev    alerts.Article
	reach   reach
	matched bool // reach is filled
	// assign assigns the story, in turn: the Clusterer's own Assign, or
	// what its Prepare returned.
	assign func() (alerts.Story, bool)
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
// it with its deliveries. It returns the article's ID once the commit is
// durable. Safe for concurrent use: articles are prepared side by side,
// ordered in the order Ingest was called, and committed together.
func (b *Bot) Ingest(ctx context.Context, a alerts.Article) (string, IngestResult, error) {
	return b.ingest(ctx, a, b.pipe.turns.take())
}

// ingest is Ingest for an article that already has its place in line.
func (b *Bot) ingest(ctx context.Context, a alerts.Article, turn uint64) (string, IngestResult, error) {
	if strings.TrimSpace(a.Title) == "" && strings.TrimSpace(a.Body) == "" {
		b.pipe.turns.pass(turn)
		return "", Ingested, invalidArticle("article has neither title nor body")
	}
	if a.ID == "" {
		b.pipe.turns.pass(turn)
		return "", Ingested, invalidArticle("article has no ID: adapters must clean articles before ingest")
	}
	// The article's clock (herald_ingest_to_send_seconds) starts when it
	// arrived: adapters stamp Ingested then; otherwise now, before waiting
	// for the articles ahead of it.
	if a.Ingested.IsZero() {
		a.Ingested = b.now()
	}
	b.metrics.articles.Inc()
	for {
		now := b.now()
		t0 := time.Now() // stages are timed on the wall clock, not b.now
		prep, err := b.prepare(&a, now)
		t1 := time.Now()
		b.pipe.turns.wait(turn)
		t2 := time.Now()
		var p, before *pending
		var id string
		var res IngestResult
		if err == nil {
			p, before, id, res, err = b.order(&a, prep, now)
		}
		b.pipe.turns.pass(turn)
		t3 := time.Now()
		b.metrics.stagePrepare.Observe(t1.Sub(t0).Seconds())
		b.metrics.stageTurn.Observe(t2.Sub(t1).Seconds())
		b.metrics.stageOrder.Observe(t3.Sub(t2).Seconds())
		switch {
		case err != nil:
			return "", Ingested, err
		case before != nil:
			// The same article is being committed: once it is stored
			// (or failed, and this one takes its place), go again.
			<-before.done
			turn = b.pipe.turns.take()
			continue
		case p == nil:
			return id, res, nil
		}
		<-p.done
		b.metrics.stageCommit.Observe(time.Since(t3).Seconds())
		return p.c.Article.ID, p.result, p.err
	}
}

// prepare is the first stage: what does not depend on the articles before
// a. An article the store has seen is not matched.
func (b *Bot) prepare(a *alerts.Article, now time.Time) (prepared, error) {
	p := prepared{commits: b.pipe.commits.Load()}
	var err error
	p.prev, p.seen, err = b.store.Seen(a)
	if err != nil {
		return p, fmt.Errorf("dedupe: %w", err)
	}
	if p.seen {
		return p, nil
	}
	p.reach, err = b.reach(a, now)
	p.matched = err == nil
	if p.matched && len(p.reach.targets) > 0 && a.Summary == "" {
		// Only an article that reaches a chat is shown, and summarising
		// costs more than cleaning: the stored article carries it.
		a.Summary = b.summarize(a.Title, a.Body)
	}
	if sp, ok := b.cluster.(StoryPreparer); ok {
		p.assign = sp.Prepare(a)
	} else {
		p.assign = func() (alerts.Story, bool) { return b.cluster.Assign(a) }
	}
	return p, err
}

// order is the second stage, run in turn: dedupe, story and plan, and the
// article queued for the commit. It returns the article's pending commit;
// or before, the pending commit of the same article ingested just before
// (wait for it and go again); or neither, with the stored article's ID and
// Duplicate.
func (b *Bot) order(a *alerts.Article, prep prepared, now time.Time) (p, before *pending, id string, res IngestResult, err error) {
	keys := dedupeKeys(a)
	b.pipe.mu.Lock()
	for _, k := range keys {
		if before = b.pipe.inflight[k]; before != nil {
			break
		}
	}
	b.pipe.mu.Unlock()
	if before != nil {
		return nil, before, "", Ingested, nil
	}
	prev, seen := prep.prev, prep.seen
	if !seen && b.pipe.commits.Load() != prep.commits {
		// Articles were committed since prepare read the store.
		if prev, seen, err = b.store.Seen(a); err != nil {
			return nil, nil, "", Ingested, fmt.Errorf("dedupe: %w", err)
		}
	}
	if seen {
		if prev.ID == a.ID && prev.Title != a.Title && a.Title != "" {
			a.Ingested, a.StoryID, a.Summary = prev.Ingested, prev.StoryID, prev.Summary
			// The story stays as it is: a copy read here could be older
			// than one still on its way to the store, and would undo it.
			return b.queueCommit(alerts.ArticleCommit{Article: *a}, keys, Updated), nil, "", Updated, nil
		}
		b.metrics.duplicates.Inc()
		return nil, nil, prev.ID, Duplicate, nil
	}
	if !prep.matched {
		// The store had it when prepare looked, and forgot it since.
		if prep, err = b.prepare(a, now); err != nil {
			return nil, nil, "", Ingested, err
		}
	}
	story, joined := prep.assign()
	a.StoryID = story.ID
	planned, err := b.plan(a, story, joined, prep.reach, now)
	if err != nil {
		return nil, nil, "", Ingested, err
	}
	return b.queueCommit(alerts.ArticleCommit{Article: *a, Story: story, Planned: planned}, keys, Ingested), nil, "", Ingested, nil
}

// dedupeKeys are the keys under which Articles.Seen finds an article: its
// ID, GUID, canonical URL and content hash, each in its own namespace.
func dedupeKeys(a *alerts.Article) []string {
	keys := []string{"i:" + a.ID}
	if k := alerts.GUIDKey(a); k != "" {
		keys = append(keys, k)
	}
	if a.URL != "" {
		keys = append(keys, "u:"+a.URL)
	}
	if a.ContentHash != "" {
		keys = append(keys, "h:"+a.ContentHash)
	}
	return keys
}

// queueCommit puts an ordered article in line for the commit and makes it
// findable by later copies until then. Called in turn.
func (b *Bot) queueCommit(c alerts.ArticleCommit, keys []string, res IngestResult) *pending {
	p := &pending{c: c, keys: keys, result: res, done: make(chan struct{})}
	pl := &b.pipe
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.inflight == nil {
		pl.inflight = map[string]*pending{}
	}
	for _, k := range keys {
		if pl.inflight[k] == nil {
			pl.inflight[k] = p
		}
	}
	pl.queue = append(pl.queue, p)
	if !pl.running {
		pl.running = true
		go b.commitLoop()
	}
	return p
}

// commitLoop commits what is queued, in order, a batch at a time, until
// the queue is empty: a lone article commits at once; articles ordered
// while a commit is being written go together in the next.
func (b *Bot) commitLoop() {
	pl := &b.pipe
	for {
		pl.mu.Lock()
		n := min(len(pl.queue), maxCommitBatch)
		if n == 0 {
			pl.running = false
			pl.mu.Unlock()
			return
		}
		batch := pl.queue[:n:n]
		pl.queue = pl.queue[n:]
		if len(pl.queue) == 0 {
			pl.queue = nil
		}
		pl.mu.Unlock()

		cs := make([]alerts.ArticleCommit, len(batch))
		for i, p := range batch {
			cs[i] = p.c
		}
		start := time.Now()
		errs := b.store.CommitAll(cs)
		b.metrics.commitSeconds.Observe(time.Since(start).Seconds())
		b.metrics.commitArticles.Observe(float64(len(cs)))
		pl.commits.Add(1) // before the keys go: see order
		pl.mu.Lock()
		for i, p := range batch {
			p.err = errs[i]
			for _, k := range p.keys {
				if pl.inflight[k] == p {
					delete(pl.inflight, k)
				}
			}
		}
		pl.mu.Unlock()
		for _, p := range batch {
			if p.err == nil {
				for _, d := range p.c.Planned {
					b.metrics.planned.WithLabelValues(string(d.Target.Platform())).Inc()
				}
				b.queued(p.c.Planned)
			}
			close(p.done)
		}
	}
}

// turnstile lets holders of numbered tickets through one at a time, in the
// order the tickets were taken. Every ticket taken must be passed.
type turnstile struct {
	mu      sync.Mutex
	next    uint64 // the next ticket to hand out
	serving uint64 // the ticket whose turn it is
	waiting map[uint64]chan struct{}
}

// take hands out the next ticket.
func (t *turnstile) take() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.next
	t.next++
	return n
}

// wait returns when it is ticket n's turn.
func (t *turnstile) wait(n uint64) {
	t.mu.Lock()
	if t.serving == n {
		t.mu.Unlock()
		return
	}
	if t.waiting == nil {
		t.waiting = map[uint64]chan struct{}{}
	}
	ch := make(chan struct{})
	t.waiting[n] = ch
	t.mu.Unlock()
	<-ch
}

// pass ends ticket n's turn (waiting for it first if it has not come).
func (t *turnstile) pass(n uint64) {
	t.wait(n)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.serving = n + 1
	if ch, ok := t.waiting[n+1]; ok {
		delete(t.waiting, n+1)
		close(ch)
	}
}

// feedIngest runs the articles Run receives through the pipeline several
// at a time, so that they share commits, each in the order it was received.
type feedIngest struct {
	b      *Bot
	ingest func(ctx context.Context, a alerts.Article, turn uint64)
	slots  chan struct{}
	wg     sync.WaitGroup
}

func newFeedIngest(b *Bot, ingest func(ctx context.Context, a alerts.Article, turn uint64)) *feedIngest {
	return &feedIngest{b: b, ingest: ingest, slots: make(chan struct{}, feedConcurrency)}
}

// add takes the article's place in line and ingests it in the
// background, once fewer than feedConcurrency are under way.
func (f *feedIngest) add(ctx context.Context, a alerts.Article) {
	f.slots <- struct{}{}
	turn := f.b.pipe.turns.take()
	f.wg.Add(1)
	go func() {
		defer func() { <-f.slots; f.wg.Done() }()
		f.ingest(ctx, a, turn)
	}()
}

// wait returns once every article added is ingested.
func (f *feedIngest) wait() { f.wg.Wait() }

// ingestHeld ingests an article from Run's feeds. One the store could not
// take (a full disk) is held and tried again, with a new place in line,
// until runCtx ends: the feed that brought it counts it as seen, and would
// not bring it again. Meanwhile it keeps its feed slot, so once every slot
// is held the feeds wait.
func (b *Bot) ingestHeld(runCtx, ctx context.Context, a alerts.Article, turn uint64) {
	for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
		_, _, err := b.ingest(ctx, a, turn)
		var invalid invalidArticle
		if err == nil || errors.As(err, &invalid) || !waitOrDone(runCtx, wait) {
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
		turn = b.pipe.turns.take()
	}
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
