package bot

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
)

// Rate is a platform's send budget.
type Rate struct {
	// PerSecond is the budget for the whole platform, Burst its bucket.
	PerSecond float64
	Burst     int
	// DMEvery and GroupEvery space messages to one chat.
	DMEvery    time.Duration
	GroupEvery time.Duration
	// Workers is how many sends may be in flight at once.
	Workers int
}

// DefaultRates are the budgets of each platform's documented limits. A
// token bucket lets PerSecond+Burst through in any second, so the sum is
// the budget: Telegram about 30 messages/s overall (28+2), 1/s per chat,
// 20/min per group; Discord 50 requests/s overall, of which 40 (38+2) are
// used. Command replies share the budget with alerts, ahead of them.
func DefaultRates(p alerts.Platform) Rate {
	switch p {
	case alerts.PlatformTelegram:
		return Rate{PerSecond: 28, Burst: 2, DMEvery: time.Second, GroupEvery: 3 * time.Second, Workers: 8}
	case alerts.PlatformDiscord:
		return Rate{PerSecond: 38, Burst: 2, DMEvery: 250 * time.Millisecond, GroupEvery: 250 * time.Millisecond, Workers: 8}
	default:
		return Rate{PerSecond: 1000, Burst: 100, Workers: 1}
	}
}

// ShutdownGrace is how long sends in flight may still finish after the
// bot is told to stop; then they are cancelled (and sent again on the next
// start), so the process exits within 5 seconds of being told to stop.
const ShutdownGrace = 2 * time.Second

// scheduler sends the outbox. It wires the stages of delivery, one file
// each:
//
//	queue.go     the outbox cache: each waiting target's queue head, and who goes next
//	dispatch.go  one dispatcher per platform: the turns, within its workers
//	batch.go     a turn's deliveries checked again, and batched into digests
//	pacer.go     the platform's budget and each chat's interval
//	outcome.go   the send, and what became of it (log, retry, deactivate)
//	alertbuttons.go  the buttons an alert carries
type scheduler struct {
	b           *Bot
	cache       *outboxCache
	batch       batcher
	out         *outcomes
	dispatchers map[alerts.Platform]*dispatcher
	wg          sync.WaitGroup
}

func (b *Bot) newScheduler() *scheduler {
	s := &scheduler{b: b, cache: newOutboxCache(b.now, b.owns), dispatchers: map[alerts.Platform]*dispatcher{},
		batch: batcher{sub: b.subInfo, backlog: b.limits.Backlog, now: b.now}}
	s.out = &outcomes{b: b, outbox: b.store, cache: s.cache, sendCtx: context.Background(), resync: s.resync}
	for p, snd := range b.senders {
		pc := b.pacers[p]
		s.dispatchers[p] = &dispatcher{platform: p, sender: snd, pacer: pc,
			slots: make(chan struct{}, max(pc.rate.Workers, 1)), signal: make(chan struct{}, 1)}
	}
	return s
}

// resync reads every waiting target's queue head from the store: at start,
// now and then, and when something other than ingest changed the outbox
// (a chat that moved). Its cost grows with the targets that wait, not with
// the deliveries.
func (s *scheduler) resync() error {
	s.out.retryRecords()
	heads, err := s.b.store.Heads()
	if err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	now := s.b.now()
	for _, d := range s.dispatchers {
		d.pacer.sweep(now)
	}
	for _, id := range s.cache.set(heads, true) {
		s.resumePacing(id)
	}
	s.wakeAll()
	return nil
}

// refresh reads some targets' heads again (their queued deliveries were
// replanned).
func (s *scheduler) refresh(ids ...alerts.TargetID) error {
	var heads []alerts.QueueHead
	for _, id := range ids {
		h, err := s.b.store.Head(id)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		heads = append(heads, h)
	}
	for _, id := range s.cache.set(heads, false) {
		s.resumePacing(id)
	}
	s.wakeAll()
	return nil
}

// note takes deliveries just committed into the cache, and wakes their
// platforms' dispatchers: a lone alert leaves as soon as its budget allows.
func (s *scheduler) note(ds []alerts.Delivery) {
	for p := range s.cache.note(ds) {
		if d := s.dispatchers[p]; d != nil {
			d.poke()
		}
	}
	s.setDepth()
}

func (s *scheduler) wakeAll() {
	s.setDepth()
	for _, d := range s.dispatchers {
		d.poke()
	}
}

func (s *scheduler) setDepth() {
	depth := s.cache.depth()
	for p := range s.dispatchers {
		s.b.metrics.queue.WithLabelValues(string(p)).Set(float64(depth[p]))
	}
}

// resumePacing starts a chat's pacing where the last process left it: a
// chat sent to just before a restart waits out its interval instead of
// getting its next message at once. It looks only while the restart is
// that recent: later, a chat this process has not paced was not sent to
// within its interval.
func (s *scheduler) resumePacing(id alerts.TargetID) {
	d := s.dispatchers[id.Platform()]
	if d == nil {
		return
	}
	r := d.pacer.rate
	if s.b.now().Sub(s.b.started) > max(r.DMEvery, r.GroupEvery) {
		return
	}
	last, err := s.b.store.LastSent(id)
	if err != nil || last.At.IsZero() {
		return
	}
	every := r.GroupEvery
	if t, err := s.b.store.GetTarget(id); err == nil && t.Kind == alerts.KindDM {
		every = r.DMEvery
	}
	d.pacer.notBefore(id.Chat(), last.At.Add(every))
	s.cache.servedAt(id, last.At)
}

// runScheduler sends the outbox until ctx ends, then waits for the sends in
// flight (each bounded by its own timeout).
func (b *Bot) runScheduler(ctx context.Context) {
	s := b.newScheduler()
	sendCtx, cancelSends := context.WithCancel(context.Background())
	defer cancelSends()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(ShutdownGrace, cancelSends) })
	defer stop()
	s.out.sendCtx = sendCtx
	if err := s.resync(); err != nil {
		b.log.Error("Outbox unreadable", "err", err)
	}
	b.sched.Store(s)
	defer b.sched.Store(nil)
	for _, d := range s.dispatchers {
		s.wg.Go(func() { s.loop(ctx, d) })
	}
	defer s.wg.Wait()
	tick := time.NewTicker(resyncEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		case <-tick.C:
		}
		if err := s.resync(); err != nil {
			b.log.Error("Outbox unreadable", "err", err)
		}
	}
}

// resyncEvery is how often the scheduler reads every target's head again,
// whatever told it about the outbox: ingest notes what it commits, so this
// only catches what nothing announced.
const resyncEvery = 30 * time.Second

// queued tells the running scheduler about deliveries just committed.
func (b *Bot) queued(ds []alerts.Delivery) {
	if len(ds) == 0 {
		return
	}
	if s := b.sched.Load(); s != nil {
		s.note(ds)
	}
}

// requeued tells the running scheduler that targets' queued deliveries
// changed (replanned, moved).
func (b *Bot) requeued(ids ...alerts.TargetID) {
	if s := b.sched.Load(); s != nil {
		if err := s.refresh(ids...); err != nil {
			b.log.Error("Outbox unreadable", "err", err)
			b.Wake()
		}
	}
}

// Settle waits until the running scheduler has nothing due now and no send
// under way, or ctx ends: the console prints an article's alerts before
// its prompt. Without a running scheduler it returns at once.
func (b *Bot) Settle(ctx context.Context) error {
	if s := b.sched.Load(); s != nil {
		return s.cache.settle(ctx)
	}
	return nil
}

// Drain sends what is due in the outbox, one send at a time, and returns
// once nothing more is due now: what is left is held (digests, quiet
// hours, backoff) or paced. For the demo and tests.
func (b *Bot) Drain(ctx context.Context) error {
	s := b.newScheduler()
	if err := s.resync(); err != nil {
		return err
	}
	for ctx.Err() == nil {
		progress := false
		for _, d := range s.dispatchers {
			if started, _ := s.startNext(ctx, d, false); started {
				progress = true
			}
		}
		if !progress {
			return nil
		}
	}
	return ctx.Err()
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
