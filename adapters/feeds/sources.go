package feeds

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// AddSource starts polling a feed a chat admin added. The feed is fetched
// once now: an address the guard refuses, a server error or a document
// that is not a feed is refused with an error that says so. Its current
// items become the baseline and are not emitted. Adding a disabled feed
// again re-enables it.
func (p *Poller) AddSource(ctx context.Context, rawURL string, by alerts.TargetID) (bot.SourceStatus, error) {
	rawURL = strings.TrimSpace(rawURL)
	if rawURL != "" && !strings.Contains(rawURL, "://") && !strings.HasPrefix(rawURL, "file:") {
		rawURL = "https://" + rawURL // "example.com/feed" means the web
	}
	if err := feedCheckURL(rawURL); err != nil {
		return bot.SourceStatus{}, err
	}
	if strings.HasPrefix(rawURL, "file:") {
		return bot.SourceStatus{}, fmt.Errorf("refusing to read %s: file:// feeds can only be configured by the operator in HERALD_FEEDS", rawURL)
	}
	if st, ok := p.existing(rawURL); ok {
		return st, nil
	}

	guarded := !p.opts.AllowPrivate
	res, pf, found, err := p.fetchFeed(ctx, rawURL, guarded)
	if err != nil {
		var ae *AddressError
		if errors.As(err, &ae) {
			return bot.SourceStatus{}, ae // says what and why already
		}
		if found == "" || found == rawURL {
			return bot.SourceStatus{}, fmt.Errorf("cannot add %s: %w", rawURL, err)
		}
		// A web page that names its feed: follow it, once.
		if st, ok := p.existing(found); ok {
			return st, nil
		}
		res2, pf2, _, err2 := p.fetchFeed(ctx, found, guarded)
		if err2 != nil {
			return bot.SourceStatus{}, fmt.Errorf("cannot add %s: the page names the feed %s, but: %w", rawURL, found, err2)
		}
		rawURL, res, pf = found, res2, pf2
	}
	f := p.loadFeed(rawURL)
	f.st.UserAdded, f.st.AddedBy = true, by
	// A feed added again after its removal subscribes to its hub afresh.
	f.st.LeaseUntil, f.st.SubscribeAsked = time.Time{}, time.Time{}
	f.st.Disabled, f.st.Failures, f.st.FailingSince, f.st.LastError = false, 0, time.Time{}, ""
	p.ingest(f, pf) // baseline, nothing emitted
	p.succeeded(f, res, pf, 0)

	// One addition at a time from here: the stored list is rewritten whole.
	p.addMu.Lock()
	defer p.addMu.Unlock()
	p.mu.Lock()
	if other := p.feeds[rawURL]; other != nil { // added meanwhile
		p.mu.Unlock()
		other.mu.Lock()
		defer other.mu.Unlock()
		return other.status(), nil
	}
	added := p.addedLocked("")
	p.mu.Unlock()
	added = append(added, rawURL)
	if p.store != nil {
		if err := p.saveAdded(added); err != nil {
			return bot.SourceStatus{}, fmt.Errorf("cannot add %s: saving the list of feeds: %w", rawURL, err)
		}
		if err := p.saveFeed(f); err != nil {
			p.log.Warn("Unable to save feed state", "feed", logURL(rawURL), "error", err)
		}
	}
	p.register(f)
	p.log.Info("Feed added from chat", "feed", logURL(rawURL), "items", len(pf.Items))
	p.mu.Lock()
	runCtx := p.runCtx
	p.mu.Unlock()
	if runCtx != nil {
		go p.maybeSubscribe(runCtx, f, pf, res, guarded)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status(), nil
}

// fetchFeed fetches and reads a feed for AddSource. For a page that is not
// a feed, found is the feed its head names, if any.
func (p *Poller) fetchFeed(ctx context.Context, rawURL string, guarded bool) (res *fetchResult, pf *parsedFeed, found string, err error) {
	res, err = p.fetch.fetch(ctx, fetchRequest{URL: rawURL, Guarded: guarded}, func(res *fetchResult, body io.Reader) error {
		head := &headRecorder{r: body, max: 256 << 10}
		var err error
		pf, err = p.parse(ctx, head, res, rawURL)
		if errors.Is(err, errNotAFeed) {
			head.readOn()
			found = feedDiscover([]byte(decodeText(head.buf, res.ContentType, true)), rawURL)
		}
		return err
	})
	return res, pf, found, err
}

// headRecorder keeps the first max bytes read through it: the head of a
// page, where a feed is named.
type headRecorder struct {
	r   io.Reader
	max int
	buf []byte
}

func (h *headRecorder) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if keep := min(n, h.max-len(h.buf)); keep > 0 {
		h.buf = append(h.buf, p[:keep]...)
	}
	return n, err
}

// readOn reads on until max bytes are kept or the body ends.
func (h *headRecorder) readOn() {
	if rest := h.max - len(h.buf); rest > 0 {
		io.Copy(io.Discard, io.LimitReader(h, int64(rest)))
	}
}

// RemoveSource stops polling a feed added from chat and takes it out of
// the catalogue. by is the chat asking: only the chat that added the feed
// may remove it; "" is the operator, who may remove any feed added from
// chat. Feeds the operator configured in HERALD_FEEDS are removed there.
// The feed's state stays in the store, and its WebSub hub is asked to
// stop pushing.
func (p *Poller) RemoveSource(ctx context.Context, rawURL string, by alerts.TargetID) error {
	p.addMu.Lock()
	defer p.addMu.Unlock()
	p.mu.Lock()
	f := p.feeds[rawURL]
	if f == nil {
		p.mu.Unlock()
		return fmt.Errorf("%s is not among the sources", rawURL)
	}
	f.mu.Lock()
	userAdded, addedBy := f.st.UserAdded, f.st.AddedBy
	f.mu.Unlock()
	switch {
	case !userAdded:
		p.mu.Unlock()
		return fmt.Errorf("%s is configured by the operator in HERALD_FEEDS; only they can remove it", rawURL)
	case by != "" && addedBy != by:
		p.mu.Unlock()
		if addedBy == "" {
			return fmt.Errorf("%s was added before Herald recorded who adds feeds; only the operator can remove it", rawURL)
		}
		return fmt.Errorf("%s was added by another chat; only that chat's admins can remove it", rawURL)
	}
	added := p.addedLocked(rawURL)
	p.mu.Unlock()
	if p.store != nil {
		if err := p.saveAdded(added); err != nil {
			return fmt.Errorf("cannot remove %s: saving the list of feeds: %w", rawURL, err)
		}
	}
	p.mu.Lock()
	delete(p.feeds, rawURL)
	// p.byID keeps the feed, so the hub's confirmation of the unsubscribe
	// below finds it; pushes to it are refused.
	p.order = slices.DeleteFunc(p.order, func(o *feed) bool { return o == f })
	if f.inQueue {
		heap.Remove(&p.queue, f.index)
	}
	f.removed.Store(true)
	runCtx := p.runCtx
	p.mu.Unlock()

	f.mu.Lock()
	hub, topic, secret := f.st.Hub, f.st.Topic, f.st.Secret
	f.st.LeaseUntil, f.st.SubscribeAsked = time.Time{}, time.Time{}
	f.mu.Unlock()
	if p.store != nil {
		// Under flushMu, so a flush that read the feed before it was
		// flagged cannot write its old state over this.
		p.flushMu.Lock()
		err := p.saveFeed(f)
		p.flushMu.Unlock()
		if err != nil {
			p.log.Warn("Unable to save feed state", "feed", logURL(rawURL), "error", err)
		}
	}
	p.log.Info("Feed removed", "feed", logURL(rawURL), "by", string(by))
	if hub == "" {
		p.dropTombstone(f)
	} else if runCtx != nil {
		// Asked or verified: ask the hub to stop either way.
		callback := p.websubCallback(f)
		go func() {
			if err := p.websubRequest(runCtx, "unsubscribe", hub, topic, callback, secret, !p.opts.AllowPrivate); err != nil {
				p.log.Info("WebSub unsubscribe failed; the hub's pushes are refused until its lease ends", "feed", logURL(rawURL), "error", err)
			}
		}()
	}
	return nil
}

// addedLocked lists the URLs of the feeds added from chat, in order,
// without skip. p.mu is held.
func (p *Poller) addedLocked(skip string) []string {
	var added []string
	for _, o := range p.order {
		if o.st.UserAdded && o.st.URL != skip {
			added = append(added, o.st.URL)
		}
	}
	return added
}

func (p *Poller) saveAdded(urls []string) error {
	data, err := json.Marshal(urls)
	if err != nil {
		return err
	}
	return p.store.PutMeta(addedFeedsKey, data)
}

// SetExtract turns page extraction on or off for a feed's teaser-only
// items.
func (p *Poller) SetExtract(url string, on bool) error {
	p.mu.Lock()
	f := p.feeds[url]
	p.mu.Unlock()
	if f == nil {
		return fmt.Errorf("no feed %s", url)
	}
	f.mu.Lock()
	f.st.Extract = on
	f.mu.Unlock()
	p.markDirty(f)
	return nil
}

// existing returns the status of a feed already in the catalogue,
// re-enabling it if it was disabled.
func (p *Poller) existing(rawURL string) (bot.SourceStatus, bool) {
	p.mu.Lock()
	existing := p.feeds[rawURL]
	p.mu.Unlock()
	if existing == nil {
		return bot.SourceStatus{}, false
	}

	existing.mu.Lock()
	if existing.st.Disabled {
		existing.st.Disabled = false
		existing.st.Failures, existing.st.FailingSince = 0, time.Time{}
		existing.st.NextPoll = p.opts.Now()
		existing.mu.Unlock()
		p.pollSoon(existing)
		p.markDirty(existing)
		existing.mu.Lock()
	}
	st := existing.status()
	existing.mu.Unlock()
	return st, true
}
