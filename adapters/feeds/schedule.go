package feeds

import (
	"container/heap"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
)

// Run polls the feeds until ctx is cancelled, sending new items to out.
// It returns nil once ctx is cancelled and the state is written.
func (p *Poller) Run(ctx context.Context, out chan<- alerts.Article) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("feeds: the poller is already running")
	}
	defer p.running.Store(false)
	p.mu.Lock()
	p.out, p.runCtx = out, ctx
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.out, p.runCtx = nil, nil
		p.mu.Unlock()
	}()

	jobs := make(chan *feed)
	var wg sync.WaitGroup
	for range p.opts.Workers {
		wg.Go(func() {
			for f := range jobs {
				if !p.mayPoll(f) {
					continue
				}
				release, ok := p.fetch.hosts.tryAcquire(f.host, func() { p.requeue(f) })
				if !ok {
					continue // parked until the host has a free slot
				}
				p.pollFeed(ctx, f, out, release)
				p.reschedule(f)
			}
		})
	}
	flushDone := make(chan struct{})
	go func() {
		defer close(flushDone)
		t := time.NewTicker(p.opts.FlushInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.flush()
			}
		}
	}()

	p.schedule(ctx, jobs)
	close(jobs)
	wg.Wait()
	p.fetch.hosts.unpark()
	<-flushDone
	p.flush()
	return nil
}

// schedule hands due feeds to the workers until ctx is cancelled.
func (p *Poller) schedule(ctx context.Context, jobs chan<- *feed) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var due []*feed
		wait := time.Hour
		p.mu.Lock()
		now := p.opts.Now()
		for p.queue.Len() > 0 {
			next := p.queue[0]
			if d := next.due.Sub(now); d > 0 {
				wait = d
				break
			}
			heap.Pop(&p.queue)
			next.polling = true
			due = append(due, next)
		}
		p.mu.Unlock()
		for i, f := range due {
			select {
			case jobs <- f:
			case <-ctx.Done():
				p.mu.Lock()
				for _, f := range due[i:] {
					p.requeueLocked(f) // still due at the next Run
				}
				p.mu.Unlock()
				return
			}
		}
		if len(due) > 0 {
			continue
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-p.wake:
		}
	}
}

// reschedule puts a polled feed back in the queue for its next poll.
func (p *Poller) reschedule(f *feed) {
	f.mu.Lock()
	next, disabled := f.st.NextPoll, f.st.Disabled
	f.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	f.polling = false
	p.dirty[f] = true
	if disabled || f.inQueue || f.removed.Load() {
		return
	}
	f.due = next
	heap.Push(&p.queue, f)
	p.nudge()
}

// requeue queues a feed parked for its host's slot as due now.
func (p *Poller) requeue(f *feed) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requeueLocked(f)
}

// requeueLocked queues a feed that was taken off the queue as due now.
// p.mu must be held.
func (p *Poller) requeueLocked(f *feed) {
	f.polling = false
	if !f.inQueue && !f.removed.Load() {
		f.due = p.opts.Now()
		heap.Push(&p.queue, f)
		p.nudge()
	}
}

// pollSoon makes a feed due now (a re-enabled feed, a benchmark round).
func (p *Poller) pollSoon(f *feed) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f.due = p.opts.Now()
	switch {
	case f.removed.Load():
	case f.inQueue:
		heap.Fix(&p.queue, f.index)
	case !f.polling:
		heap.Push(&p.queue, f)
	}
	p.nudge()
}

func (p *Poller) clampInterval(d time.Duration) time.Duration {
	return max(p.opts.MinInterval, min(p.opts.MaxInterval, d))
}

// jitter spreads d by ±frac so feeds that share a host drift apart.
func jitter(d time.Duration, frac float64) time.Duration {
	if d <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 - frac + 2*frac*rand.Float64()))
}

// feedQueue is a min-heap of feeds by due time.
type feedQueue []*feed

func (q feedQueue) Len() int           { return len(q) }
func (q feedQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q feedQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *feedQueue) Push(x any) {
	f := x.(*feed)
	f.index, f.inQueue = len(*q), true
	*q = append(*q, f)
}
func (q *feedQueue) Pop() any {
	old := *q
	f := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	f.index, f.inQueue = -1, false
	return f
}
