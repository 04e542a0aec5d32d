package feeds

import (
	"context"
	"sync"
)

// hostLimiter allows at most n requests at a time to one host: a slow host
// with many feeds must not tie up every worker, nor may Herald hammer one
// server. A poll that finds the host busy is parked (its worker moves on)
// and called back when a slot frees; a page fetch waits for its slot. A
// host's entry lives only while it has requests under way or waiting, so
// the map holds the hosts busy now, not every host ever polled.
type hostLimiter struct {
	n     int
	mu    sync.Mutex
	hosts map[string]*hostSlots
}

type hostSlots struct {
	active  int
	waiting []chan struct{} // blocked acquirers, first come first served
	parked  []func()        // polls to call back when a slot frees
}

func newHostLimiter(n int) *hostLimiter {
	return &hostLimiter{n: n, hosts: map[string]*hostSlots{}}
}

// slots returns host's entry, creating it. h.mu must be held.
func (h *hostLimiter) slots(host string) *hostSlots {
	s := h.hosts[host]
	if s == nil {
		s = &hostSlots{}
		h.hosts[host] = s
	}
	return s
}

// acquire waits for a slot for host, or for ctx to end.
func (h *hostLimiter) acquire(ctx context.Context, host string) (release func(), err error) {
	h.mu.Lock()
	s := h.slots(host)
	if s.active < h.n && len(s.waiting) == 0 {
		s.active++
		h.mu.Unlock()
		return h.releaser(host), nil
	}
	ch := make(chan struct{})
	s.waiting = append(s.waiting, ch)
	h.mu.Unlock()
	select {
	case <-ch:
		return h.releaser(host), nil // the slot was handed over
	case <-ctx.Done():
	}
	h.mu.Lock()
	select {
	case <-ch:
		// Handed over as ctx ended: pass it on.
		h.mu.Unlock()
		h.release(host)
		return nil, ctx.Err()
	default:
	}
	for i, w := range s.waiting {
		if w == ch {
			s.waiting = append(s.waiting[:i], s.waiting[i+1:]...)
			break
		}
	}
	h.tidy(host, s)
	h.mu.Unlock()
	return nil, ctx.Err()
}

// tryAcquire takes a slot for host if one is free. If none is, onFree is
// called (once, without locks held) when one frees, and ok is false.
func (h *hostLimiter) tryAcquire(host string, onFree func()) (release func(), ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.slots(host)
	if s.active < h.n && len(s.waiting) == 0 {
		s.active++
		return h.releaser(host), true
	}
	s.parked = append(s.parked, onFree)
	return nil, false
}

// releaser returns a func that releases host's slot once, however often it
// is called.
func (h *hostLimiter) releaser(host string) func() {
	var once sync.Once
	return func() { once.Do(func() { h.release(host) }) }
}

func (h *hostLimiter) release(host string) {
	h.mu.Lock()
	s := h.hosts[host]
	if s == nil {
		h.mu.Unlock()
		return
	}
	s.active--
	var wake func()
	switch {
	case len(s.waiting) > 0:
		s.active++
		close(s.waiting[0])
		s.waiting = s.waiting[1:]
	case len(s.parked) > 0:
		wake = s.parked[0]
		s.parked = s.parked[1:]
	}
	h.tidy(host, s)
	h.mu.Unlock()
	if wake != nil {
		wake()
	}
}

// tidy forgets a host with nothing under way or waiting. h.mu must be
// held.
func (h *hostLimiter) tidy(host string, s *hostSlots) {
	if s.active == 0 && len(s.waiting) == 0 && len(s.parked) == 0 {
		delete(h.hosts, host)
	}
}

// unpark calls back every parked poll (the poller stops) and forgets them.
func (h *hostLimiter) unpark() {
	h.mu.Lock()
	var wake []func()
	for host, s := range h.hosts {
		wake = append(wake, s.parked...)
		s.parked = nil
		h.tidy(host, s)
	}
	h.mu.Unlock()
	for _, f := range wake {
		f()
	}
}

// size is how many hosts the limiter holds an entry for.
func (h *hostLimiter) size() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.hosts)
}
