package alerts

import (
	"slices"
	"time"
)

// The records below are what the bot's delivery keeps in a store: the
// outbox (Delivery), the delivery log (Sent) and alert buttons (Button).
// They live here, with the other domain types, so that a store implements
// the bot's interfaces without importing the bot, and so that every store
// writes the same JSON: the tags are the stored format (bbolt values today,
// JetStream messages and key-value entries in cluster mode), and renaming
// one is a schema change.

// DeliveryKind says what a delivery does on the platform.
type DeliveryKind string

// The kinds of delivery.
const (
	// DeliverAlert posts a new alert.
	DeliverAlert DeliveryKind = "alert"
	// DeliverEdit edits a sent alert whose story gained sources.
	DeliverEdit DeliveryKind = "edit"
	// DeliverDigest posts several alerts as one message.
	DeliverDigest DeliveryKind = "digest"
)

// Delivery is one outbox entry: something to post to a target.
type Delivery struct {
	// ID is unique in the outbox. For an alert it is the alert key
	// (Alert.Key), so the same story planned twice for a target is one
	// delivery; an edit's ID is the alert key and ":edit".
	ID     string       `json:"id"`
	Kind   DeliveryKind `json:"kind"`
	Target TargetID     `json:"target"`
	// Alerts holds one alert, or several for a digest.
	Alerts []Alert `json:"alerts"`
	// MessageID is the platform message to edit, for DeliverEdit.
	MessageID string    `json:"message_id,omitempty"`
	Created   time.Time `json:"created"`
	// NotBefore holds a delivery back (digest time, quiet hours, backoff).
	NotBefore time.Time `json:"not_before,omitzero"`
	// Held is set when NotBefore is the chat's digest time or the end of
	// its quiet hours: held alerts go out together as one digest.
	Held      bool   `json:"held,omitempty"`
	Attempts  int    `json:"attempts,omitempty"`
	LastError string `json:"last_error,omitempty"`
	// Seq orders the outbox: the store sets it when the delivery first
	// enters the outbox and keeps it when the entry is replaced.
	Seq uint64 `json:"seq,omitempty"`
}

// Sent is a delivery log entry: what went out (or was given up), and the
// platform's message ID so the alert can be edited later.
type Sent struct {
	// Key is the alert key (Alert.Key): one entry per target and story.
	Key    string   `json:"key"`
	Target TargetID `json:"target"`
	Story  string   `json:"story,omitempty"`
	// MessageID is the platform message that carries the alert; empty for
	// an alert sent in a digest (a digest is not edited) or given up.
	MessageID string    `json:"message_id,omitempty"`
	At        time.Time `json:"at"`
	// Sources are the outlets the sent message names.
	Sources []string `json:"sources,omitempty"`
	// Dropped is set when the delivery was given up, with the reason.
	Dropped string `json:"dropped,omitempty"`
	// Alert is the alert as sent, for /why.
	Alert Alert `json:"alert"`
	// ButtonToken, when set, is stored with the entry as the alert's
	// buttons: a Button for Target, the alert's subscriptions and Key.
	ButtonToken string `json:"button,omitempty"`
}

// Button is the Button stored with the entry under ButtonToken: its
// target, the subscriptions the alert matched, and its key.
func (s Sent) Button() Button {
	subs := make([]uint64, 0, len(s.Alert.Matches))
	for _, m := range s.Alert.Matches {
		subs = append(subs, m.Sub)
	}
	return Button{Target: s.Target, Subs: subs, Key: s.Key}
}

// ButtonAction is what an alert button does.
type ButtonAction string

// The alert buttons.
const (
	ButtonMute  ButtonAction = "mute"
	ButtonUnsub ButtonAction = "unsub"
	ButtonWhy   ButtonAction = "why"
)

// Button is the stored meaning of an alert button's token. The token
// itself is random and means nothing: a forged one resolves to nothing.
type Button struct {
	// Action may be empty: one stored Button serves all of an alert's
	// buttons (the delivery log stores it without one), and the pressed
	// button's action travels in the token the platform sends back.
	Action ButtonAction `json:"a"`
	Target TargetID     `json:"t"`
	// Subs are the subscriptions the alert named (mute and unsubscribe act
	// on them).
	Subs []uint64 `json:"s,omitempty"`
	// Key is the alert's delivery key (why reads the log entry).
	Key string `json:"k,omitempty"`
}

// QueueHead sums up one target's queued deliveries, as a store's outbox
// reports it to the scheduler without handing over the deliveries.
type QueueHead struct {
	Target TargetID
	// Count is how many deliveries wait for the target.
	Count int
	// Next is the NotBefore of the delivery due first (zero: due now), and
	// Seq its Seq.
	Next time.Time
	Seq  uint64
}

// ArticleCommit is what ingest commits for one article: the article, the
// story it tells and the deliveries planned for it, all or nothing (the
// bot's Articles.CommitAll takes several at once).
type ArticleCommit struct {
	Article Article
	Story   Story
	Planned []Delivery
}

// EditOfSent is the edit an alert delivery becomes when its alert was
// already sent as sent: the story gained an outlet while its alert was on
// the way, after planning had looked for a sent alert to edit (the delivery
// reached the outbox after the send was logged, or replaced the queued
// entry while it was being sent). Every store applies it, in Enqueue and
// CompleteAll (see the bot's Outbox). The edit carries the alert as sent,
// with the delivery's sources, as planning's own edits do, under the ID
// sent.Key+":edit", so an edit queued twice is one. ok is false when there
// is nothing to edit: not a single alert, the same sources, a dropped
// alert, or one sent in a digest (no message ID; a digest is not edited).
func EditOfSent(sent Sent, dl Delivery) (edit Delivery, ok bool) {
	if dl.Kind != DeliverAlert || len(dl.Alerts) != 1 || sent.MessageID == "" || sent.Dropped != "" ||
		slices.Equal(dl.Alerts[0].Sources, sent.Sources) {
		return Delivery{}, false
	}
	al := sent.Alert
	al.Sources = dl.Alerts[0].Sources
	return Delivery{ID: sent.Key + ":edit", Kind: DeliverEdit, Target: sent.Target,
		Alerts: []Alert{al}, MessageID: sent.MessageID, Created: dl.Created}, true
}

// Story is the story of the delivery's first alert ("" when it has none):
// every alert and edit entry carries exactly one.
func (d Delivery) Story() string {
	if len(d.Alerts) == 0 {
		return ""
	}
	return d.Alerts[0].Story
}
