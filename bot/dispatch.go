package bot

import (
	"context"
	"errors"
	"time"

	"github.com/herald-news/herald/alerts"
)

// dispatcher starts the turns of one platform: the eligible target served
// least recently goes first, within the platform's workers. Each turn runs
// the stages in order: the queue hands out what is due (queue.go), the
// batcher checks it against the chat and picks one message (batch.go), the
// pacer waits for the platform's budget (pacer.go), and the outcome stage
// sends and records (outcome.go).
type dispatcher struct {
	platform alerts.Platform
	sender   Sender
	pacer    *pacer
	// slots bounds the sends in flight (Rate.Workers).
	slots chan struct{}
	// signal says that a target of this platform may have become eligible.
	signal chan struct{}
}

func (d *dispatcher) poke() {
	select {
	case d.signal <- struct{}{}:
	default:
	}
}

// loop starts the platform's turns until ctx ends.
func (s *scheduler) loop(ctx context.Context, d *dispatcher) {
	for ctx.Err() == nil {
		started, wait := s.startNext(ctx, d, true)
		if started {
			continue
		}
		if wait <= 0 || wait > time.Second {
			wait = time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-d.signal:
		case <-t.C:
		}
		t.Stop()
	}
}

// startNext picks the next target of the platform and starts its turn. It
// returns whether it started one, or how long until one may be eligible.
func (s *scheduler) startNext(ctx context.Context, d *dispatcher, async bool) (bool, time.Duration) {
	now := s.b.now()
	if w := d.pacer.pausedFor(now); w > 0 {
		return false, w
	}
	var t turn
	var ok bool
	var wait time.Duration
	d.pacer.choose(now, func(ready func(alerts.TargetID) (bool, time.Duration)) (alerts.TargetID, bool) {
		t, ok, wait = s.cache.next(d.platform, now, ready)
		return t.target.Chat(), ok
	})
	if !ok {
		return false, wait
	}
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		s.out.end(d, t.target, false, 0)
		return false, 0
	}
	// The dispatcher, not each worker, waits for the platform's budget:
	// one alert waits at a time, behind any reply.
	if err := d.pacer.acquire(ctx, false); err != nil {
		<-d.slots
		s.out.end(d, t.target, false, 0)
		return false, 0
	}
	run := func() {
		defer func() { <-d.slots }()
		s.turn(d, t)
	}
	if async {
		s.wg.Go(run)
	} else {
		run()
	}
	return true, 0
}

// turn runs one target's turn after the queue handed it out and the pacer
// granted it a place in the platform's budget, which it gives back. It
// reads from the store what is due for the target, a digest's worth at
// most, and how many wait in all.
func (s *scheduler) turn(d *dispatcher, t turn) {
	b := s.b
	sent := false
	defer func() {
		if !sent {
			d.pacer.release()
		}
	}()
	now := b.now()
	due, head, err := s.out.outbox.Due(t.target, now, maxDigestItems+s.out.skipping())
	if err != nil {
		b.log.Error("Outbox unreadable; the target waits", "target", t.target, "err", err)
		s.out.end(d, t.target, false, time.Second)
		return
	}
	due, wait := s.out.skip(due, now)
	if len(due) == 0 {
		s.out.end(d, t.target, false, wait)
		return
	}
	tg, err := b.store.GetTarget(t.target)
	if err != nil && !errors.Is(err, alerts.ErrNotFound) {
		b.log.Error("Target unreadable; its turn waits", "target", t.target, "err", err)
		s.out.end(d, t.target, false, time.Second)
		return
	}
	if err != nil || !tg.Active {
		reason := "target unknown"
		if err == nil {
			reason = "target is inactive"
			if tg.InactiveReason != "" {
				reason += ": " + tg.InactiveReason
			}
		}
		s.out.end(d, t.target, false, s.out.drop(due, reason))
		return
	}
	due, gone := s.batch.recheck(tg, due)
	if len(gone) > 0 {
		wait := s.out.drop(gone, "unsubscribed or muted before it was sent")
		if len(due) == 0 {
			s.out.end(d, t.target, false, wait)
			return
		}
	}
	sent = true
	s.out.send(d, tg, s.batch.batch(tg, due, head.Count))
}
