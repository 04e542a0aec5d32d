package bot

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
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

// DefaultRates are the budgets of each platform's documented limits. A
// token bucket lets PerSecond+Burst through in any second, so the sum is
// the budget: Telegram about 30 messages/s overall (28+2), 1/s per chat,
// 20/min per group; Discord 50 requests/s overall, of which 40 (38+2) are
// used, leaving room for command replies.
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

const maxDigestItems = 20

// ShutdownGrace is how long sends in flight may still finish after the
// bot is told to stop; then they are cancelled (and sent again on the next
// start), so the process exits within 5 seconds of being told to stop.
const ShutdownGrace = 2 * time.Second

// MaxAttempts bounds the retries of a delivery that keeps failing with an
// error that is neither a rate limit nor an unreachable chat (a message the
// platform refuses to parse, say). With the backoff's 30-minute cap that is
// about seven hours of trying; then it is dropped, logged as an error and
// recorded in the delivery log with the reason.
const MaxAttempts = 24

// maxEditAttempts bounds the retries of an alert's update.
const maxEditAttempts = 5

// platformState is the scheduler's view of one platform.
type platformState struct {
	name    alerts.Platform
	sender  Sender
	rate    Rate
	limiter *rate.Limiter
	slots   chan struct{}
	signal  chan struct{} // a target of this platform may have become eligible
	paused  time.Time

	// window is the start times of the last sends, a ring as long as the
	// platform allows sends in a second (PerSecond + Burst): the token
	// bucket's grants can bunch up on their way to the platform when the
	// machine is loaded, and this check, made just before each request
	// leaves, keeps any one-second window within the limit regardless.
	windowMu sync.Mutex
	window   []time.Time
	oldest   int
}

// admit waits until a send now keeps the last second within the
// platform's limit, and counts it. It reports whether ctx is still live.
func (ps *platformState) admit(ctx context.Context) bool {
	for {
		ps.windowMu.Lock()
		now := time.Now()
		if len(ps.window) < cap(ps.window) {
			ps.window = append(ps.window, now)
			ps.windowMu.Unlock()
			return true
		}
		wait := ps.window[ps.oldest].Add(time.Second).Sub(now)
		if wait <= 0 {
			ps.window[ps.oldest] = now
			ps.oldest = (ps.oldest + 1) % len(ps.window)
			ps.windowMu.Unlock()
			return true
		}
		ps.windowMu.Unlock()
		if !sleepCtx(ctx, wait) {
			return false
		}
	}
}

// targetState is one chat's queue and pacing.
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

// scheduler keeps the outbox in memory, reloading it from the store when
// new deliveries arrive, and runs one dispatcher per platform.
type scheduler struct {
	b *Bot
	// outbox is the store as the delivery path uses it: its reads and
	// writes of queued deliveries (and of their log entries) go through it.
	outbox    Outbox
	mu        sync.Mutex
	platforms map[alerts.Platform]*platformState
	targets   map[alerts.TargetID]*targetState
	wg        sync.WaitGroup
	// sendCtx outlives the run's context by ShutdownGrace.
	sendCtx context.Context
	// settled remembers deliveries finished or rescheduled lately, so a
	// reload that read the store just before cannot bring back a stale copy.
	settled map[string]settledEntry
	// unrecorded are messages sent whose log entries failed to write.
	unrecorded []unrecorded
	// start is when this scheduler began: a chat first seen within a
	// pacing interval of it may have been sent to by the last process.
	start time.Time
	// chatNext and chatBusy pace chats, which may hold several targets (a
	// Telegram forum's topics share the group's 20 messages a minute):
	// the earliest next send to the chat (its interval, or a 429's
	// Retry-After), and its sends in flight.
	chatNext map[alerts.TargetID]time.Time
	chatBusy map[alerts.TargetID]int
}

// resumePacing starts a chat's pacing where the last process left it: a
// chat sent to just before a restart waits out its interval instead of
// getting its next message at once. It looks only while the restart is
// that recent: later, a chat this process has not paced was not sent to
// within its interval. s.mu is held.
func (s *scheduler) resumePacing(id alerts.TargetID, ts *targetState) {
	ps := s.platforms[id.Platform()]
	if ps == nil {
		return
	}
	if s.b.now().Sub(s.start) > max(ps.rate.DMEvery, ps.rate.GroupEvery) {
		return
	}
	last, err := s.b.store.LastSent(id)
	if err != nil || last.At.IsZero() {
		return
	}
	every := ps.rate.GroupEvery
	if t, err := s.b.store.GetTarget(id); err == nil && t.Kind == alerts.KindDM {
		every = ps.rate.DMEvery
	}
	if next := last.At.Add(every); next.After(s.chatNext[id.Chat()]) {
		s.chatNext[id.Chat()] = next
		ts.lastSent = last.At
	}
}

type settledEntry struct {
	at      time.Time
	done    bool
	updated alerts.Delivery
}

func (b *Bot) newScheduler() *scheduler {
	s := &scheduler{b: b, outbox: b.store, platforms: map[alerts.Platform]*platformState{}, targets: map[alerts.TargetID]*targetState{},
		settled: map[string]settledEntry{}, sendCtx: context.Background(), start: b.now(),
		chatNext: map[alerts.TargetID]time.Time{}, chatBusy: map[alerts.TargetID]int{}}
	for p, snd := range b.senders {
		r := b.rates[p]
		r.Workers = max(r.Workers, 1)
		r.Burst = max(r.Burst, 1)
		s.platforms[p] = &platformState{name: p, sender: snd, rate: r, signal: make(chan struct{}, 1),
			limiter: rate.NewLimiter(rate.Limit(r.PerSecond), r.Burst), slots: make(chan struct{}, r.Workers),
			window: make([]time.Time, 0, max(1, int(math.Ceil(r.PerSecond))+r.Burst))}
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

func (ps *platformState) poke() {
	select {
	case ps.signal <- struct{}{}:
	default:
	}
}

// reload replaces the queues of targets not in flight with the outbox.
func (s *scheduler) reload() error {
	unwritten := s.retryRecords()
	pending, err := s.outbox.Pending(1 << 30)
	if err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	byTarget := map[alerts.TargetID][]alerts.Delivery{}
	depth := map[alerts.Platform]int{}
	s.mu.Lock()
	for id, e := range s.settled {
		if time.Since(e.at) > time.Minute {
			delete(s.settled, id)
		}
	}
	for _, d := range pending {
		if unwritten[d.ID] {
			continue // sent; its record is being retried
		}
		if e, ok := s.settled[d.ID]; ok {
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
	for chat, next := range s.chatNext {
		if next.Before(s.b.now()) {
			delete(s.chatNext, chat)
		}
	}
	for id, ts := range s.targets {
		if ts.inFlight {
			ts.staged, ts.hasStaged = nil, true
		} else {
			ts.queue = nil
			if _, ok := byTarget[id]; !ok && s.chatNext[id.Chat()].Before(s.b.now()) {
				delete(s.targets, id)
			}
		}
	}
	for id, q := range byTarget {
		ts, created := s.targets[id], false
		if ts == nil {
			ts, created = s.target(id), true
		}
		if created {
			s.resumePacing(id, ts)
		}
		if ts.inFlight {
			ts.staged = q // taken up when its send is done
		} else {
			ts.queue = q
		}
	}
	s.mu.Unlock()
	for p, ps := range s.platforms {
		s.b.metrics.queue.WithLabelValues(string(p)).Set(float64(depth[p]))
		ps.poke()
	}
	return nil
}

// runScheduler sends the outbox until ctx ends, then waits for the sends in
// flight (each bounded by its own timeout).
func (b *Bot) runScheduler(ctx context.Context) {
	s := b.newScheduler()
	sendCtx, cancelSends := context.WithCancel(context.Background())
	defer cancelSends()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(ShutdownGrace, cancelSends) })
	defer stop()
	s.sendCtx = sendCtx
	for _, ps := range s.platforms {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.dispatchLoop(ctx, ps) }()
	}
	defer s.wg.Wait()
	last := time.Time{}
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		// New deliveries wake the scheduler; reloads are at most four a
		// second, however busy ingest is.
		if wait := 250*time.Millisecond - time.Since(last); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		last = time.Now()
		if err := s.reload(); err != nil {
			b.log.Error("Outbox unreadable", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		case <-tick.C:
		}
	}
}

// dispatchLoop starts the sends of one platform: the eligible target served
// least recently goes first, within the platform's budget and workers.
func (s *scheduler) dispatchLoop(ctx context.Context, ps *platformState) {
	for ctx.Err() == nil {
		started, wait := s.startNext(ctx, ps, true)
		if started {
			continue
		}
		if wait <= 0 || wait > time.Second {
			wait = time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-ps.signal:
		case <-t.C:
		}
		t.Stop()
	}
}

// startNext picks the next target of the platform and starts its send. It
// returns whether it started one, or how long until one may be eligible.
func (s *scheduler) startNext(ctx context.Context, ps *platformState, async bool) (bool, time.Duration) {
	b := s.b
	now := b.now()
	s.mu.Lock()
	if ps.paused.After(now) {
		s.mu.Unlock()
		return false, ps.paused.Sub(now)
	}
	var best alerts.TargetID
	var bestTS *targetState
	soonest := time.Duration(-1)
	note := func(d time.Duration) {
		if soonest < 0 || d < soonest {
			soonest = d
		}
	}
	for id, ts := range s.targets {
		if id.Platform() != ps.name || ts.inFlight || len(ts.queue) == 0 {
			continue
		}
		chat := id.Chat()
		if s.chatBusy[chat] > 0 {
			continue // another target of the chat is being sent to
		}
		if cn := s.chatNext[chat]; cn.After(now) {
			note(cn.Sub(now))
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
		s.mu.Unlock()
		return false, soonest
	}
	bestTS.inFlight = true
	s.chatBusy[best.Chat()]++
	var due []alerts.Delivery
	for _, d := range bestTS.queue {
		if !d.NotBefore.After(now) {
			due = append(due, d)
		}
	}
	backlog := len(bestTS.queue)
	s.mu.Unlock()

	select {
	case ps.slots <- struct{}{}:
	case <-ctx.Done():
		s.finish(best, nil, nil, false, 0)
		return false, 0
	}
	// The token bucket paces the picks; admit, just before the request
	// leaves, holds the platform's limit exactly.
	if err := ps.limiter.Wait(ctx); err != nil {
		<-ps.slots
		s.finish(best, nil, nil, false, 0)
		return false, 0
	}
	run := func() {
		defer func() { <-ps.slots }()
		t, err := b.store.GetTarget(best)
		if err != nil || !t.Active {
			reason := "target unknown"
			if err == nil {
				reason = "target is inactive"
				if t.InactiveReason != "" {
					reason += ": " + t.InactiveReason
				}
			}
			for _, d := range due {
				if err := s.outbox.Drop(d.ID, reason); err != nil {
					b.log.Error("Outbox entry not dropped", "id", d.ID, "err", err)
				}
			}
			s.finish(best, due, nil, false, 0)
			return
		}
		due, gone := b.stillWanted(t, due)
		if len(gone) > 0 {
			for _, d := range gone {
				if err := s.outbox.Drop(d.ID, "unsubscribed or muted before it was sent"); err != nil {
					b.log.Error("Outbox entry not dropped", "id", d.ID, "err", err)
				}
			}
		}
		if len(due) == 0 {
			s.finish(best, gone, nil, false, 0)
			return
		}
		s.forget(best, gone)
		b.send(ctx, s, ps, t, b.batch(t, due, backlog))
	}
	if async {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); run() }()
	} else {
		run()
	}
	return true, 0
}

// sleepCtx waits d, or less when ctx ends first; it reports whether ctx is
// still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// forget removes dropped deliveries from a target's queue while its turn
// goes on.
func (s *scheduler) forget(id alerts.TargetID, gone []alerts.Delivery) {
	if len(gone) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	drop := map[string]bool{}
	for _, d := range gone {
		drop[d.ID] = true
		s.settled[d.ID] = settledEntry{at: time.Now(), done: true}
	}
	ts := s.target(id)
	q := ts.queue[:0]
	for _, d := range ts.queue {
		if !drop[d.ID] {
			q = append(q, d)
		}
	}
	ts.queue = q
}

// finish ends a target's turn: done deliveries leave its queue, updated ones
// replace theirs, and its next turn is no sooner than after.
func (s *scheduler) finish(id alerts.TargetID, done []alerts.Delivery, updated []alerts.Delivery, served bool, after time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.target(id)
	ts.inFlight = false
	if chat := id.Chat(); s.chatBusy[chat] > 1 {
		s.chatBusy[chat]--
	} else {
		delete(s.chatBusy, chat)
	}
	drop := map[string]bool{}
	for _, d := range done {
		drop[d.ID] = true
		s.settled[d.ID] = settledEntry{at: time.Now(), done: true}
	}
	upd := map[string]alerts.Delivery{}
	for _, d := range updated {
		upd[d.ID] = d
		s.settled[d.ID] = settledEntry{at: time.Now(), updated: d}
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
		} else if e, ok := s.settled[d.ID]; ok {
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
	now := s.b.now()
	if served {
		ts.lastSent = now
		if next := now.Add(after); next.After(s.chatNext[id.Chat()]) {
			s.chatNext[id.Chat()] = next
		}
	}
	if ps := s.platforms[id.Platform()]; ps != nil {
		ps.poke()
	}
}

// Drain sends what is due in the outbox, one send at a time, and returns
// once nothing more is due now: what is left is held (digests, quiet
// hours, backoff) or paced. For the demo and tests.
func (b *Bot) Drain(ctx context.Context) error {
	s := b.newScheduler()
	if err := s.reload(); err != nil {
		return err
	}
	for ctx.Err() == nil {
		progress := false
		for _, ps := range s.platforms {
			if started, _ := s.startNext(ctx, ps, false); started {
				progress = true
			}
		}
		if !progress {
			return nil
		}
	}
	return ctx.Err()
}

// stillWanted re-checks queued alerts against the chat as it is now: a
// subscription removed or muted since the alert was planned no longer
// counts, and an alert with none left (or a chat muted as a whole) is not
// sent. Edits always go.
func (b *Bot) stillWanted(t alerts.Target, due []alerts.Delivery) (keep, gone []alerts.Delivery) {
	now := b.now()
	for _, d := range due {
		if d.Kind != alerts.DeliverAlert {
			keep = append(keep, d)
			continue
		}
		if t.Settings.MutedUntil.After(now) {
			gone = append(gone, d)
			continue
		}
		var alertsLeft []alerts.Alert
		for _, a := range d.Alerts {
			var ms []alerts.Match
			for _, m := range a.Matches {
				if si, ok := b.subInfo(m.Sub); ok && si.Target == t.ID && !si.MutedUntil.After(now) {
					ms = append(ms, m)
				}
			}
			if len(ms) > 0 {
				a.Matches = ms
				alertsLeft = append(alertsLeft, a)
			}
		}
		if len(alertsLeft) == 0 {
			gone = append(gone, d)
			continue
		}
		d.Alerts = alertsLeft
		keep = append(keep, d)
	}
	return keep, gone
}

// replan moves a chat's held alerts to the hold its settings give now
// (after /digest, /quiet or /timezone changed), so "digest off" sends what
// was waiting for the digest.
func (b *Bot) replan(t alerts.Target) error {
	pending, err := b.store.Pending(1 << 30)
	if err != nil {
		return err
	}
	now := b.now()
	var changed []alerts.Delivery
	for _, d := range pending {
		if d.Target != t.ID || d.Kind != alerts.DeliverAlert || (!d.Held && !d.NotBefore.IsZero()) {
			continue // another chat's, or held by a retry backoff
		}
		hold := holdUntil(t.Settings, now)
		if d.Held && hold.IsZero() {
			hold = now // released: the held ones still go together, now
		}
		if !hold.Equal(d.NotBefore) {
			d.NotBefore, d.Held = hold, !hold.IsZero()
			changed = append(changed, d)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	if err := b.store.Enqueue(changed...); err != nil {
		return err
	}
	b.Wake()
	return nil
}

// batch picks what goes to a target in one message: the oldest due
// delivery, or all due alerts as one digest when the target wants digests,
// they were held (quiet hours), or its backlog passed the threshold.
func (b *Bot) batch(t alerts.Target, due []alerts.Delivery, backlog int) []alerts.Delivery {
	first := due[0]
	if first.Kind != alerts.DeliverAlert {
		return due[:1]
	}
	var alertsDue []alerts.Delivery
	held := false
	for _, d := range due {
		if d.Kind == alerts.DeliverAlert {
			alertsDue = append(alertsDue, d)
			held = held || d.Held
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
func (b *Bot) send(ctx context.Context, s *scheduler, ps *platformState, t alerts.Target, batch []alerts.Delivery) {
	p := t.ID.Platform()
	msg := Message{Kind: batch[0].Kind, Edit: batch[0].Kind == alerts.DeliverEdit}
	for _, d := range batch {
		msg.Alerts = append(msg.Alerts, d.Alerts...)
	}
	if len(batch) > 1 {
		msg.Kind = alerts.DeliverDigest
	}
	token := ""
	if len(msg.Alerts) == 1 {
		token = newToken()
		msg.Buttons = alertButtons(token)
	}
	// A send in flight at shutdown may finish within the grace period, so
	// its outcome is recorded; after that it is cut off and retried on the
	// next start.
	sctx, cancel := context.WithTimeout(s.sendCtx, 30*time.Second)
	defer cancel()
	var msgID string
	var err error
	if !ps.admit(sctx) {
		err = sctx.Err()
	} else if msg.Edit {
		err = ps.sender.Edit(sctx, t, batch[0].MessageID, msg)
		msgID = batch[0].MessageID
	} else {
		msgID, err = ps.sender.Send(sctx, t, msg)
	}
	every := ps.rate.DMEvery
	if t.Kind != alerts.KindDM {
		every = ps.rate.GroupEvery
	}
	if err != nil {
		b.failed(s, ps, t, batch, err, every)
		return
	}
	now := b.now()
	b.metrics.sent.WithLabelValues(string(p), string(msg.Kind)).Inc()
	// A digest's alerts are not edited later (the edit would replace the
	// whole digest with one alert), so their log entries keep no message ID.
	logID := msgID
	if msg.Kind == alerts.DeliverDigest {
		logID = ""
	}
	var ids []string
	var recs []alerts.Sent
	for _, d := range batch {
		ids = append(ids, d.ID)
		for _, a := range d.Alerts {
			recs = append(recs, alerts.Sent{Key: a.Key(), Target: t.ID, Story: a.Story, MessageID: logID,
				At: now, Sources: a.Sources, Alert: a, ButtonToken: token})
			if d.Kind != alerts.DeliverEdit && !a.Article.Ingested.IsZero() {
				b.metrics.latency.WithLabelValues(string(p)).Observe(now.Sub(a.Article.Ingested).Seconds())
			}
		}
	}
	s.record(ids, recs)
	s.finish(t.ID, batch, nil, true, every)
}

// record logs a sent message. When the store fails, the record is kept in
// memory and retried at every reload, and the deliveries stay out of the
// queue meanwhile: a message that went out is never sent again because its
// record could not be written.
func (s *scheduler) record(ids []string, recs []alerts.Sent) {
	if err := s.outbox.CompleteAll(ids, recs); err != nil {
		s.b.log.Error("Delivery sent but not recorded; will retry the record", "ids", ids, "err", err)
		s.mu.Lock()
		s.unrecorded = append(s.unrecorded, unrecorded{ids: ids, recs: recs})
		s.mu.Unlock()
	}
}

type unrecorded struct {
	ids  []string
	recs []alerts.Sent
}

// retryRecords writes the records that failed before and returns the IDs
// of those still unwritten.
func (s *scheduler) retryRecords() map[string]bool {
	s.mu.Lock()
	pending := s.unrecorded
	s.unrecorded = nil
	s.mu.Unlock()
	out := map[string]bool{}
	var still []unrecorded
	for _, u := range pending {
		if err := s.outbox.CompleteAll(u.ids, u.recs); err != nil {
			still = append(still, u)
			for _, id := range u.ids {
				out[id] = true
			}
		}
	}
	s.mu.Lock()
	s.unrecorded = append(s.unrecorded, still...)
	s.mu.Unlock()
	return out
}

// failed classifies a send error: a gone target is deactivated, a rate
// limit waits, a migrated chat moves, anything else backs off and retries.
func (b *Bot) failed(s *scheduler, ps *platformState, t alerts.Target, batch []alerts.Delivery, err error, every time.Duration) {
	p := string(t.ID.Platform())
	now := b.now()
	var ra *alerts.RetryAfterError
	var mig *alerts.MigratedError
	if batch[0].Kind == alerts.DeliverEdit && !errors.As(err, &ra) && (errors.Is(err, alerts.ErrUnreachable) || batch[0].Attempts+1 >= maxEditAttempts) {
		// The alert may have been deleted, or may no longer be editable: an
		// edit is a courtesy, so it is given up, and the chat is left as it
		// is (the next alert will tell whether it is really gone).
		b.metrics.failed.WithLabelValues(p, "edit_given_up").Inc()
		b.log.Info("Alert update given up", "target", t.ID, "message", batch[0].MessageID, "err", err)
		for _, d := range batch {
			s.outbox.Drop(d.ID, "edit given up: "+err.Error())
		}
		s.finish(t.ID, batch, nil, true, every)
		return
	}
	switch {
	case errors.Is(err, alerts.ErrUnreachable):
		b.metrics.failed.WithLabelValues(p, "unreachable").Inc()
		b.log.Warn("Target unreachable; deactivated", "target", t.ID, "err", err)
		if derr := b.deactivate(t.ID, err.Error()); derr != nil {
			b.log.Error("Target not deactivated", "target", t.ID, "err", derr)
		}
		for _, d := range batch {
			s.outbox.Drop(d.ID, err.Error())
		}
		s.finish(t.ID, batch, nil, true, every)
		return
	case errors.As(err, &ra):
		b.metrics.failed.WithLabelValues(p, "rate_limited").Inc()
		if ra.Global {
			s.mu.Lock()
			ps.paused = now.Add(ra.After)
			s.mu.Unlock()
		}
		s.finish(t.ID, nil, nil, true, max(ra.After, every)) // still first in line
		return
	case errors.As(err, &mig):
		b.metrics.failed.WithLabelValues(p, "migrated").Inc()
		to := alerts.NewTargetID(t.ID.Platform(), mig.NewChatID)
		if merr := b.TargetMigrated(context.Background(), t.ID, to); merr != nil {
			b.log.Error("Migrated chat not moved", "from", t.ID, "to", to, "err", merr)
		} else {
			b.log.Info("Chat migrated; target moved", "from", t.ID, "to", to)
		}
		s.finish(t.ID, batch, nil, true, every) // the entries moved with the target
		s.mu.Lock()
		delete(s.targets, t.ID)
		s.mu.Unlock()
		if err := s.reload(); err != nil {
			b.log.Error("Outbox unreadable", "err", err)
		}
		return
	}
	b.metrics.failed.WithLabelValues(p, "error").Inc()
	var updated, given []alerts.Delivery
	for _, d := range batch {
		d.Attempts++
		if d.Attempts >= MaxAttempts {
			b.log.Error("Delivery given up after repeated failures", "target", t.ID, "id", d.ID, "attempts", d.Attempts, "err", err)
			if derr := s.outbox.Drop(d.ID, fmt.Sprintf("gave up after %d attempts: %v", d.Attempts, err)); derr != nil {
				b.log.Error("Outbox entry not dropped", "id", d.ID, "err", derr)
			}
			given = append(given, d)
			continue
		}
		back := backoff(d.Attempts)
		if d.LastError != err.Error() {
			b.log.Warn("Send failed; will retry", "target", t.ID, "id", d.ID, "attempt", d.Attempts, "in", back.Round(time.Millisecond), "err", err)
		}
		d.LastError = err.Error()
		d.NotBefore = now.Add(back)
		if rerr := s.outbox.Reschedule(d); rerr != nil {
			b.log.Error("Delivery not rescheduled", "id", d.ID, "err", rerr)
		}
		updated = append(updated, d)
	}
	s.finish(t.ID, given, updated, true, every)
}

// backoff is exponential from 1 s, capped at 30 min, with ±50 % jitter.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt-1, 11)
	d = min(d, 30*time.Minute)
	return time.Duration(float64(d) * (0.5 + mrand.Float64()))
}

var tokenEnc = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// newToken returns a random 13-character button token. It is stored with
// the alert's log entry when the send completes; an alert whose send was
// not recorded is sent again, with new buttons.
func newToken() string {
	var raw [8]byte
	rand.Read(raw[:])
	return tokenEnc.EncodeToString(raw[:])
}

// alertButtons are the buttons of an alert: the action letter and the
// alert's token.
func alertButtons(token string) []MessageButton {
	return []MessageButton{
		{Action: alerts.ButtonMute, Label: "Mute 8h", Token: "m:" + token},
		{Action: alerts.ButtonUnsub, Label: "Unsubscribe", Token: "u:" + token},
		{Action: alerts.ButtonWhy, Label: "Why?", Token: "w:" + token},
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
