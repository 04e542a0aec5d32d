package bot

import (
	"fmt"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
)

// outboxCache is the scheduler's copy of the outbox, the first stage of a
// turn: each target's queued deliveries, read again from the store when new
// ones arrive, and the choice of the target served next.
type outboxCache struct {
	outbox Outbox
	now    func() time.Time

	mu      sync.Mutex
	targets map[alerts.TargetID]*targetState
	// settled remembers deliveries finished or rescheduled lately, so a
	// reload that read the store just before cannot bring back a stale
	// copy.
	settled map[string]settledEntry
}

// targetState is one chat's queue.
type targetState struct {
	queue    []alerts.Delivery // by outbox order
	lastSent time.Time         // fairness: least recently served first
	inFlight bool
	// staged is the queue a reload read for this target while its send
	// was in flight; finish takes it up (hasStaged), minus what settled
	// since. Reloading everything again after each such send instead kept
	// a busy outbox reloading four times a second, each a full decode.
	staged    []alerts.Delivery
	hasStaged bool
}

type settledEntry struct {
	at      time.Time
	done    bool
	updated alerts.Delivery
}

// turn is one target's turn as the cache hands it out: what is due now,
// and how many deliveries wait in all.
type turn struct {
	target  alerts.TargetID
	due     []alerts.Delivery
	backlog int
}

func newOutboxCache(o Outbox, now func() time.Time) *outboxCache {
	return &outboxCache{outbox: o, now: now, targets: map[alerts.TargetID]*targetState{},
		settled: map[string]settledEntry{}}
}

func (c *outboxCache) target(id alerts.TargetID) *targetState {
	ts := c.targets[id]
	if ts == nil {
		ts = &targetState{}
		c.targets[id] = ts
	}
	return ts
}

// reload replaces the queues of targets not in flight with the outbox,
// leaving out the deliveries in skip (sent; their record is being
// retried). A target without deliveries is forgotten unless its chat is
// in paced (its fairness still counts). It returns the depth of the
// outbox per platform, and the targets it saw for the first time.
func (c *outboxCache) reload(skip map[string]bool, paced map[alerts.TargetID]bool) (map[alerts.Platform]int, []alerts.TargetID, error) {
	pending, err := c.outbox.Pending(1 << 30)
	if err != nil {
		return nil, nil, fmt.Errorf("read outbox: %w", err)
	}
	byTarget := map[alerts.TargetID][]alerts.Delivery{}
	depth := map[alerts.Platform]int{}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for id, e := range c.settled {
		if now.Sub(e.at) > time.Minute {
			delete(c.settled, id)
		}
	}
	for _, d := range pending {
		if skip[d.ID] {
			continue
		}
		if e, ok := c.settled[d.ID]; ok {
			if e.done {
				continue
			}
			if e.updated.Attempts > d.Attempts {
				d = e.updated
			}
		}
		byTarget[d.Target] = append(byTarget[d.Target], d)
		depth[d.Target.Platform()]++
	}
	for id, ts := range c.targets {
		if ts.inFlight {
			ts.staged, ts.hasStaged = nil, true
		} else {
			ts.queue = nil
			if _, ok := byTarget[id]; !ok && !paced[id.Chat()] {
				delete(c.targets, id)
			}
		}
	}
	var fresh []alerts.TargetID
	for id, q := range byTarget {
		ts := c.targets[id]
		if ts == nil {
			ts = c.target(id)
			fresh = append(fresh, id)
		}
		if ts.inFlight {
			ts.staged = q // taken up when its send is done
		} else {
			ts.queue = q
		}
	}
	return depth, fresh, nil
}

// servedAt records when a target was last served, for fairness.
func (c *outboxCache) servedAt(id alerts.TargetID, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ts := c.targets[id]; ts != nil && at.After(ts.lastSent) {
		ts.lastSent = at
	}
}

// next picks the eligible target of platform p served least recently and
// marks it in flight. ready says whether a chat may be sent to now, or how
// long until it may. When none is eligible, next returns how long until
// one may be (negative: not known).
func (c *outboxCache) next(p alerts.Platform, now time.Time, ready func(chat alerts.TargetID) (bool, time.Duration)) (turn, bool, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best alerts.TargetID
	var bestTS *targetState
	soonest := time.Duration(-1)
	note := func(d time.Duration) {
		if soonest < 0 || d < soonest {
			soonest = d
		}
	}
	for id, ts := range c.targets {
		if id.Platform() != p || ts.inFlight || len(ts.queue) == 0 {
			continue
		}
		if ok, wait := ready(id.Chat()); !ok {
			if wait > 0 {
				note(wait)
			}
			continue
		}
		due := false
		for _, d := range ts.queue {
			if !d.NotBefore.After(now) {
				due = true
				break
			}
			note(d.NotBefore.Sub(now))
		}
		if !due {
			continue
		}
		if bestTS == nil || ts.lastSent.Before(bestTS.lastSent) ||
			(ts.lastSent.Equal(bestTS.lastSent) && ts.queue[0].Seq < bestTS.queue[0].Seq) {
			best, bestTS = id, ts
		}
	}
	if bestTS == nil {
		return turn{}, false, soonest
	}
	bestTS.inFlight = true
	t := turn{target: best, backlog: len(bestTS.queue)}
	for _, d := range bestTS.queue {
		if !d.NotBefore.After(now) {
			t.due = append(t.due, d)
		}
	}
	return t, true, 0
}

// settle applies what became of some of a target's deliveries while its
// turn goes on: done ones leave its queue, updated ones replace theirs.
func (c *outboxCache) settle(id alerts.TargetID, done, updated []alerts.Delivery) {
	if len(done)+len(updated) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	drop := map[string]bool{}
	for _, d := range done {
		drop[d.ID] = true
		c.settled[d.ID] = settledEntry{at: now, done: true}
	}
	upd := map[string]alerts.Delivery{}
	for _, d := range updated {
		upd[d.ID] = d
		c.settled[d.ID] = settledEntry{at: now, updated: d}
	}
	ts := c.target(id)
	q := ts.queue[:0]
	for _, d := range ts.queue {
		if drop[d.ID] {
			continue
		}
		if u, ok := upd[d.ID]; ok {
			d = u
		}
		q = append(q, d)
	}
	ts.queue = q
}

// finish ends a target's turn: done deliveries leave its queue, updated
// ones replace theirs; served says whether a message went out.
func (c *outboxCache) finish(id alerts.TargetID, done, updated []alerts.Delivery, served bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	ts := c.target(id)
	ts.inFlight = false
	drop := map[string]bool{}
	for _, d := range done {
		drop[d.ID] = true
		c.settled[d.ID] = settledEntry{at: now, done: true}
	}
	upd := map[string]alerts.Delivery{}
	for _, d := range updated {
		upd[d.ID] = d
		c.settled[d.ID] = settledEntry{at: now, updated: d}
	}
	src := ts.queue
	if ts.hasStaged {
		// A reload read the store during the send: its copy is newer,
		// except for what settled since (this send's, others').
		src, ts.staged, ts.hasStaged = ts.staged, nil, false
	}
	q := make([]alerts.Delivery, 0, len(src))
	for _, d := range src {
		if drop[d.ID] {
			continue
		}
		if u, ok := upd[d.ID]; ok {
			d = u
		} else if e, ok := c.settled[d.ID]; ok {
			if e.done {
				continue
			}
			if e.updated.Attempts > d.Attempts {
				d = e.updated
			}
		}
		q = append(q, d)
	}
	ts.queue = q
	if served {
		ts.lastSent = now
	}
}

// remove forgets a target (its chat moved to another ID).
func (c *outboxCache) remove(id alerts.TargetID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.targets, id)
}
