package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Platform names a chat platform a Target lives on.
type Platform string

// The platforms Herald speaks.
const (
	PlatformConsole  Platform = "console"
	PlatformTelegram Platform = "telegram"
	PlatformDiscord  Platform = "discord"
)

// TargetKind tells a person's direct messages from a shared chat.
type TargetKind string

// The kinds of target. A DM acts for one person; a group or channel acts
// for everyone in it and needs a manager to change its subscriptions.
const (
	KindDM      TargetKind = "dm"
	KindGroup   TargetKind = "group"
	KindChannel TargetKind = "channel"
)

// TargetID identifies a Target across platforms: "<platform>:<chat id>".
type TargetID string

// NewTargetID builds the ID of a chat on a platform.
func NewTargetID(p Platform, chatID string) TargetID {
	return TargetID(string(p) + ":" + chatID)
}

// Platform returns the platform part of the ID.
func (id TargetID) Platform() Platform {
	p, _, _ := strings.Cut(string(id), ":")
	return Platform(p)
}

// ChatID returns the platform's own chat identifier.
func (id TargetID) ChatID() string {
	_, c, _ := strings.Cut(string(id), ":")
	return c
}

// Chat returns the chat a target belongs to: for a topic of a Telegram
// forum ("telegram:CHAT/THREAD") the forum itself, otherwise the target.
// Permissions, operator allow-lists and a platform's per-chat limits
// belong to the chat.
func (id TargetID) Chat() TargetID {
	if i := strings.IndexByte(string(id), '/'); i >= 0 && strings.IndexByte(string(id), ':') < i {
		return id[:i]
	}
	return id
}

// Target is a place alerts go to: a channel, a group, or a person's DMs.
type Target struct {
	ID     TargetID   `json:"id"`
	Kind   TargetKind `json:"kind"`
	Title  string     `json:"title,omitempty"`
	Active bool       `json:"active"`
	// InactiveReason says why delivery stopped ("bot was blocked by the
	// user"); empty while Active.
	InactiveReason string         `json:"inactive_reason,omitempty"`
	Settings       TargetSettings `json:"settings"`
	Created        time.Time      `json:"created"`
	// Lang is the language (a BCP 47 tag) of whoever last spoke to the
	// bot here, as the platform gave it; TargetSettings.Language wins.
	Lang string `json:"lang,omitempty"`
}

// TargetSettings are what a target's managers chose with /digest, /quiet,
// /timezone and /mute all.
type TargetSettings struct {
	// Digest is "" (immediate), "hourly" or "daily".
	Digest string `json:"digest,omitempty"`
	// DigestAt is "HH:MM" in TimeZone for a daily digest.
	DigestAt string `json:"digest_at,omitempty"`
	// QuietFrom and QuietTo are "HH:MM" in TimeZone; both empty means no
	// quiet hours.
	QuietFrom string `json:"quiet_from,omitempty"`
	QuietTo   string `json:"quiet_to,omitempty"`
	// TimeZone is an IANA zone name, or a fixed offset "UTC+03:00"
	// (zone.go); empty means UTC.
	TimeZone string `json:"tz,omitempty"`
	// MutedUntil silences every subscription of the target until then.
	MutedUntil time.Time `json:"muted_until,omitzero"`
	// NoPreviews turns off link previews where the platform has them.
	NoPreviews bool `json:"no_previews,omitempty"`
	// Language is the language chosen with /language ("en", "ru", "uk");
	// empty follows the language of whoever speaks.
	Language string `json:"language,omitempty"`
	// Threads starts a Discord thread on each alert in a text channel
	// (/threads on).
	Threads bool `json:"threads,omitempty"`
	// Format is the chat's own alert layout (/format, see Template);
	// empty means Herald's.
	Format string `json:"format,omitempty"`
}

// Subscription is one query a target follows.
type Subscription struct {
	ID     uint64   `json:"id"`
	Target TargetID `json:"target"`
	// Query is the query as the user wrote it.
	Query      string    `json:"query"`
	Created    time.Time `json:"created"`
	MutedUntil time.Time `json:"muted_until,omitzero"`
	// Role is a Discord role (its ID) that the subscription's alerts
	// ping, set by a channel's manager; empty pings nobody.
	Role string `json:"role,omitempty"`
	// RoleName is the role's name when it was set, for /list.
	RoleName string `json:"role_name,omitempty"`
}

// Article is one piece of news, cleaned: the matcher, the summariser and the
// story clusterer all read the same text.
type Article struct {
	// ID is stable for the same article: derived from the GUID, else the
	// canonical URL, else the content.
	ID   string `json:"id"`
	GUID string `json:"guid,omitempty"`
	// URL is canonical: tracking parameters, fragments, AMP and mobile
	// variants removed.
	URL   string `json:"url,omitempty"`
	Title string `json:"title"`
	Body  string `json:"body,omitempty"`
	// Summary is a short extract of Body, at most ~320 characters.
	Summary string `json:"summary,omitempty"`
	// Source is the feed's name or the site's domain.
	Source string `json:"source,omitempty"`
	// Outlet is the outlet cited in the title ("… – Bloomberg"), if any.
	Outlet string `json:"outlet,omitempty"`
	// Image is the article's picture, an absolute http(s) URL (never a
	// script or data URL): the feed item's media:content, media:thumbnail
	// or image enclosure, or the page's og:image when the page was read.
	// Empty when there is none.
	Image string `json:"image,omitempty"`
	// Lang is a BCP 47 tag guessed at least from the script ("en", "ru").
	Lang        string    `json:"lang,omitempty"`
	Published   time.Time `json:"published,omitzero"`
	Ingested    time.Time `json:"ingested,omitzero"`
	ContentHash string    `json:"content_hash,omitempty"`
	// StoryID is set once the article joined a story.
	StoryID string `json:"story_id,omitempty"`
}

// OwnStoryID is the ID of the story an article opens when it joins none
// (package story): a store need not keep that story's record while the
// article is alone in it.
func OwnStoryID(articleID string) string { return ContentID("story", articleID) }

// GUIDKey is the identity key of an article's GUID, under which the stores
// and ingest find an earlier copy of it; "" without a GUID. A GUID that is
// a URL or URN ("https://…", "urn:…", "tag:…") names one article wherever
// it is read: "g:" and the GUID. Any other ("1", "48213") names one only
// within its source, since feeds number their items, so its key names the
// source too, as the article's ID does (adapters/feeds): otherwise a second
// outlet's item 1 would be taken for a copy of the first's, and dropped.
func GUIDKey(a *Article) string {
	switch {
	case a.GUID == "":
		return ""
	case GlobalGUID(a.GUID):
		return "g:" + a.GUID
	default:
		return "l:" + a.Source + "\x00" + a.GUID
	}
}

// DerivedID is the ID an article gets from its identities when it comes
// without one (adapters/feeds sets it as it cleans): from its GUID (named
// within its source unless a URL or URN, as GUIDKey), else its canonical
// URL, else its content hash. So an edited headline keeps the ID.
func DerivedID(a *Article) string {
	switch {
	case a.GUID != "" && GlobalGUID(a.GUID):
		return ContentID("guid", a.GUID)
	case a.GUID != "":
		return ContentID("guid", a.Source, a.GUID)
	case a.URL != "":
		return ContentID("url", a.URL)
	default:
		return ContentID("content", a.ContentHash)
	}
}

// GlobalGUID reports whether a GUID names its article wherever it is read
// (a URL or URN: it has a scheme) rather than within its source.
func GlobalGUID(guid string) bool { return strings.Contains(guid, ":") }

// ContentID returns a stable hex digest of parts, for IDs and hashes.
func ContentID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Story is one event reported by one or more outlets.
type Story struct {
	ID string `json:"id"`
	// FirstArticle is the ID of the article that opened the story.
	FirstArticle string `json:"first_article"`
	Title        string `json:"title"`
	// Sources lists the outlets that reported it, first one first.
	Sources []string  `json:"sources"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Field says where in an article a term fired.
type Field string

// The fields a query can look at.
const (
	FieldTitle  Field = "title"
	FieldBody   Field = "body"
	FieldSource Field = "source"
)

// TermHit is one query term that fired on an article.
type TermHit struct {
	// Term is the query term as written ("Zelensky", "\"peace deal\"").
	Term string `json:"term"`
	// Matched is the text of the article that matched it ("Зеленский").
	Matched string `json:"matched,omitempty"`
	Field   Field  `json:"field"`
	// Entry is the actor, place or topic the term stood for when it
	// expanded to one: "ceasefire" for a match on "перемирия".
	Entry string `json:"entry,omitempty"`
}

// Hit is one subscription an article satisfies, and why.
type Hit struct {
	Sub   uint64    `json:"sub"`
	Terms []TermHit `json:"terms,omitempty"`
}

// Match is one subscription's part in an Alert.
type Match struct {
	Sub   uint64    `json:"sub"`
	Query string    `json:"query"`
	Terms []TermHit `json:"terms,omitempty"`
	// Role is the subscription's Discord role to ping, if any.
	Role string `json:"role,omitempty"`
}

// Alert is what one target receives for one story: the story's first
// article, every subscription of the target that matched it, and the
// outlets that reported it.
type Alert struct {
	Target  TargetID `json:"target"`
	Story   string   `json:"story"`
	Article Article  `json:"article"`
	Matches []Match  `json:"matches"`
	Sources []string `json:"sources,omitempty"`
}

// Key is the deterministic delivery key of the alert: one per target and
// story, whatever matched.
func (a Alert) Key() string { return DeliveryKey(a.Target, a.Story) }

// DeliveryKey is the key of the one alert a target gets for a story.
func DeliveryKey(t TargetID, story string) string {
	return ContentID(string(t), story)
}

// Errors a platform sender returns, for the delivery scheduler to classify.
var (
	// ErrUnreachable is returned (wrapped) when a target can no longer be
	// reached: the bot was blocked, the chat is gone, a permission is
	// missing. The target is deactivated, not retried.
	ErrUnreachable = errors.New("target unreachable")
	// ErrNotFound is returned when a stored thing does not exist.
	ErrNotFound = errors.New("not found")
)

// RetryAfterError is returned by a sender when the platform asked to wait
// (HTTP 429 with Retry-After or retry_after).
type RetryAfterError struct {
	After time.Duration
	// Global is true when the whole platform, not one chat, is limited.
	Global bool
	Err    error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// MigratedError is returned when a chat moved to a new ID (a Telegram group
// upgraded to a supergroup). The target should move and the send be retried.
type MigratedError struct {
	NewChatID string
}

func (e *MigratedError) Error() string { return "chat migrated to " + e.NewChatID }

// Matcher answers which subscriptions an article satisfies. Add and Remove
// may be called while Match runs in other goroutines; implementations must
// be safe for that.
type Matcher interface {
	// Add compiles and indexes the subscription's query, replacing any
	// subscription with the same ID. It returns a *QueryError for a
	// malformed query.
	Add(Subscription) error
	// Remove drops a subscription; unknown IDs are ignored.
	Remove(id uint64)
	// Match returns the subscriptions the article satisfies, with the terms
	// that fired, in ascending subscription ID order.
	Match(*Article) []Hit
}

// Query is one compiled query: what a user's words mean.
type Query interface {
	// String is the canonical form of the query.
	String() string
	// Expansions describe what the query's words stood for, one line per
	// expanded word ("Zelensky: Zelensky, Zelenskyy, Зеленский, …").
	Expansions() []string
	// Explain evaluates the query against one article: whether it matches,
	// and the terms that fired.
	Explain(*Article) (bool, []TermHit)
}

// QueryError is a malformed query: what was wrong and where.
type QueryError struct {
	// Column is 1-based, in runes.
	Column int
	Msg    string
}

func (e *QueryError) Error() string {
	if e.Column <= 0 {
		return e.Msg
	}
	return fmt.Sprintf("%s at column %d", e.Msg, e.Column)
}
