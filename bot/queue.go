package bot

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
)

// outboxCache is the scheduler's window on the outbox, the first stage of
// a turn. For each target with deliveries queued it keeps the target's
// QueueHead (how many wait, and when the first is due), never the
// deliveries: those are read from the store, a digest's worth at most,
// when the target's turn comes. Its memory grows with the targets that
// wait, not with the deliveries, and choosing the next target costs a heap
// operation, not a scan: targets eligible now are served least recently
// served first; the others wait, by the time they become eligible.
type outboxCache struct {
	now func() time.Time
	// owns says which targets this process sends to (cluster mode); nil
	// means all. The cache keeps no other.
	owns Owns

	mu        sync.Mutex
	targets   map[alerts.TargetID]*targetState
	platforms map[alerts.Platform]*platformQueue
	// inFlight counts the turns under way; changed is closed and replaced
	// when a turn ends or deliveries are noted.
	inFlight int
	changed  chan struct{}
}

// platformQueue orders one platform's targets.
type platformQueue struct {
	ready   *targetHeap // eligible now: least recently served first
	waiting *targetHeap // eligible later: soonest first
	depth   int         // deliveries queued (the sum of the heads' counts)
}

// targetState is what the cache knows of one target.
type targetState struct {
	id   alerts.TargetID
	head alerts.QueueHead
	// lastSent orders fairness: least recently served first.
	lastSent time.Time
	// paced is when the target's chat may next be sent to, as its last
	// turn left it (its interval, a 429's Retry-After, a held retry).
	paced    time.Time
	inFlight bool
	// at is when the target becomes eligible; where says which heap holds
	// it (0: none) and index its place there.
	at    time.Time
	where int
	index int
}

const (
	inNone = iota
	inReady
	inWaiting
)

// turn is a target's turn as the cache hands it out.
type turn struct {
	target alerts.TargetID
}

func newOutboxCache(now func() time.Time, owns Owns) *outboxCache {
	return &outboxCache{now: now, owns: owns, targets: map[alerts.TargetID]*targetState{},
		platforms: map[alerts.Platform]*platformQueue{}, changed: make(chan struct{})}
}

func (c *outboxCache) platform(p alerts.Platform) *platformQueue {
	q := c.platforms[p]
	if q == nil {
		q = &platformQueue{ready: &targetHeap{less: leastRecentlyServed}, waiting: &targetHeap{less: soonestEligible}}
		c.platforms[p] = q
	}
	return q
}

func (c *outboxCache) target(id alerts.TargetID) (*targetState, bool) {
	ts := c.targets[id]
	if ts == nil {
		ts = &targetState{id: id, head: alerts.QueueHead{Target: id}}
		c.targets[id] = ts
		return ts, true
	}
	return ts, false
}

// unplace takes a target out of its heap.
func (c *outboxCache) unplace(ts *targetState) {
	q := c.platform(ts.id.Platform())
	switch ts.where {
	case inReady:
		heap.Remove(q.ready, ts.index)
	case inWaiting:
		heap.Remove(q.waiting, ts.index)
	}
	ts.where = inNone
}

// place puts a target not in flight where its head and pacing say.
func (c *outboxCache) place(ts *targetState, now time.Time) {
	c.unplace(ts)
	if ts.inFlight || ts.head.Count == 0 {
		return
	}
	ts.at = maxTime(ts.head.Next, ts.paced)
	q := c.platform(ts.id.Platform())
	if ts.at.After(now) {
		ts.where = inWaiting
		heap.Push(q.waiting, ts)
	} else {
		ts.where = inReady
		heap.Push(q.ready, ts)
	}
}

// setHead records a target's head as the store reported it.
func (c *outboxCache) setHeadLocked(ts *targetState, h alerts.QueueHead) {
	c.platform(ts.id.Platform()).depth += h.Count - ts.head.Count
	h.Target = ts.id
	ts.head = h
}

// note records deliveries just queued (by ingest, without a store read):
// each adds one to its target's count and may make it due sooner. A
// delivery that replaced a queued one counts twice until the target's next
// turn reads its head. It returns the platforms that got work.
func (c *outboxCache) note(ds []alerts.Delivery) map[alerts.Platform]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	out := map[alerts.Platform]bool{}
	for _, d := range ds {
		if !c.ownsLocked(d.Target) {
			continue // another process sends to it
		}
		ts, _ := c.target(d.Target)
		h := ts.head
		if h.Count == 0 || d.NotBefore.Before(h.Next) {
			h.Next, h.Seq = d.NotBefore, d.Seq
		}
		h.Count++
		c.setHeadLocked(ts, h)
		if !ts.inFlight {
			c.place(ts, now)
		}
		out[d.Target.Platform()] = true
	}
	c.signalLocked()
	return out
}

func (c *outboxCache) signalLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// settle waits until no turn is under way and no target is eligible now.
func (c *outboxCache) settle(ctx context.Context) error {
	for {
		c.mu.Lock()
		now := c.now()
		idle := c.inFlight == 0
		for _, q := range c.platforms {
			idle = idle && q.ready.Len() == 0 && (q.waiting.Len() == 0 || q.waiting.items[0].at.After(now))
		}
		ch := c.changed
		c.mu.Unlock()
		if idle {
			return nil
		}
		t := time.NewTimer(busyRetry) // targets also become eligible by time
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-ch:
		case <-t.C:
		}
		t.Stop()
	}
}

// set records heads the store reported (a resync, a refresh) and returns
// the targets the cache did not know. With all set, a target not among
// heads has nothing queued.
func (c *outboxCache) set(heads []alerts.QueueHead, all bool) []alerts.TargetID {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	var fresh []alerts.TargetID
	seen := map[alerts.TargetID]bool{}
	for _, h := range heads {
		if !c.ownsLocked(h.Target) {
			continue
		}
		ts, created := c.target(h.Target)
		if created {
			fresh = append(fresh, h.Target)
		}
		seen[h.Target] = true
		if ts.inFlight {
			continue // its turn reads its head when it ends
		}
		c.setHeadLocked(ts, h)
		c.place(ts, now)
	}
	if all {
		for id, ts := range c.targets {
			if seen[id] || ts.inFlight {
				continue
			}
			c.setHeadLocked(ts, alerts.QueueHead{})
			c.unplace(ts)
			if !ts.paced.After(now) {
				delete(c.targets, id) // nothing queued, nothing to pace
			}
		}
	}
	return fresh
}

// next picks the eligible target of platform p served least recently and
// marks it in flight. ready says whether a chat may be sent to now, or how
// long until it may (0: it is busy). When none is eligible, next returns
// how long until one may be (negative: not known).
func (c *outboxCache) next(p alerts.Platform, now time.Time, ready func(chat alerts.TargetID) (bool, time.Duration)) (turn, bool, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.platform(p)
	for q.waiting.Len() > 0 && !q.waiting.items[0].at.After(now) {
		ts := heap.Pop(q.waiting).(*targetState)
		ts.where = inReady
		heap.Push(q.ready, ts)
	}
	var blocked []*targetState
	defer func() {
		for _, ts := range blocked {
			c.place(ts, now)
		}
	}()
	for q.ready.Len() > 0 {
		ts := heap.Pop(q.ready).(*targetState)
		ts.where = inNone
		if !c.ownsLocked(ts.id) {
			// Its chat went to another process: forget it here.
			c.setHeadLocked(ts, alerts.QueueHead{})
			delete(c.targets, ts.id)
			continue
		}
		if ok, wait := ready(ts.id.Chat()); !ok {
			// Another target of the chat (a forum topic) or a reply is
			// under way, or the chat's interval runs: look again then.
			ts.paced = now.Add(max(wait, busyRetry))
			blocked = append(blocked, ts)
			continue
		}
		ts.inFlight = true
		c.inFlight++
		return turn{target: ts.id}, true, 0
	}
	if q.waiting.Len() > 0 {
		return turn{}, false, q.waiting.items[0].at.Sub(now)
	}
	if len(blocked) > 0 {
		return turn{}, false, busyRetry
	}
	return turn{}, false, -1
}

func (c *outboxCache) ownsLocked(id alerts.TargetID) bool { return c.owns == nil || c.owns(id) }

// busyRetry is how soon a target whose chat was busy is looked at again.
const busyRetry = 50 * time.Millisecond

// finish ends a target's turn with its head as the store has it now;
// served says whether a message went out, and the target's chat waits at
// least after.
func (c *outboxCache) finish(id alerts.TargetID, h alerts.QueueHead, served bool, after time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	ts, _ := c.target(id)
	if ts.inFlight {
		ts.inFlight = false
		c.inFlight--
	}
	defer c.signalLocked()
	if served {
		ts.lastSent = now
	}
	if after > 0 {
		ts.paced = maxTime(ts.paced, now.Add(after))
	}
	c.setHeadLocked(ts, h)
	c.place(ts, now)
}

// servedAt records when a target was last served, for fairness.
func (c *outboxCache) servedAt(id alerts.TargetID, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ts := c.targets[id]; ts != nil && at.After(ts.lastSent) {
		ts.lastSent = at
		if ts.where != inNone {
			c.place(ts, c.now())
		}
	}
}

// remove forgets a target (its chat moved to another ID).
func (c *outboxCache) remove(id alerts.TargetID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ts := c.targets[id]; ts != nil {
		c.setHeadLocked(ts, alerts.QueueHead{})
		c.unplace(ts)
		delete(c.targets, id)
	}
}

// depth returns how many deliveries wait per platform.
func (c *outboxCache) depth() map[alerts.Platform]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[alerts.Platform]int{}
	for p, q := range c.platforms {
		out[p] = q.depth
	}
	return out
}

// targetHeap is a heap of targets that keeps each one's index, so it can
// be taken out from anywhere.
type targetHeap struct {
	items []*targetState
	less  func(a, b *targetState) bool
}

func (h *targetHeap) Len() int           { return len(h.items) }
func (h *targetHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *targetHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = i, j
}
func (h *targetHeap) Push(x any) {
	ts := x.(*targetState)
	ts.index = len(h.items)
	h.items = append(h.items, ts)
}
func (h *targetHeap) Pop() any {
	n := len(h.items) - 1
	ts := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	return ts
}

// leastRecentlyServed orders eligible targets: least recently served
// first, then the one whose first delivery was queued first.
func leastRecentlyServed(a, b *targetState) bool {
	if !a.lastSent.Equal(b.lastSent) {
		return a.lastSent.Before(b.lastSent)
	}
	return a.head.Seq < b.head.Seq
}

// soonestEligible orders targets not yet eligible by when they become so.
func soonestEligible(a, b *targetState) bool { return a.at.Before(b.at) }
