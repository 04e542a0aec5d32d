package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

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
	// reload reads the whole outbox again (a migrated chat's entries
	// moved under another target).
	reload func() error

	mu sync.Mutex
	// unrecorded are messages sent whose log entries failed to write.
	unrecorded []unrecorded
}

type unrecorded struct {
	ids  []string
	recs []alerts.Sent
}

// end finishes a turn in the queue and in the chat's pacing.
// served says whether a message went out (or was refused by the platform);
// the chat's next send waits at least after.
func (o *outcomes) end(d *dispatcher, id alerts.TargetID, done, updated []alerts.Delivery, served bool, after time.Duration) {
	o.cache.finish(id, done, updated, served)
	d.pacer.end(id.Chat(), after)
	d.poke()
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
	var ids []string
	var recs []alerts.Sent
	for _, dl := range batch {
		ids = append(ids, dl.ID)
		for _, a := range dl.Alerts {
			recs = append(recs, alerts.Sent{Key: a.Key(), Target: t.ID, Story: a.Story, MessageID: logID,
				At: now, Sources: a.Sources, Alert: a, ButtonToken: token})
			if dl.Kind != alerts.DeliverEdit && !a.Article.Ingested.IsZero() {
				b.metrics.latency.WithLabelValues(p).Observe(now.Sub(a.Article.Ingested).Seconds())
			}
		}
	}
	o.record(ids, recs)
	o.end(d, t.ID, batch, nil, true, every)
}

// record logs a sent message. When the store fails, the record is kept in
// memory and retried at every reload, and the deliveries stay out of the
// queue meanwhile: a message that went out is never sent again because its
// record could not be written.
func (o *outcomes) record(ids []string, recs []alerts.Sent) {
	if err := o.outbox.CompleteAll(ids, recs); err != nil {
		o.b.log.Error("Delivery sent but not recorded; will retry the record", "ids", ids, "err", err)
		o.mu.Lock()
		o.unrecorded = append(o.unrecorded, unrecorded{ids: ids, recs: recs})
		o.mu.Unlock()
	}
}

// retryRecords writes the records that failed before and returns the IDs
// of those still unwritten.
func (o *outcomes) retryRecords() map[string]bool {
	o.mu.Lock()
	pending := o.unrecorded
	o.unrecorded = nil
	o.mu.Unlock()
	out := map[string]bool{}
	var still []unrecorded
	for _, u := range pending {
		if err := o.outbox.CompleteAll(u.ids, u.recs); err != nil {
			still = append(still, u)
			for _, id := range u.ids {
				out[id] = true
			}
		}
	}
	o.mu.Lock()
	o.unrecorded = append(o.unrecorded, still...)
	o.mu.Unlock()
	return out
}

// drop gives deliveries up with a reason. A delivery the store could not
// drop stays queued: it is logged, and tried again after a backoff (kept
// in memory, as the store refused the write).
func (o *outcomes) drop(ds []alerts.Delivery, reason string) (dropped, kept []alerts.Delivery) {
	now := o.b.now()
	for _, d := range ds {
		if err := o.outbox.Drop(d.ID, reason); err != nil && !errors.Is(err, alerts.ErrNotFound) {
			o.b.log.Error("Outbox entry not dropped; will try again", "id", d.ID, "target", d.Target, "reason", reason, "err", err)
			o.b.metrics.failed.WithLabelValues(string(d.Target.Platform()), "drop_failed").Inc()
			d.Attempts++
			d.NotBefore = now.Add(retryDelay(d.Attempts))
			kept = append(kept, d)
			continue
		}
		dropped = append(dropped, d)
	}
	return dropped, kept
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
		done, kept := o.drop(batch, "edit given up: "+err.Error())
		o.end(d, t.ID, done, kept, true, every)
		return
	}
	switch {
	case errors.Is(err, alerts.ErrUnreachable):
		b.metrics.failed.WithLabelValues(p, "unreachable").Inc()
		b.log.Warn("Target unreachable; deactivated", "target", t.ID, "err", err)
		if derr := b.deactivate(t.ID, err.Error()); derr != nil {
			b.log.Error("Target not deactivated", "target", t.ID, "err", derr)
		}
		done, kept := o.drop(batch, err.Error())
		o.end(d, t.ID, done, kept, true, every)
		return
	case errors.As(err, &ra):
		b.metrics.failed.WithLabelValues(p, "rate_limited").Inc()
		if ra.Global {
			d.pacer.pause(now.Add(ra.After))
		}
		o.end(d, t.ID, nil, nil, true, max(ra.After, every)) // still first in line
		return
	case errors.As(err, &mig):
		b.metrics.failed.WithLabelValues(p, "migrated").Inc()
		to := alerts.NewTargetID(t.ID.Platform(), mig.NewChatID)
		if merr := b.TargetMigrated(context.Background(), t.ID, to); merr != nil {
			b.log.Error("Migrated chat not moved", "from", t.ID, "to", to, "err", merr)
		} else {
			b.log.Info("Chat migrated; target moved", "from", t.ID, "to", to)
		}
		o.end(d, t.ID, batch, nil, true, every) // the entries moved with the target
		o.cache.remove(t.ID)
		if err := o.reload(); err != nil {
			b.log.Error("Outbox unreadable", "err", err)
		}
		return
	}
	b.metrics.failed.WithLabelValues(p, "error").Inc()
	var updated, given []alerts.Delivery
	for _, dl := range batch {
		dl.Attempts++
		if dl.Attempts >= MaxAttempts {
			b.log.Error("Delivery given up after repeated failures", "target", t.ID, "id", dl.ID, "attempts", dl.Attempts, "err", err)
			done, kept := o.drop([]alerts.Delivery{dl}, fmt.Sprintf("gave up after %d attempts: %v", dl.Attempts, err))
			given, updated = append(given, done...), append(updated, kept...)
			continue
		}
		back := retryDelay(dl.Attempts)
		if dl.LastError != err.Error() {
			b.log.Warn("Send failed; will retry", "target", t.ID, "id", dl.ID, "attempt", dl.Attempts, "in", back.Round(time.Millisecond), "err", err)
		}
		dl.LastError = err.Error()
		dl.NotBefore = now.Add(back)
		if rerr := o.outbox.Reschedule(dl); rerr != nil {
			b.log.Error("Delivery not rescheduled", "id", dl.ID, "err", rerr)
		}
		updated = append(updated, dl)
	}
	o.end(d, t.ID, given, updated, true, every)
}

// retryDelay is how long a delivery waits after its attempt-th failure:
// exponential from 1 s, doubling, capped at 30 min, with ±50 % jitter.
func retryDelay(attempt int) time.Duration {
	b := &backoff.ExponentialBackOff{InitialInterval: time.Second, RandomizationFactor: 0.5,
		Multiplier: 2, MaxInterval: 30 * time.Minute}
	b.Reset()
	d := b.NextBackOff()
	for range attempt - 1 {
		d = b.NextBackOff()
	}
	return d
}
