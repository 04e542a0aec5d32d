package bot

import (
	"context"
	"time"

	"github.com/herald-news/herald/alerts"
)

// This file declares what the bot needs from the rest of Herald. storage
// implements Store; each platform adapter implements Sender and feeds
// Commands in; adapters/feeds produces articles. None of these types carry a
// bbolt or platform type, so a cluster mode can swap the implementations.

// Store is everything the bot keeps across restarts. Implementations must be
// safe for concurrent use. Methods return alerts.ErrNotFound (wrapped) for a
// missing thing.
type Store interface {
	GetTarget(id alerts.TargetID) (alerts.Target, error)
	PutTarget(t alerts.Target) error
	ListTargets() ([]alerts.Target, error)

	// AddSubscription stores a new subscription and returns it with its ID.
	AddSubscription(s alerts.Subscription) (alerts.Subscription, error)
	PutSubscription(s alerts.Subscription) error
	GetSubscription(id uint64) (alerts.Subscription, error)
	DeleteSubscription(id uint64) error
	ListSubscriptions(target alerts.TargetID) ([]alerts.Subscription, error)
	// ForEachSubscription calls fn for every stored subscription.
	ForEachSubscription(fn func(alerts.Subscription) error) error
	// MoveTarget moves a target and its subscriptions to a new ID (a chat
	// that migrated), keeping everything else.
	MoveTarget(from, to alerts.TargetID) error

	// Seen reports whether an article with the same ID, GUID, canonical URL
	// or content hash was ingested before, and the stored one if so.
	Seen(a *alerts.Article) (prev alerts.Article, seen bool, err error)
	// RecentArticles returns up to n of the most recently ingested
	// articles, newest first.
	RecentArticles(n int) ([]alerts.Article, error)
	GetArticle(id string) (alerts.Article, error)
	GetStory(id string) (alerts.Story, error)

	// Commit records an ingested article, its story, and the deliveries
	// planned for it in one transaction: after a crash either all of it is
	// there or none.
	Commit(a alerts.Article, s alerts.Story, planned []Delivery) error

	// Enqueue adds deliveries to the outbox (digests, edits, catch-ups).
	// A delivery whose ID is already in the outbox is replaced.
	Enqueue(d ...Delivery) error
	// Pending returns up to limit outbox entries, oldest first.
	Pending(limit int) ([]Delivery, error)
	// Complete removes a delivery from the outbox and writes its delivery
	// log entries (one per alert it carried) in one transaction.
	Complete(id string, recs ...Sent) error
	// CompleteAll does the same for several deliveries sent as one message
	// (a digest), in one transaction.
	CompleteAll(ids []string, recs []Sent) error
	// Reschedule updates an outbox entry after a failed attempt.
	Reschedule(d Delivery) error
	// Drop removes an outbox entry that can never be sent (its target is
	// gone), recording why in the delivery log.
	Drop(id string, reason string) error
	// Sent returns the delivery log entry for an alert key.
	Sent(key string) (Sent, error)
	// SentForStory returns the log entries of every target alerted about a
	// story.
	SentForStory(story string) ([]Sent, error)
	// LastSent returns the newest log entry of a target (for /why).
	LastSent(target alerts.TargetID) (Sent, error)
	// Prune forgets articles, stories, log entries and buttons older than
	// the cutoff, and returns how many records went.
	Prune(before time.Time) (int, error)

	// Button resolves the token of an alert button; Complete stores it
	// with the alert (Sent.ButtonToken).
	Button(token string) (Button, error)

	// GetMeta and PutMeta keep small named values (update offsets, cursors).
	GetMeta(key string) ([]byte, error)
	PutMeta(key string, v []byte) error
}

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
	// ID is unique in the outbox. For an alert it is the alert key, so the
	// same story planned twice for a target is one delivery.
	ID     string          `json:"id"`
	Kind   DeliveryKind    `json:"kind"`
	Target alerts.TargetID `json:"target"`
	// Alerts holds one alert, or several for a digest.
	Alerts []alerts.Alert `json:"alerts"`
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
	// Seq orders the outbox; the store sets it.
	Seq uint64 `json:"seq,omitempty"`
}

// Sent is a delivery log entry: what went out, and the platform's message
// ID so the alert can be edited later.
type Sent struct {
	Key       string          `json:"key"`
	Target    alerts.TargetID `json:"target"`
	Story     string          `json:"story,omitempty"`
	MessageID string          `json:"message_id,omitempty"`
	At        time.Time       `json:"at"`
	// Sources are the outlets the sent message names.
	Sources []string `json:"sources,omitempty"`
	// Dropped is set when the delivery was given up, with the reason.
	Dropped string `json:"dropped,omitempty"`
	// Alert is the alert as sent, for /why.
	Alert alerts.Alert `json:"alert"`
	// ButtonToken, when set, is stored with the entry as the alert's
	// buttons: a Button for Target, the alert's subscriptions and Key.
	ButtonToken string `json:"button,omitempty"`
}

// ButtonAction is what an alert button does.
type ButtonAction string

// The alert buttons.
const (
	ButtonMute  ButtonAction = "mute"
	ButtonUnsub ButtonAction = "unsub"
	ButtonWhy   ButtonAction = "why"
)

// Button is the stored meaning of an alert button.
type Button struct {
	Action ButtonAction    `json:"a"`
	Target alerts.TargetID `json:"t"`
	// Subs are the subscriptions the alert named (mute and unsubscribe act
	// on them).
	Subs []uint64 `json:"s,omitempty"`
	// Key is the alert's delivery key (why reads the log entry).
	Key string `json:"k,omitempty"`
}

// Message is an alert or digest ready for a platform to format: the
// adapter turns it into HTML, an embed or console text.
type Message struct {
	Kind   DeliveryKind
	Alerts []alerts.Alert
	// Buttons carry stored tokens; they are attached to single alerts.
	Buttons []MessageButton
	// Edit is true when this replaces an earlier message.
	Edit bool
}

// MessageButton is one button on an alert: a label and an opaque token of
// at most 16 bytes that the adapter sends back through Command.Button.
type MessageButton struct {
	Action ButtonAction
	Label  string
	Token  string
}

// Sender delivers messages on one platform. Errors are classified by
// wrapping: alerts.ErrUnreachable (permanent, deactivate the target),
// *alerts.RetryAfterError (wait), *alerts.MigratedError (move and resend);
// anything else is retried with backoff.
type Sender interface {
	Platform() alerts.Platform
	// Send posts a message and returns the platform's message ID.
	Send(ctx context.Context, t alerts.Target, m Message) (messageID string, err error)
	// Edit replaces the content of a message Send returned.
	Edit(ctx context.Context, t alerts.Target, messageID string, m Message) error
}

// Command is one command or button press from a platform.
type Command struct {
	// Target is the chat the command was given in; the adapter fills ID,
	// Kind and Title.
	Target alerts.Target
	// UserID identifies who gave it, on the platform.
	UserID   string
	UserName string
	// CanManage is the platform's word on whether the user may manage a
	// group or channel target (ignored for DMs). Adapters fail closed:
	// false when they could not find out.
	CanManage bool
	// Text is the command line, "/subscribe ceasefire", with any
	// "@BotName" suffix removed.
	Text string
	// Button is the token of a pressed alert button; Text is then empty.
	Button string
}

// Reply is the bot's answer to a command, in plain text: adapters escape it
// for their markup.
type Reply struct {
	Text string
}

// ArticleSource produces articles; adapters/feeds implements it.
type ArticleSource interface {
	Run(ctx context.Context, out chan<- alerts.Article) error
}

// Clusterer assigns an article to a story: a recent story telling the same
// event, or a new one.
type Clusterer interface {
	Assign(a *alerts.Article) (s alerts.Story, joined bool)
}

// Catalog lists and extends the feeds Herald polls, for /sources;
// adapters/feeds implements it.
type Catalog interface {
	Sources() []SourceStatus
	// AddSource starts polling a feed a chat admin added. It refuses
	// private, loopback and link-local addresses unless the operator
	// allowed them, with an error that says why.
	AddSource(ctx context.Context, url string, by alerts.TargetID) (SourceStatus, error)
	// RemoveSource stops polling a feed added from chat. by is the chat
	// asking, and only the chat that added the feed may ("" is the
	// operator). It refuses feeds the operator configured.
	RemoveSource(ctx context.Context, url string, by alerts.TargetID) error
}

// SourceStatus is one feed's health, as /sources shows it.
type SourceStatus struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
	// State is "ok", "failing" or "disabled".
	State        string    `json:"state"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	LastOK       time.Time `json:"last_ok,omitzero"`
	NextPoll     time.Time `json:"next_poll,omitzero"`
	// UserAdded is set for feeds added from chat, with the chat that
	// added it (empty for feeds added before Herald recorded it: only the
	// operator removes those).
	UserAdded bool            `json:"user_added,omitempty"`
	AddedBy   alerts.TargetID `json:"added_by,omitempty"`
	// Notice is something about the feed that is not a failure but
	// explains what it did, such as new items withheld as a flood.
	Notice string `json:"notice,omitempty"`
}
