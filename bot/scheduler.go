package bot

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

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

// DefaultRates are the budgets of each platform's documented limits:
// Telegram about 30 messages/s overall, 1/s per chat, 20/min per group;
// Discord 50 requests/s overall (40 kept as margin).
func DefaultRates(p alerts.Platform) Rate {
	switch p {
	case alerts.PlatformTelegram:
		return Rate{PerSecond: 28, Burst: 5, DMEvery: time.Second, GroupEvery: 3 * time.Second, Workers: 8}
	case alerts.PlatformDiscord:
		return Rate{PerSecond: 40, Burst: 5, DMEvery: 250 * time.Millisecond, GroupEvery: 250 * time.Millisecond, Workers: 8}
	default:
		return Rate{PerSecond: 1000, Burst: 100, Workers: 1}
	}
}

const maxDigestItems = 20

// platformState is the scheduler's view of one platform.
type platformState struct {
	sender  Sender
	rate    Rate
	limiter *rate.Limiter
	slots   chan struct{}
	paused  time.Time
}

// targetState paces one chat.
type targetState struct {
	next     time.Time // earliest next send
	lastSent time.Time // for fairness: least recently served first
	inFlight bool
}

type scheduler struct {
	mu        sync.Mutex
	platforms map[alerts.Platform]*platformState
	targets   map[alerts.TargetID]*targetState
	wg        sync.WaitGroup
}

func (b *Bot) newScheduler() *scheduler {
	s := &scheduler{platforms: map[alerts.Platform]*platformState{}, targets: map[alerts.TargetID]*targetState{}}
	for p, snd := range b.senders {
		r := b.rates[p]
		if r.Workers <= 0 {
			r.Workers = 1
		}
		if r.Burst <= 0 {
			r.Burst = 1
		}
		s.platforms[p] = &platformState{sender: snd, rate: r,
			limiter: rate.NewLimiter(rate.Limit(r.PerSecond), r.Burst), slots: make(chan struct{}, r.Workers)}
	}
	return s
}

func (s *scheduler) target(id alerts.TargetID) *targetState {
	ts := s.targets[id]
	if ts == nil {
		ts = &targetState{}
		s.targets[id] = ts
	}
	return ts
}

// runScheduler sends the outbox until ctx ends, then waits for sends in
// flight (each bounded by its own timeout).
func (b *Bot) runScheduler(ctx context.Context) {
	s := b.newScheduler()
	defer s.wg.Wait()
	for {
		wait, _ := b.dispatch(ctx, s)
		if wait <= 0 || wait > 5*time.Second {
			wait = 5 * time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-b.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Drain sends what is due in the outbox and returns once a round starts
// nothing: what is left is held (digests, quiet hours, backoff) or paced.
// For the demo and tests.
func (b *Bot) Drain(ctx context.Context) error {
	s := b.newScheduler()
	for {
		_, started := b.dispatch(ctx, s)
		s.wg.Wait()
		if started == 0 || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// dispatch starts every send that is due and allowed now, fairly between
// targets, and returns how long until the next one may be (negative: the
// outbox holds nothing that can become due by itself), and how many sends
// it started.
func (b *Bot) dispatch(ctx context.Context, s *scheduler) (time.Duration, int) {
	started := 0
	pending, err := b.store.Pending(50000)
	if err != nil {
		b.log.Error("Outbox unreadable", "err", err)
		return time.Second, 0
	}
	now := b.now()
	depth := map[alerts.Platform]int{}
	byTarget := map[alerts.TargetID][]Delivery{}
	for _, d := range pending {
		depth[d.Target.Platform()]++
		byTarget[d.Target] = append(byTarget[d.Target], d)
	}
	for p := range s.platforms {
		b.metrics.queue.WithLabelValues(string(p)).Set(float64(depth[p]))
	}
	s.mu.Lock()
	ids := make([]alerts.TargetID, 0, len(byTarget))
	for id := range byTarget {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, c := s.target(ids[i]).lastSent, s.target(ids[j]).lastSent
		if !a.Equal(c) {
			return a.Before(c)
		}
		return byTarget[ids[i]][0].Seq < byTarget[ids[j]][0].Seq
	})
	s.mu.Unlock()

	next := time.Duration(-1)
	soonest := func(d time.Duration) {
		if d < 0 {
			d = 0
		}
		if next < 0 || d < next {
			next = d
		}
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return 0, started
		}
		ps := s.platforms[id.Platform()]
		if ps == nil {
			continue // platform off: its deliveries wait in the outbox
		}
		ds := byTarget[id]
		var due []Delivery
		for _, d := range ds {
			if d.NotBefore.After(now) {
				soonest(d.NotBefore.Sub(now))
				continue
			}
			due = append(due, d)
		}
		if len(due) == 0 {
			continue
		}
		s.mu.Lock()
		ts := s.target(id)
		busy, nextAt, paused := ts.inFlight, ts.next, ps.paused
		s.mu.Unlock()
		if busy {
			soonest(10 * time.Millisecond)
			continue
		}
		if paused.After(now) {
			soonest(paused.Sub(now))
			continue
		}
		if nextAt.After(now) {
			soonest(nextAt.Sub(now))
			continue
		}
		t, err := b.store.GetTarget(id)
		if err != nil || !t.Active {
			reason := "target is inactive"
			if err != nil {
				reason = "target unknown"
			} else if t.InactiveReason != "" {
				reason = "target is inactive: " + t.InactiveReason
			}
			for _, d := range due {
				if err := b.store.Drop(d.ID, reason); err != nil {
					b.log.Error("Outbox entry not dropped", "id", d.ID, "err", err)
				}
			}
			continue
		}
		batch := b.batch(t, due, len(ds))
		select {
		case ps.slots <- struct{}{}:
		default:
			soonest(10 * time.Millisecond)
			continue
		}
		if err := ps.limiter.Wait(ctx); err != nil {
			<-ps.slots
			return 0, started
		}
		started++
		s.mu.Lock()
		ts.inFlight = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-ps.slots }()
			b.send(ctx, s, ps, t, batch)
			b.Wake()
		}()
	}
	return next, started
}

// batch picks what goes to a target in one message: the oldest due
// delivery, or all due alerts as one digest when the target wants digests,
// they were held (quiet hours), or its backlog passed the threshold.
func (b *Bot) batch(t alerts.Target, due []Delivery, backlog int) []Delivery {
	first := due[0]
	if first.Kind != DeliverAlert {
		return due[:1]
	}
	var alertsDue []Delivery
	held := false
	for _, d := range due {
		if d.Kind == DeliverAlert {
			alertsDue = append(alertsDue, d)
			held = held || !d.NotBefore.IsZero()
		}
	}
	if len(alertsDue) < 2 {
		return due[:1]
	}
	if t.Settings.Digest != "" || held || backlog > b.limits.Backlog {
		return alertsDue[:min(len(alertsDue), maxDigestItems)]
	}
	return due[:1]
}

// send delivers one message and records the outcome.
func (b *Bot) send(ctx context.Context, s *scheduler, ps *platformState, t alerts.Target, batch []Delivery) {
	p := t.ID.Platform()
	msg := Message{Kind: batch[0].Kind, Edit: batch[0].Kind == DeliverEdit}
	for _, d := range batch {
		msg.Alerts = append(msg.Alerts, d.Alerts...)
	}
	if len(batch) > 1 {
		msg.Kind = DeliverDigest
	}
	if len(msg.Alerts) == 1 {
		msg.Buttons = b.buttons(t.ID, msg.Alerts[0])
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var msgID string
	var err error
	if msg.Edit {
		err = ps.sender.Edit(sctx, t, batch[0].MessageID, msg)
		msgID = batch[0].MessageID
	} else {
		msgID, err = ps.sender.Send(sctx, t, msg)
	}
	now := b.now()
	s.mu.Lock()
	ts := s.target(t.ID)
	ts.inFlight = false
	ts.lastSent = now
	every := ps.rate.DMEvery
	if t.Kind != alerts.KindDM {
		every = ps.rate.GroupEvery
	}
	ts.next = now.Add(every)
	s.mu.Unlock()

	if err == nil {
		b.metrics.sent.WithLabelValues(string(p), string(msg.Kind)).Inc()
		for _, d := range batch {
			var recs []Sent
			if d.Kind != DeliverEdit {
				for _, a := range d.Alerts {
					recs = append(recs, Sent{Key: a.Key(), Target: t.ID, Story: a.Story, MessageID: msgID,
						At: now, Sources: a.Sources, Alert: a})
					if !a.Article.Ingested.IsZero() {
						b.metrics.latency.WithLabelValues(string(p)).Observe(now.Sub(a.Article.Ingested).Seconds())
					}
				}
			} else if len(d.Alerts) == 1 {
				a := d.Alerts[0]
				recs = append(recs, Sent{Key: a.Key(), Target: t.ID, Story: a.Story, MessageID: msgID,
					At: now, Sources: a.Sources, Alert: a})
			}
			if err := b.store.Complete(d.ID, recs...); err != nil {
				b.log.Error("Delivery sent but not recorded; it may be sent again", "id", d.ID, "err", err)
			}
		}
		return
	}
	b.failed(s, ps, t, batch, err)
}

// failed classifies a send error: a gone target is deactivated, a rate
// limit waits, a migrated chat moves, anything else backs off and retries.
func (b *Bot) failed(s *scheduler, ps *platformState, t alerts.Target, batch []Delivery, err error) {
	p := string(t.ID.Platform())
	now := b.now()
	var ra *alerts.RetryAfterError
	var mig *alerts.MigratedError
	switch {
	case errors.Is(err, alerts.ErrUnreachable):
		b.metrics.failed.WithLabelValues(p, "unreachable").Inc()
		b.log.Warn("Target unreachable; deactivated", "target", t.ID, "err", err)
		if derr := b.deactivate(t.ID, err.Error()); derr != nil {
			b.log.Error("Target not deactivated", "target", t.ID, "err", derr)
		}
		for _, d := range batch {
			b.store.Drop(d.ID, err.Error())
		}
		return
	case errors.As(err, &ra):
		b.metrics.failed.WithLabelValues(p, "rate_limited").Inc()
		s.mu.Lock()
		if ra.Global {
			ps.paused = now.Add(ra.After)
		}
		s.target(t.ID).next = now.Add(ra.After)
		s.mu.Unlock()
		return // nothing to store: the delivery is still first in line
	case errors.As(err, &mig):
		b.metrics.failed.WithLabelValues(p, "migrated").Inc()
		to := alerts.NewTargetID(t.ID.Platform(), mig.NewChatID)
		if merr := b.store.MoveTarget(t.ID, to); merr != nil {
			b.log.Error("Migrated chat not moved", "from", t.ID, "to", to, "err", merr)
		}
		b.log.Info("Chat migrated; target moved", "from", t.ID, "to", to)
		return
	}
	b.metrics.failed.WithLabelValues(p, "error").Inc()
	for _, d := range batch {
		d.Attempts++
		back := backoff(d.Attempts)
		if d.LastError != err.Error() {
			b.log.Warn("Send failed; will retry", "target", t.ID, "id", d.ID, "attempt", d.Attempts, "in", back.Round(time.Millisecond), "err", err)
		}
		d.LastError = err.Error()
		d.NotBefore = now.Add(back)
		if rerr := b.store.Reschedule(d); rerr != nil {
			b.log.Error("Delivery not rescheduled", "id", d.ID, "err", rerr)
		}
	}
}

// backoff is exponential from 1 s, capped at 30 min, with ±50 % jitter.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt-1, 11)
	d = min(d, 30*time.Minute)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// buttons stores the meaning of an alert's buttons under one token.
func (b *Bot) buttons(t alerts.TargetID, a alerts.Alert) []MessageButton {
	subs := make([]uint64, 0, len(a.Matches))
	for _, m := range a.Matches {
		subs = append(subs, m.Sub)
	}
	tok, err := b.store.PutButton(Button{Target: t, Subs: subs, Key: a.Key()})
	if err != nil {
		b.log.Error("Alert buttons not stored; sent without them", "err", err)
		return nil
	}
	return []MessageButton{
		{Action: ButtonMute, Label: "Mute 8h", Token: "m:" + tok},
		{Action: ButtonUnsub, Label: "Unsubscribe", Token: "u:" + tok},
		{Action: ButtonWhy, Label: "Why?", Token: "w:" + tok},
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
