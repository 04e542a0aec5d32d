package feeds

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// pollFeed fetches one feed and emits its new items. release frees the
// feed's host slot, taken by the worker: it is freed once the document is
// read, before the items go out (a page fetched for extraction takes a
// slot of its own).
func (p *Poller) pollFeed(ctx context.Context, f *feed, out chan<- alerts.Article, release func()) {
	defer release()
	f.mu.Lock()
	feedURL, etag, lm := f.st.URL, f.st.ETag, f.st.LastModified
	guarded := f.st.UserAdded && !p.opts.AllowPrivate
	f.mu.Unlock()

	p.stats.polls.Add(1)
	defer p.stats.completed.Add(1)
	var pf *parsedFeed
	res, err := p.fetch.fetch(ctx, fetchRequest{URL: feedURL, ETag: etag, LastModified: lm, Guarded: guarded, HostHeld: true},
		func(res *fetchResult, body io.Reader) (err error) {
			pf, err = p.parse(ctx, body, res, feedURL)
			return err
		})
	release()
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
	fresh := p.ingest(f, pf)
	p.succeeded(f, res, pf, len(fresh))
	p.emit(ctx, f, fresh, out)
	p.maybeSubscribe(ctx, f, pf, res, guarded)
}

// parse reads a fetched feed document.
func (p *Poller) parse(ctx context.Context, body io.Reader, res *fetchResult, feedURL string) (*parsedFeed, error) {
	pf, err := parseFeedDoc(ctx, body, docMeta{ContentType: res.ContentType, FeedURL: feedURL, ContentLocation: res.ContentLocation}, p.opts.MaxItems)
	if err != nil {
		return nil, err
	}
	if len(pf.Damage) > 0 {
		p.log.Debug("Feed read past damage", "feed", logURL(feedURL), "items", len(pf.Items), "damage", strings.Join(pf.Damage, "; "))
	}
	return pf, nil
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
	wait := p.failureDelay(f.st.Failures)
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

// failureDelay is how long a feed waits after its failures-th failed
// fetch in a row: MinInterval, doubling, capped at 4×MaxInterval, ±25 %.
func (p *Poller) failureDelay(failures int) time.Duration {
	return bot.Backoff(failures, p.opts.MinInterval, 4*p.opts.MaxInterval, 0.25)
}

// logURL is a feed address fit for a log line: a password in it is masked.
func logURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
