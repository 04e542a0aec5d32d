package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
)

// MaxAttempts bounds the retries of a delivery that keeps failing with an
// error that is neither a rate limit nor an unreachable chat (a message the
// platform refuses to parse, say). With the backoff's 30-minute cap that is
// about seven hours of trying; then it is dropped, logged as an error and
// recorded in the delivery log with the reason.
const MaxAttempts = 24

// maxEditAttempts bounds the retries of an alert's update.
const maxEditAttempts = 5

// sendTimeout bounds one send.
const sendTimeout = 30 * time.Second

// outcomes is the last stage of a turn: it sends one message and records
// what became of it. A sent message leaves the outbox for the delivery log;
// a failure is classified (a gone chat is deactivated, a rate limit
// waits, a migrated chat moves, anything else backs off and retries).
type outcomes struct {
	b      *Bot
	outbox Outbox
	cache  *outboxCache
	// sendCtx outlives the run's context by ShutdownGrace.
	sendCtx context.Context
	// resync reads every target's head again (a migrated chat's entries
	// moved under another target).
	resync func() error

	mu sync.Mutex
	// unrecorded are messages sent whose log entries failed to write.
	unrecorded []unrecorded
	// held are deliveries the store refused to change (a drop, a
	// reschedule), kept back in memory until then.
	held map[string]time.Time
}

type unrecorded struct {
	done []alerts.Delivery
	recs []alerts.Sent
}

// end finishes a turn: the target's head is read again from the store,
// and its chat's next send waits at least after. served says whether a
// message went out (or the platform refused one).
func (o *outcomes) end(d *dispatcher, id alerts.TargetID, served bool, after time.Duration) {
	h, err := o.outbox.Head(id)
	if err != nil {
		o.b.log.Error("Outbox unreadable; the target waits", "target", id, "err", err)
		h = alerts.QueueHead{Target: id, Count: 1, Next: o.b.now().Add(time.Second)}
	}
	o.cache.finish(id, h, served, after)
	d.pacer.end(id.Chat(), after)
	d.poke()
}

// skip leaves out of a turn the deliveries that must not go now: sent ones
// whose record is being retried, and held ones. wait is how long until one
// of them may go (0 if none was left out).
func (o *outcomes) skip(due []alerts.Delivery, now time.Time) (keep []alerts.Delivery, wait time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range due {
		if t, ok := o.held[d.ID]; ok {
			if t.After(now) {
				if w := t.Sub(now); wait == 0 || w < wait {
					wait = w
				}
				continue
			}
			delete(o.held, d.ID)
		}
		if o.unrecordedLocked(d.ID) {
			if wait == 0 || time.Second < wait {
				wait = time.Second // the record is retried at the next resync
			}
			continue
		}
		keep = append(keep, d)
	}
	return keep, wait
}

// skipping is how many deliveries skip may leave out.
func (o *outcomes) skipping() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(o.held)
	for _, u := range o.unrecorded {
		n += len(u.done)
	}
	return n
}

func (o *outcomes) unrecordedLocked(id string) bool {
	for _, u := range o.unrecorded {
		for _, dl := range u.done {
			if dl.ID == id {
				return true
			}
		}
	}
	return false
}

// hold keeps a delivery back until t in memory: the store refused to.
func (o *outcomes) hold(id string, t time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.held == nil {
		o.held = map[string]time.Time{}
	}
	o.held[id] = t
}

// send delivers one message in the place the pacer granted, gives the
// place back once the platform answered, and records the outcome.
func (o *outcomes) send(d *dispatcher, t alerts.Target, batch []alerts.Delivery) {
	token := newToken()
	msg := message(batch, token)
	if msg.Buttons == nil {
		token = ""
	}
	// A send in flight at shutdown may finish within the grace period, so
	// its outcome is recorded; after that it is cut off and retried on the
	// next start.
	ctx, cancel := context.WithTimeout(o.sendCtx, sendTimeout)
	defer cancel()
	var msgID string
	var err error
	if msg.Edit {
		err = d.sender.Edit(ctx, t, batch[0].MessageID, msg)
		msgID = batch[0].MessageID
	} else {
		msgID, err = d.sender.Send(ctx, t, msg)
	}
	d.pacer.release()
	every := d.pacer.every(t.Kind)
	if err != nil {
		o.failed(d, t, batch, err, every)
		return
	}
	o.sent(d, t, batch, msg, msgID, token, every)
}

// sent records a message that went out.
func (o *outcomes) sent(d *dispatcher, t alerts.Target, batch []alerts.Delivery, msg Message, msgID, token string, every time.Duration) {
	b := o.b
	p := string(t.ID.Platform())
	now := b.now()
	b.metrics.sent.WithLabelValues(p, string(msg.Kind)).Inc()
	// A digest's alerts are not edited later (the edit would replace the
	// whole digest with one alert), so their log entries keep no message ID.
	logID := msgID
	if msg.Kind == alerts.DeliverDigest {
		logID = ""
	}
	var recs []alerts.Sent
	for _, dl := range batch {
		for _, a := range dl.Alerts {
			recs = append(recs, alerts.Sent{Key: a.Key(), Target: t.ID, Story: a.Story, MessageID: logID,
				At: now, Sources: a.Sources, Alert: a, ButtonToken: token})
			if dl.Kind != alerts.DeliverEdit && !a.Article.Ingested.IsZero() {
				b.metrics.latency.WithLabelValues(p).Observe(now.Sub(a.Article.Ingested).Seconds())
			}
		}
	}
	o.record(batch, recs)
	o.end(d, t.ID, true, every)
}

// record logs a sent message. When the store fails, the record is kept in
// memory and retried at every resync, and the deliveries are skipped
// meanwhile: a message that went out is never sent again because its
// record could not be written.
func (o *outcomes) record(done []alerts.Delivery, recs []alerts.Sent) {
	if err := o.outbox.CompleteAll(done, recs); err != nil {
		ids := make([]string, len(done))
		for i, dl := range done {
			ids[i] = dl.ID
		}
		o.b.log.Error("Delivery sent but not recorded; will retry the record", "ids", ids, "err", err)
		o.mu.Lock()
		o.unrecorded = append(o.unrecorded, unrecorded{done: done, recs: recs})
		o.mu.Unlock()
	}
}

// retryRecords writes the records that failed before.
func (o *outcomes) retryRecords() {
	o.mu.Lock()
	pending := o.unrecorded
	o.unrecorded = nil
	o.mu.Unlock()
	var still []unrecorded
	for _, u := range pending {
		if err := o.outbox.CompleteAll(u.done, u.recs); err != nil {
			still = append(still, u)
		}
	}
	o.mu.Lock()
	o.unrecorded = append(o.unrecorded, still...)
	o.mu.Unlock()
}

// drop gives deliveries up with a reason. A delivery the store could not
// drop stays queued: it is logged, and tried again after a backoff (held
// in memory, as the store refused the write). It returns how long until
// the first one held may be tried again (0 if none was).
func (o *outcomes) drop(ds []alerts.Delivery, reason string) time.Duration {
	now := o.b.now()
	var wait time.Duration
	for _, d := range ds {
		if err := o.outbox.Drop(d, reason); err != nil && !errors.Is(err, alerts.ErrNotFound) {
			o.b.log.Error("Outbox entry not dropped; will try again", "id", d.ID, "target", d.Target, "reason", reason, "err", err)
			o.b.metrics.failed.WithLabelValues(string(d.Target.Platform()), "drop_failed").Inc()
			back := retryDelay(d.Attempts + 1)
			o.hold(d.ID, now.Add(back))
			if wait == 0 || back < wait {
				wait = back
			}
		}
	}
	return wait
}

// failed classifies a send error: a gone target is deactivated, a rate
// limit waits, a migrated chat moves, anything else backs off and retries.
func (o *outcomes) failed(d *dispatcher, t alerts.Target, batch []alerts.Delivery, err error, every time.Duration) {
	b := o.b
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
		o.drop(batch, "edit given up: "+err.Error())
		o.end(d, t.ID, true, every)
		return
	}
	switch {
	case errors.Is(err, alerts.ErrUnreachable):
		b.metrics.failed.WithLabelValues(p, "unreachable").Inc()
		b.log.Warn("Target unreachable; deactivated", "target", t.ID, "err", err)
		if derr := b.deactivate(t.ID, err.Error()); derr != nil {
			b.log.Error("Target not deactivated", "target", t.ID, "err", derr)
		}
		o.drop(batch, err.Error())
		o.end(d, t.ID, true, every)
		return
	case errors.As(err, &ra):
		b.metrics.failed.WithLabelValues(p, "rate_limited").Inc()
		if ra.Global {
			d.pacer.pause(now.Add(ra.After))
		}
		o.end(d, t.ID, true, max(ra.After, every)) // still first in line
		return
	case errors.As(err, &mig):
		b.metrics.failed.WithLabelValues(p, "migrated").Inc()
		to := alerts.NewTargetID(t.ID.Platform(), mig.NewChatID)
		if merr := b.TargetMigrated(context.Background(), t.ID, to); merr != nil {
			b.log.Error("Migrated chat not moved", "from", t.ID, "to", to, "err", merr)
		} else {
			b.log.Info("Chat migrated; target moved", "from", t.ID, "to", to)
		}
		o.end(d, t.ID, true, every) // the entries moved with the target
		o.cache.remove(t.ID)
		if err := o.resync(); err != nil {
			b.log.Error("Outbox unreadable", "err", err)
		}
		return
	}
	b.metrics.failed.WithLabelValues(p, "error").Inc()
	for _, dl := range batch {
		dl.Attempts++
		if dl.Attempts >= MaxAttempts {
			b.log.Error("Delivery given up after repeated failures", "target", t.ID, "id", dl.ID, "attempts", dl.Attempts, "err", err)
			o.drop([]alerts.Delivery{dl}, fmt.Sprintf("gave up after %d attempts: %v", dl.Attempts, err))
			continue
		}
		back := retryDelay(dl.Attempts)
		if dl.LastError != err.Error() {
			b.log.Warn("Send failed; will retry", "target", t.ID, "id", dl.ID, "attempt", dl.Attempts, "in", back.Round(time.Millisecond), "err", err)
		}
		dl.LastError = err.Error()
		dl.NotBefore = now.Add(back)
		if rerr := o.outbox.Reschedule(dl); rerr != nil {
			b.log.Error("Delivery not rescheduled; holding it in memory", "id", dl.ID, "err", rerr)
			o.hold(dl.ID, dl.NotBefore)
		}
	}
	o.end(d, t.ID, true, every)
}

// retryDelay is how long a delivery waits after its attempt-th failure:
// exponential from 1 s, doubling, capped at 30 min, with ±50 % jitter.
func retryDelay(attempt int) time.Duration {
	return Backoff(attempt, time.Second, 30*time.Minute, 0.5)
}
