package feeds

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/herald-news/herald/alerts"
)

// ingest records the items of a parsed feed as seen and returns those not
// seen before, oldest first. The first successful fetch of a feed only
// records: its backlog is not news. Nor is a flood: more than FloodCap new
// items at once become the feed's new baseline, and none is returned.
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
	if len(fresh) > p.opts.FloodCap {
		f.st.FloodAt, f.st.FloodItems = p.opts.Now(), len(fresh)
		p.stats.floods.Add(1)
		p.log.Warn("Feed flooded: its new items were taken as a new baseline and none was sent",
			"feed", logURL(f.st.URL), "new", len(fresh), "cap", p.opts.FloodCap)
		return nil
	}
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
