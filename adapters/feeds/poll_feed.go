package feeds

import (
	"context"
	"errors"
	"hash/fnv"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-news/herald/alerts"
)

// feed is one polled feed: its persisted state and its place in the queue.
type feed struct {
	id   string // WebSub callback ID
	host string // host[:port] of the feed's URL, for the per-host limit

	// Guarded by Poller.mu.
	due     time.Time
	index   int
	inQueue bool
	polling bool
	// removed is set when the feed leaves the catalogue: it is never
	// queued, emitted from or saved again. Atomic, as the WebSub handler
	// reads it holding f.mu (and p.mu is taken before f.mu).
	removed atomic.Bool

	mu sync.Mutex // guards st and lastLogged
	st feedState
	// lastLogged is the last error logged, so a feed failing the same way
	// is logged once, not at every poll.
	lastLogged string
	// savedAt is when the state was last written.
	savedAt time.Time
	// foreign is set while another process polls the feed (cluster
	// mode): its state here is stale until read again.
	foreign bool
}

// saveEvery is how often the state of a feed that answers 304 is written.
const saveEvery = time.Hour

// feedState is what is kept of a feed across restarts, as JSON under
// "feed:<url>".
type feedState struct {
	URL       string `json:"url"`
	Title     string `json:"title,omitempty"`
	UserAdded bool   `json:"user_added,omitempty"`
	// AddedBy is the chat that added a user-added feed; only it may
	// remove it.
	AddedBy alerts.TargetID `json:"added_by,omitempty"`
	Extract bool            `json:"extract,omitempty"`

	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`

	Failures     int       `json:"failures,omitempty"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	LastOK       time.Time `json:"last_ok,omitzero"`
	Disabled     bool      `json:"disabled,omitempty"`

	Interval time.Duration `json:"interval,omitempty"`
	NextPoll time.Time     `json:"next_poll,omitzero"`

	// Baselined is set once the first successful fetch remembered the
	// backlog without emitting it.
	Baselined bool `json:"baselined,omitempty"`
	// Seen holds hashes of the items seen lately, oldest first, bounded.
	Seen []uint64 `json:"seen,omitempty"`

	// WebSub subscription. CallbackID names the callback URL.
	CallbackID string    `json:"callback_id,omitempty"`
	Hub        string    `json:"hub,omitempty"`
	Topic      string    `json:"topic,omitempty"`
	Secret     string    `json:"secret,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// SubscribeAsked is when we last asked the hub, to not ask again
	// before the hub had time to verify.
	SubscribeAsked time.Time `json:"subscribe_asked,omitzero"`
}

const (
	minSeen = 250
	maxSeen = 2000
)

// pollFeed fetches one feed and emits its new items.
func (p *Poller) pollFeed(ctx context.Context, f *feed, out chan<- alerts.Article) {
	f.mu.Lock()
	feedURL, etag, lm := f.st.URL, f.st.ETag, f.st.LastModified
	guarded := f.st.UserAdded && !p.opts.AllowPrivate
	f.mu.Unlock()

	p.stats.polls.Add(1)
	defer p.stats.completed.Add(1)
	res, err := p.fetch.fetch(ctx, feedURL, etag, lm, guarded)
	if ctx.Err() != nil || f.removed.Load() {
		return // shutting down (not the feed's fault), or removed meanwhile
	}
	if err != nil {
		p.failed(f, err)
		p.markDirty(f)
		return
	}
	if res.NotModified {
		p.stats.notModified.Add(1)
		if p.succeeded(f, res, nil, 0) {
			p.markDirty(f)
		}
		return
	}
	defer p.markDirty(f)
	pf, err := parseFeedDoc(res.Body, feedURL)
	if err != nil {
		p.failed(f, err)
		return
	}
	fresh := p.ingest(f, pf)
	p.succeeded(f, res, pf, len(fresh))
	p.emit(ctx, f, fresh, out)
	p.maybeSubscribe(ctx, f, pf, res, guarded)
}

// ingest records the items of a parsed feed as seen and returns those not
// seen before, oldest first. The first successful fetch of a feed only
// records: its backlog is not news.
func (p *Poller) ingest(f *feed, pf *parsedFeed) []alerts.Article {
	f.mu.Lock()
	defer f.mu.Unlock()
	if pf.Title != "" {
		f.st.Title = pf.Title
	}
	known := make(map[uint64]bool, len(f.st.Seen))
	for _, h := range f.st.Seen {
		known[h] = true
	}
	var fresh []alerts.Article
	current := make([]uint64, 0, len(pf.Items))
	inFeed := make(map[uint64]bool, len(pf.Items))
	for _, a := range pf.Items {
		h := itemKey(a)
		if inFeed[h] {
			continue
		}
		inFeed[h] = true
		current = append(current, h)
		if !known[h] {
			fresh = append(fresh, a)
		}
	}
	// Keep the older memory, then the current items (newest last), so
	// items still in the feed are never forgotten.
	seen := make([]uint64, 0, len(f.st.Seen)+len(current))
	for _, h := range f.st.Seen {
		if !inFeed[h] {
			seen = append(seen, h)
		}
	}
	for i := len(current) - 1; i >= 0; i-- {
		seen = append(seen, current[i])
	}
	// Never below the feed's own size: forgetting an item still in the
	// feed would emit it again.
	limit := max(min(maxSeen, max(minSeen, 3*len(current))), len(current))
	if len(seen) > limit {
		seen = append([]uint64(nil), seen[len(seen)-limit:]...)
	}
	f.st.Seen = seen
	if !f.st.Baselined {
		f.st.Baselined = true
		return nil
	}
	fresh = p.dropBacklog(f, fresh)
	// Feeds list newest first; emit oldest first.
	for i, j := 0, len(fresh)-1; i < j; i, j = i+1, j-1 {
		fresh[i], fresh[j] = fresh[j], fresh[i]
	}
	return fresh
}

// backlogSlack is how long before the last good fetch an item may have
// been published and still be news when it first shows up (feeds publish
// late, and clocks differ).
const backlogSlack = 24 * time.Hour

// backlogMin is how many new items at once make dropBacklog look at dates.
const backlogMin = 3

// dropBacklog keeps back items that are new to us but were published well
// before the last good fetch: they were in the feed then under another
// identity (a feed that changed its GUIDs or links), or are an archive
// being republished. Either way they are not news, and sending them would
// flood subscribers. f.mu must be held.
//
// One or two such items pass: a feed with a wrong date on a real new item
// should not lose it; a flood is what this stops.
func (p *Poller) dropBacklog(f *feed, fresh []alerts.Article) []alerts.Article {
	if f.st.LastOK.IsZero() || len(fresh) < backlogMin {
		return fresh
	}
	cutoff := f.st.LastOK.Add(-backlogSlack)
	kept := fresh[:0]
	for _, a := range fresh {
		if !a.Published.IsZero() && a.Published.Before(cutoff) {
			continue
		}
		kept = append(kept, a)
	}
	if n := len(fresh) - len(kept); n > 0 {
		p.log.Info("Feed items published long before the last poll were skipped as backlog",
			"feed", logURL(f.st.URL), "skipped", n, "last_ok", f.st.LastOK)
	}
	return kept
}

// itemKey identifies an item within its feed: its GUID, else its link,
// else its title and text.
func itemKey(a alerts.Article) uint64 {
	h := fnv.New64a()
	switch {
	case a.GUID != "":
		h.Write([]byte("g\x00" + a.GUID))
	case a.URL != "":
		h.Write([]byte("u\x00" + a.URL))
	default:
		h.Write([]byte("c\x00" + a.Title + "\x00" + a.Body))
	}
	return h.Sum64()
}

// emit sends new articles, fetching pages for teasers when the feed asks.
// Articles it could not send (shutting down) are forgotten again, so the
// next poll, after a restart, brings them: no item is marked seen without
// having gone out.
func (p *Poller) emit(ctx context.Context, f *feed, fresh []alerts.Article, out chan<- alerts.Article) {
	if len(fresh) == 0 {
		return
	}
	if out == nil {
		p.forget(f, fresh)
		return
	}
	f.mu.Lock()
	extract, guarded := f.st.Extract, f.st.UserAdded && !p.opts.AllowPrivate
	f.mu.Unlock()
	for len(fresh) > 0 {
		if f.removed.Load() {
			return // removed while its items went out: the rest stay unsent
		}
		a := fresh[0]
		if extract {
			a = p.extractArticle(ctx, a, guarded)
		}
		if a.Ingested.IsZero() {
			a.Ingested = p.opts.Now().UTC()
		}
		select {
		case out <- a:
			p.stats.articles.Add(1)
			fresh = fresh[1:]
		case <-ctx.Done():
			p.forget(f, fresh)
			return
		}
	}
}

// forget removes items from the feed's memory, so they count as new.
func (p *Poller) forget(f *feed, items []alerts.Article) {
	drop := make(map[uint64]bool, len(items))
	for _, a := range items {
		drop[itemKey(a)] = true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	kept := f.st.Seen[:0:0]
	for _, h := range f.st.Seen {
		if !drop[h] {
			kept = append(kept, h)
		}
	}
	f.st.Seen = kept
}

// succeeded records a good fetch and plans the next one: sooner when the
// feed had news, later when it had none, never sooner than the server's
// max-age allows (within the operator's bounds). It reports whether the
// state changed enough to be written: an unchanged feed is written at most
// every saveEvery, since each write is a disk sync.
func (p *Poller) succeeded(f *feed, res *fetchResult, pf *parsedFeed, fresh int) (save bool) {
	now := p.opts.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	save = pf != nil || f.st.Failures > 0 || f.st.ETag != res.ETag || f.st.LastModified != res.LastModified ||
		now.Sub(f.savedAt) >= saveEvery
	if f.st.Failures > 0 {
		p.log.Info("Feed recovered", "feed", logURL(f.st.URL), "failures", f.st.Failures)
	}
	f.st.ETag, f.st.LastModified = res.ETag, res.LastModified
	f.st.Failures, f.st.FailingSince, f.st.LastError = 0, time.Time{}, ""
	f.st.LastOK = now
	f.lastLogged = ""
	switch {
	case fresh > 0:
		f.st.Interval = p.clampInterval(f.st.Interval / 2)
	case pf == nil || fresh == 0:
		f.st.Interval = p.clampInterval(f.st.Interval * 5 / 4)
	}
	wait := f.st.Interval
	if res.MaxAge > wait {
		wait = p.clampInterval(res.MaxAge)
	}
	f.st.NextPoll = now.Add(jitter(wait, 0.1))
	return save
}

// failed records a failed fetch: exponential backoff with jitter, the
// server's Retry-After if longer, and after DisableAfter of failing the
// feed is disabled.
func (p *Poller) failed(f *feed, err error) {
	p.stats.failures.Add(1)
	now := p.opts.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st.Failures++
	if f.st.FailingSince.IsZero() {
		f.st.FailingSince = now
	}
	f.st.LastError = err.Error()
	if now.Sub(f.st.FailingSince) >= p.opts.DisableAfter {
		f.st.Disabled = true
		p.log.Warn("Feed disabled after failing too long", "feed", logURL(f.st.URL),
			"failing_since", f.st.FailingSince, "error", f.st.LastError)
		return
	}
	backoff := p.opts.MinInterval << min(f.st.Failures-1, 16)
	backoff = min(backoff, 4*p.opts.MaxInterval)
	wait := jitter(backoff, 0.25)
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > wait {
		wait = min(se.RetryAfter, 24*time.Hour)
	}
	f.st.NextPoll = now.Add(wait)
	if f.lastLogged != f.st.LastError {
		f.lastLogged = f.st.LastError
		p.log.Warn("Feed failed", "feed", logURL(f.st.URL), "failures", f.st.Failures, "next_poll", f.st.NextPoll, "error", err)
	}
}

// logURL is a feed address fit for a log line: a password in it is masked.
func logURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
