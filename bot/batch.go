package bot

import (
	"time"

	"github.com/herald-news/herald/alerts"
)

// maxDigestItems caps the alerts of one digest.
const maxDigestItems = 20

// batcher is the stage between the queue and the send: it checks a
// target's due deliveries against the chat as it is now, and picks what
// goes out as one message.
type batcher struct {
	// sub looks up what planning knew of a subscription (in memory).
	sub func(id uint64) (subInfo, bool)
	// backlog is Limits.Backlog: more due alerts than this go out as a
	// catch-up digest.
	backlog int
	now     func() time.Time
}

// recheck re-checks queued alerts against the chat as it is now: a
// subscription removed or muted since the alert was planned no longer
// counts, and an alert with none left (or a chat muted as a whole) is not
// sent. Edits always go.
func (b batcher) recheck(t alerts.Target, due []alerts.Delivery) (keep, gone []alerts.Delivery) {
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
				if si, ok := b.sub(m.Sub); ok && si.Target == t.ID && !si.MutedUntil.After(now) {
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

// batch picks what goes to a target in one message: the oldest due
// delivery, or all due alerts as one digest when the target wants digests,
// they were held (quiet hours), or its backlog passed the threshold.
func (b batcher) batch(t alerts.Target, due []alerts.Delivery, backlog int) []alerts.Delivery {
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
	if t.Settings.Digest != "" || held || backlog > b.backlog {
		return alertsDue[:min(len(alertsDue), maxDigestItems)]
	}
	return due[:1]
}

// message composes what the platform formats: one alert (with its
// buttons, under token), an edit, or a digest of several.
func message(batch []alerts.Delivery, token string) Message {
	msg := Message{Kind: batch[0].Kind, Edit: batch[0].Kind == alerts.DeliverEdit}
	for _, d := range batch {
		msg.Alerts = append(msg.Alerts, d.Alerts...)
	}
	if len(batch) > 1 {
		msg.Kind = alerts.DeliverDigest
	}
	if len(msg.Alerts) == 1 && token != "" {
		msg.Buttons = alertButtons(token)
	}
	return msg
}

// replan moves a chat's held alerts to the hold its settings give now
// (after /digest, /quiet or /timezone changed), so "digest off" sends what
// was waiting for the digest.
func (b *Bot) replan(t alerts.Target) error {
	queued, err := b.store.Queued(t.ID)
	if err != nil {
		return err
	}
	now := b.now()
	var changed []alerts.Delivery
	for _, d := range queued {
		if d.Kind != alerts.DeliverAlert || (!d.Held && !d.NotBefore.IsZero()) {
			continue // held by a retry backoff
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
	b.requeued(t.ID)
	return nil
}
