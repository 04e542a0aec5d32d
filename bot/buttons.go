package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
)

// buttonMute is how long an alert's Mute button pauses its subscriptions.
const buttonMute = 8 * time.Hour

// buttonText holds the replies to alert buttons.
var buttonText = struct {
	Expired    string
	NotManager string // commandText.Group or commandText.Channel
	Gone       string
	Muted      string // the queries
	Unsubbed   string // the queries
	Forgotten  string
}{
	Expired:    "This button has expired.",
	NotManager: "Only people who manage this %s can change its subscriptions.",
	Gone:       "That subscription is gone already.",
	Muted:      "Muted %s for 8 hours.",
	Unsubbed:   "Unsubscribed from %s.",
	Forgotten:  "I no longer remember that alert.",
}

// handleButton acts on an alert button. Tokens resolve through the store,
// so forged or stale data does nothing but say so.
func (b *Bot) handleButton(_ context.Context, c Command, lang string) Reply {
	buttonText := texts(lang, &buttonText)
	expired := Reply{Text: buttonText.Expired}
	action, tok, ok := strings.Cut(c.Button, ":")
	if !ok {
		return expired
	}
	btn, err := b.store.Button(tok)
	// The button acts for the target its alert went to; the press must
	// come from that chat (a forum topic's message may arrive without its
	// topic, so the chat is what is compared).
	if err != nil || btn.Target.Chat() != c.Target.ID.Chat() {
		return expired
	}
	t, err := b.store.GetTarget(btn.Target)
	if err != nil {
		return expired
	}
	if action != "w" && t.Kind != alerts.KindDM && !c.CanManage {
		noun := texts(lang, &commandText).Channel
		if t.Kind == alerts.KindGroup {
			noun = texts(lang, &commandText).Group
		}
		return Reply{Text: fmt.Sprintf(buttonText.NotManager, noun)}
	}
	switch action {
	case "m":
		until := b.now().Add(buttonMute)
		return b.buttonSubs(lang, t, btn, buttonText.Muted, func(s alerts.Subscription) error {
			s.MutedUntil = until
			if err := b.store.PutSubscription(s); err != nil {
				return err
			}
			b.setSub(s)
			return nil
		})
	case "u":
		return b.buttonSubs(lang, t, btn, buttonText.Unsubbed, func(s alerts.Subscription) error {
			return b.removeSub(s.ID)
		})
	case "w":
		s, err := b.store.Sent(btn.Target, btn.Key)
		if err != nil {
			return Reply{Text: buttonText.Forgotten}
		}
		return Reply{Text: b.explainAlert(lang, s.Alert)}
	}
	return expired
}

// buttonSubs applies fn to each subscription an alert named that the
// target still has, and says which with done.
func (b *Bot) buttonSubs(lang string, t alerts.Target, btn alerts.Button, done string, fn func(alerts.Subscription) error) Reply {
	var names []string
	for _, id := range btn.Subs {
		s, err := b.store.GetSubscription(id)
		if errors.Is(err, alerts.ErrNotFound) || (err == nil && s.Target != t.ID) {
			continue
		}
		if err != nil {
			return b.storeTrouble(lang, err)
		}
		if err := fn(s); err != nil {
			return b.storeTrouble(lang, err)
		}
		names = append(names, s.Query)
	}
	if len(names) == 0 {
		return Reply{Text: texts(lang, &buttonText).Gone}
	}
	return Reply{Text: fmt.Sprintf(done, strings.Join(names, ", "))}
}
