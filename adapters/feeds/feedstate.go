package feeds

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-news/herald/alerts"
)

// feed is one polled feed: its persisted state and its place in the queue.
type feed struct {
	id   string // WebSub callback ID
	host string // host[:port] of the feed's URL, for the per-host limit

	// Guarded by Poller.mu.
	due     time.Time
	index   int
	inQueue bool
	polling bool
	// removed is set when the feed leaves the catalogue: it is never
	// queued, emitted from or saved again. Atomic, as the WebSub handler
	// reads it holding f.mu (and p.mu is taken before f.mu).
	removed atomic.Bool

	mu sync.Mutex // guards st and lastLogged
	st feedState
	// lastLogged is the last error logged, so a feed failing the same way
	// is logged once, not at every poll.
	lastLogged string
	// savedAt is when the state was last written.
	savedAt time.Time
	// foreign is set while another process polls the feed (cluster
	// mode): its state here is stale until read again.
	foreign bool
}

// saveEvery is how often the state of a feed that answers 304 is written.
const saveEvery = time.Hour

// feedState is what is kept of a feed across restarts, as JSON under
// "feed:<url>".
type feedState struct {
	URL       string `json:"url"`
	Title     string `json:"title,omitempty"`
	UserAdded bool   `json:"user_added,omitempty"`
	// AddedBy is the chat that added a user-added feed; only it may
	// remove it.
	AddedBy alerts.TargetID `json:"added_by,omitempty"`
	Extract bool            `json:"extract,omitempty"`

	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`

	Failures     int       `json:"failures,omitempty"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	LastOK       time.Time `json:"last_ok,omitzero"`
	Disabled     bool      `json:"disabled,omitempty"`

	Interval time.Duration `json:"interval,omitempty"`
	NextPoll time.Time     `json:"next_poll,omitzero"`

	// Baselined is set once the first successful fetch remembered the
	// backlog without emitting it.
	Baselined bool `json:"baselined,omitempty"`
	// Seen holds hashes of the items seen lately, oldest first, bounded.
	Seen []uint64 `json:"seen,omitempty"`
	// FloodAt is when a poll last found more new items than the flood
	// cap, FloodItems how many: they became the baseline, unsent.
	FloodAt    time.Time `json:"flood_at,omitzero"`
	FloodItems int       `json:"flood_items,omitempty"`

	// WebSub subscription. CallbackID names the callback URL.
	CallbackID string    `json:"callback_id,omitempty"`
	Hub        string    `json:"hub,omitempty"`
	Topic      string    `json:"topic,omitempty"`
	Secret     string    `json:"secret,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// SubscribeAsked is when we last asked the hub, to not ask again
	// before the hub had time to verify.
	SubscribeAsked time.Time `json:"subscribe_asked,omitzero"`
}

const (
	minSeen = 250
	maxSeen = 2000
)
