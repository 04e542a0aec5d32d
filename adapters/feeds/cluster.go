package feeds

import (
	"container/heap"
	"encoding/json"
	"slices"
	"time"
)

// Owner says which feeds this process polls. In a deployment of several
// processes the feeds are divided among them, each polled by one at a
// time; PollerOptions.Owner nil polls every feed.
type Owner interface {
	Owns(feedURL string) bool
}

// ownerRecheck is how often a feed another process polls is looked at
// again, so that a dead poller's feeds move within seconds.
const ownerRecheck = 2 * time.Second

// mayPoll reports whether this process polls f now. A feed that just came
// to this process takes up the state its last poller saved (validators,
// the items it saw, its next poll), so that moving a feed neither refetches
// it early nor emits its backlog.
func (p *Poller) mayPoll(f *feed) bool {
	if p.opts.Owner == nil {
		return true
	}
	if !p.opts.Owner.Owns(f.st.URL) {
		f.mu.Lock()
		f.foreign = true
		f.mu.Unlock()
		p.requeueAt(f, p.opts.Now().Add(ownerRecheck))
		return false
	}
	f.mu.Lock()
	foreign := f.foreign
	f.foreign = false
	f.mu.Unlock()
	if !foreign || p.store == nil {
		return true
	}
	data, err := p.store.GetMeta(feedStateKey(f.st.URL))
	if err == nil {
		var st feedState
		if json.Unmarshal(data, &st) == nil && st.URL == f.st.URL {
			f.mu.Lock()
			st.CallbackID = f.st.CallbackID
			f.st = st
			f.mu.Unlock()
		}
	}
	if next := f.st.NextPoll; next.After(p.opts.Now()) {
		p.requeueAt(f, next)
		return false
	}
	return true
}

// requeueAt puts a feed taken off the queue back, due at.
func (p *Poller) requeueAt(f *feed, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f.polling = false
	if !f.inQueue && !f.removed.Load() {
		f.due = at
		heap.Push(&p.queue, f)
		p.nudge()
	}
}

// SyncAdded brings the catalogue in line with the list of feeds added from
// chat as another process saved it: a feed added there is registered here
// (and polled here if this process owns it), one removed there leaves.
func (p *Poller) SyncAdded(data []byte) {
	var urls []string
	if err := json.Unmarshal(data, &urls); err != nil {
		p.log.Warn("The list of feeds added from chat is unreadable", "error", err)
		return
	}
	for _, u := range urls {
		p.mu.Lock()
		known := p.feeds[u] != nil
		p.mu.Unlock()
		if known {
			continue
		}
		f := p.loadFeed(u)
		f.st.UserAdded = true
		f.foreign = true // its state is read again when it is first polled here
		p.register(f)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range slices.Clone(p.order) {
		if f.st.UserAdded && !slices.Contains(urls, f.st.URL) {
			delete(p.feeds, f.st.URL)
			p.order = slices.DeleteFunc(p.order, func(o *feed) bool { return o == f })
			if f.inQueue {
				heap.Remove(&p.queue, f.index)
			}
			f.removed.Store(true)
		}
	}
}
