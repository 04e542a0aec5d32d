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
// server: it counts the lease lost when it could not renew it within
// LeaseTTL less a second of its own clock.

// Set is one kind of divided work.
type Set struct {
	name   string
	n      int
	settle time.Duration
	change func()

	mu   sync.Mutex
	held map[int]*lease
}

type lease struct {
	rev      uint64
	renewed  time.Time // last successful write, this process's clock
	acquired time.Time
}

// Coordinator runs this process's membership and its leases.
type Coordinator struct {
	s    *Store
	tick time.Duration

	mu      sync.Mutex
	sets    []*Set
	members int
	memRev  uint64
	// live are the members at the last look (their keys), and beat when
	// this process's own membership was last renewed.
	live map[string]bool
	beat time.Time
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
	set := &Set{name: name, n: n, settle: settle, change: change, held: map[int]*lease{}}
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
	return l != nil && time.Since(l.acquired) >= set.settle
}

// Held returns the items this process holds, settled or not.
func (set *Set) Held() []int {
	set.mu.Lock()
	defer set.mu.Unlock()
	out := make([]int, 0, len(set.held))
	for i := range set.held {
		out = append(out, i)
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
	key := enc(c.s.opts.Name)
	now := time.Now()
	val := []byte(strconv.FormatInt(now.UnixMilli(), 10))
	if rev, err := c.s.members.Put(ctx, key, val); err == nil {
		c.mu.Lock()
		c.memRev, c.beat = rev, now
		c.mu.Unlock()
	}
	ks, err := keys(ctx, c.s.members, ">")
	if err != nil {
		return
	}
	live := map[string]bool{}
	for _, k := range ks {
		live[k] = true
	}
	c.mu.Lock()
	c.members = max(1, len(ks))
	c.live = live
	c.mu.Unlock()
}

// liveMembers returns this process's member key, the live members' keys
// at the last look, and when this process's membership was last renewed.
func (c *Coordinator) liveMembers() (me string, live map[string]bool, beat time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return enc(c.s.opts.Name), c.live, c.beat
}

// balance renews the set's leases, gives back what is over the fair share
// and takes free items up to it. It reports whether the held items changed.
func (c *Coordinator) balance(ctx context.Context, set *Set, members int) bool {
	changed := false
	ttl := c.s.opts.LeaseTTL
	set.mu.Lock()
	held := make(map[int]*lease, len(set.held))
	for i, l := range set.held {
		held[i] = l
	}
	set.mu.Unlock()
	me := []byte(c.s.opts.Name)
	for i, l := range held {
		rev, err := c.s.leases.Update(ctx, set.key(i), me, l.rev)
		switch {
		case err == nil:
			l.rev, l.renewed = rev, time.Now()
		case conflict(err) || time.Since(l.renewed) > ttl-time.Second:
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
			rev, err := c.s.leases.Create(ctx, set.key(i), me)
			if err != nil {
				continue // another process was quicker
			}
			now := time.Now()
			l := &lease{rev: rev, renewed: now, acquired: now}
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
