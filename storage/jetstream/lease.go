package jetstream

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Leases divide work among the processes of a deployment. A Set is a
// named, numbered kind of work (the Telegram long poll: one item; Discord
// shards; feed and outbox partitions). Each item is held by at most one
// process at a time, through a key in the leases bucket that expires
// LeaseTTL after its holder last renewed it, so a process that dies
// (kill -9, a lost machine) loses its items within LeaseTTL and the others
// take them over. Each process holds at most its fair share,
// ceil(items / live processes), and gives the rest back when a process
// joins, so work also moves to a newcomer.
//
// A process stops using an item before its lease can have expired on the
// server: it counts the lease lost once LeaseTTL less a second has passed,
// by its own clock, since it sent the write that last renewed it (the
// server counts the TTL from when it stored that write, which is later),
// whether or not its coordinator got round to renewing it meanwhile.

// Set is one kind of divided work.
type Set struct {
	name   string
	n      int
	settle time.Duration
	change func()
	// valid is how long a lease counts after the write that renewed it
	// was sent: LeaseTTL less a second.
	valid time.Duration

	mu   sync.Mutex
	held map[int]*lease
}

type lease struct {
	rev uint64
	// renewed is when the last successful write was sent (this process's
	// clock; changed under the set's lock), acquired when the first was.
	renewed, acquired time.Time
}

// Coordinator runs this process's membership and its leases.
type Coordinator struct {
	s    *Store
	tick time.Duration

	mu      sync.Mutex
	sets    []*Set
	members int
}

// NewCoordinator returns a coordinator for the store's process; call Run.
func (s *Store) NewCoordinator() *Coordinator {
	return &Coordinator{s: s, tick: max(100*time.Millisecond, s.opts.LeaseTTL/6), members: 1}
}

// Set declares a kind of work of n items. settle delays the use of a newly
// acquired item (Holds is false until then): an outbox partition taken
// from a process that gave it back waits out the chats' pacing interval.
// change, if not nil, is called (from the coordinator's goroutine) after
// the items held changed.
func (c *Coordinator) Set(name string, n int, settle time.Duration, change func()) *Set {
	set := &Set{name: name, n: n, settle: settle, change: change, held: map[int]*lease{}, valid: c.s.opts.LeaseTTL - time.Second}
	c.mu.Lock()
	c.sets = append(c.sets, set)
	c.mu.Unlock()
	return set
}

// Holds reports whether this process holds item i and may use it.
func (set *Set) Holds(i int) bool {
	set.mu.Lock()
	defer set.mu.Unlock()
	l := set.held[i]
	return l != nil && set.current(l) && time.Since(l.acquired) >= set.settle
}

// current reports whether a lease still counts: it was renewed recently
// enough that it cannot have expired on the server. The caller holds mu.
func (set *Set) current(l *lease) bool { return time.Since(l.renewed) < set.valid }

// Held returns the items this process holds, settled or not.
func (set *Set) Held() []int {
	set.mu.Lock()
	defer set.mu.Unlock()
	out := make([]int, 0, len(set.held))
	for i, l := range set.held {
		if set.current(l) {
			out = append(out, i)
		}
	}
	return out
}

// Size is the number of items.
func (set *Set) Size() int { return set.n }

// Members returns how many processes were alive at the last look.
func (c *Coordinator) Members() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members
}

// Run keeps the process in the membership and its leases renewed until
// ctx ends; then it gives every lease back, so the others take over at
// once rather than after LeaseTTL.
func (c *Coordinator) Run(ctx context.Context) error {
	t := time.NewTicker(c.tick)
	defer t.Stop()
	for {
		c.round(ctx)
		select {
		case <-ctx.Done():
			c.releaseAll()
			return nil
		case <-t.C:
		}
	}
}

func (c *Coordinator) round(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, c.s.opts.LeaseTTL/2)
	defer cancel()
	c.heartbeat(rctx)
	c.mu.Lock()
	sets, members := append([]*Set(nil), c.sets...), c.members
	c.mu.Unlock()
	for _, set := range sets {
		if c.balance(rctx, set, members) && set.change != nil {
			set.change()
		}
	}
}

// heartbeat renews this process's membership key and counts the live ones.
func (c *Coordinator) heartbeat(ctx context.Context) {
	val := []byte(strconv.FormatInt(time.Now().UnixMilli(), 10))
	c.s.members.Put(ctx, enc(c.s.opts.Name), val)
	ks, err := keys(ctx, c.s.members, ">")
	if err != nil {
		return
	}
	c.mu.Lock()
	c.members = max(1, len(ks))
	c.mu.Unlock()
}

// balance renews the set's leases, gives back what is over the fair share
// and takes free items up to it. It reports whether the held items changed.
func (c *Coordinator) balance(ctx context.Context, set *Set, members int) bool {
	changed := false
	set.mu.Lock()
	held := make(map[int]*lease, len(set.held))
	for i, l := range set.held {
		held[i] = l
	}
	set.mu.Unlock()
	me := []byte(c.s.opts.Name)
	for i, l := range held {
		sent := time.Now()
		rev, err := c.s.leases.Update(ctx, set.key(i), me, l.rev)
		switch {
		case err == nil:
			set.mu.Lock()
			l.rev, l.renewed = rev, sent
			set.mu.Unlock()
		case conflict(err) || time.Since(l.renewed) >= set.valid:
			// Taken by another (our lease had expired), or not renewed in
			// time: stop using it.
			set.drop(i)
			delete(held, i)
			changed = true
			c.s.log.Warn("Lease lost", "set", set.name, "item", i, "err", err)
		}
	}
	fair := (set.n + members - 1) / members
	if len(held) > fair {
		extra := len(held) - fair
		for i, l := range held {
			if extra == 0 {
				break
			}
			set.drop(i) // stop using it first, then give it back
			c.s.leases.Delete(ctx, set.key(i), lastRevision(l.rev))
			delete(held, i)
			extra--
			changed = true
		}
	}
	if len(held) < fair {
		taken := map[int]bool{}
		ks, err := keys(ctx, c.s.leases, set.name+".*")
		if err != nil {
			return changed
		}
		for _, k := range ks {
			if i, err := strconv.Atoi(k[strings.LastIndexByte(k, '.')+1:]); err == nil {
				taken[i] = true
			}
		}
		free := []int{}
		for i := range set.n {
			if !taken[i] && held[i] == nil {
				free = append(free, i)
			}
		}
		rand.Shuffle(len(free), func(a, b int) { free[a], free[b] = free[b], free[a] })
		for _, i := range free {
			if len(held) >= fair {
				break
			}
			sent := time.Now()
			rev, err := c.s.leases.Create(ctx, set.key(i), me)
			if err != nil {
				continue // another process was quicker
			}
			l := &lease{rev: rev, renewed: sent, acquired: sent}
			set.mu.Lock()
			set.held[i] = l
			set.mu.Unlock()
			held[i] = l
			changed = true
			if set.settle > 0 && set.change != nil {
				time.AfterFunc(set.settle, set.change) // now it may be used
			}
		}
	}
	return changed
}

func (set *Set) key(i int) string { return set.name + "." + strconv.Itoa(i) }

func (set *Set) drop(i int) {
	set.mu.Lock()
	delete(set.held, i)
	set.mu.Unlock()
}

// releaseAll gives every lease and the membership back (a clean stop).
func (c *Coordinator) releaseAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.mu.Lock()
	sets := append([]*Set(nil), c.sets...)
	c.mu.Unlock()
	for _, set := range sets {
		set.mu.Lock()
		held := set.held
		set.held = map[int]*lease{}
		set.mu.Unlock()
		for i, l := range held {
			if err := c.s.leases.Delete(ctx, set.key(i), lastRevision(l.rev)); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				c.s.log.Debug("Lease not given back", "set", set.name, "item", i, "err", err)
			}
		}
		if len(held) > 0 && set.change != nil {
			set.change()
		}
	}
	c.s.members.Delete(ctx, enc(c.s.opts.Name))
}

// Lead blocks until this process holds item i and returns a context that
// ends when it no longer does (or ctx ends); ok is false when ctx ended
// first. It is how a platform adapter runs work that must run once per
// deployment: the Telegram long poll, one Discord shard.
func (set *Set) Lead(ctx context.Context, i int) (context.Context, bool) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for !set.Holds(i) {
		select {
		case <-ctx.Done():
			return ctx, false
		case <-t.C:
		}
	}
	lctx, cancel := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		defer cancel()
		for set.Holds(i) {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return lctx, true
}
