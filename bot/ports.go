package bot

import (
	"context"
	"time"

	"github.com/herald-news/herald/alerts"
)

// This file declares what the bot needs from the rest of Herald, besides
// the store (store.go). Each platform adapter implements Sender and feeds
// Commands in; adapters/feeds produces articles and implements Catalog. None
// of these types carry a bbolt or platform type, so a cluster mode can swap
// the implementations.

// Message is an alert or digest ready for a platform to format: the
// adapter turns it into HTML, an embed or console text.
type Message struct {
	Kind   alerts.DeliveryKind
	Alerts []alerts.Alert
	// Buttons carry stored tokens; they are attached to single alerts.
	Buttons []MessageButton
	// Edit is true when this replaces an earlier message.
	Edit bool
}

// MessageButton is one button on an alert: a label and an opaque token of
// at most 16 bytes that the adapter sends back through Command.Button.
type MessageButton struct {
	Action alerts.ButtonAction
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
	// Guild is the Discord server the chat belongs to; empty elsewhere.
	Guild string
	// Role and RoleName are a Discord role given to the command (the
	// role option of /subscribe), by ID and name.
	Role, RoleName string
	// Lang is the language of whoever gave the command, as the platform
	// says (Telegram's language_code, Discord's locale): "ru", "uk-UA".
	Lang string
	// CanManage is the platform's word on whether the user may manage a
	// group or channel target (ignored for DMs). Adapters fail closed:
	// false when they could not find out.
	CanManage bool
	// Text is the command line, "/subscribe ceasefire", with any
	// "@BotName" suffix removed.
	Text string
	// Button is the data of a pressed button: an alert button's token,
	// or a ReplyButton's Command. Text is then empty.
	Button string
	// File is the file attached to the command (/import), fetched by the
	// adapter; nil without one.
	File *File
	// Operator is true for the operator of this Herald at its own
	// terminal (the console): no command budget, and /sources adds and
	// removes feeds as the operator does.
	Operator bool
}

// Reply is the bot's answer to a command, in plain text: adapters escape it
// for their markup.
type Reply struct {
	Text string
	// Buttons under the reply offer a follow-up; the text also says how
	// to type it, for platforms without buttons (the console).
	Buttons []ReplyButton
	// Preview, when set, is an alert to show after the text as the chat
	// would receive it (/format), without buttons.
	Preview *Preview
	// File, when set, is sent with the text: a Telegram document, a
	// Discord attachment, printed on the console (/export).
	File *File
}

// File is a small text file a chat receives (/export) or attaches to a
// command (/import).
type File struct {
	Name string
	Data []byte
}

// MaxFileSize is the largest file a command reads: adapters refuse to
// fetch a bigger attachment.
const MaxFileSize = 256 << 10

// Preview is an alert laid out for a chat: the adapter renders Message
// for Target as it renders alerts.
type Preview struct {
	Target  alerts.Target
	Message Message
}

// ReplyButton is a button under a reply that runs Command when pressed,
// as if the person who pressed it had typed it there: the same checks
// apply. Command starts with "/" and fits in 64 bytes (Telegram's
// callback_data).
type ReplyButton struct {
	Label   string
	Command string
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

// StoryPreparer is a Clusterer whose work on an article splits in two:
// Prepare reads the article, beside other articles, without touching the
// stories, and the assign it returns is Assign's remainder, called in the
// article's turn (articles are assigned in the order they arrived).
// Ingest uses it when the Clusterer has it.
type StoryPreparer interface {
	Prepare(a *alerts.Article) (assign func() (s alerts.Story, joined bool))
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
