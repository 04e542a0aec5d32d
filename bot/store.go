package bot

import (
	"time"

	"github.com/herald-news/herald/alerts"
)

// Store is the store as the bot needs it, made of five roles: Options.Store
// takes it whole, and code inside the bot depends on the narrowest role it
// uses where it can (the scheduler's delivery path holds only an Outbox).
// storage implements the roles on one bbolt file; a second implementation
// (JetStream key-value buckets and streams in cluster mode) implements the
// same interfaces, and keeps the record types of package alerts (Delivery,
// Sent, Button) with their JSON tags as the stored format, an outbox
// entry's alerts referring to their articles by ID (see Outbox).
//
// Every role guarantees, besides what its own doc says:
//
//   - Safe for concurrent use: the pipeline, the scheduler's workers and
//     the command handlers call in from many goroutines at once.
//   - A read sees every write that returned before the read began (read
//     your own writes): the scheduler reads a target's queue head right
//     after it completes a send, and a command lists what the previous one
//     stored.
//   - A lookup of something missing returns an error wrapping
//     alerts.ErrNotFound (errors.Is), never a zero value with a nil error.
//     Listing methods return no entries and a nil error instead.
//   - Each method but Prune is all or nothing: when it returns an error,
//     nothing of its write is visible, before or after a crash. A method
//     that returns nil has made its write durable.
//
// Meta (small named values: feed state, the Telegram update offset) is not
// a role here: the bot never reads or writes it. Its consumers declare it
// where they use it, as feeds.StateStore (with feeds.BatchStateStore) and
// telegram.Store.
type Store interface {
	Subscriptions
	Articles
	Outbox
	DeliveryLog
	Pruner
}

// Subscriptions keeps the chats the bot posts to (targets) and what they
// follow. Its consumers are the commands, planning (is a target active,
// muted, held for a digest) and the start-up that loads the matcher.
type Subscriptions interface {
	// GetTarget returns a stored target, or alerts.ErrNotFound.
	GetTarget(id alerts.TargetID) (alerts.Target, error)
	// PutTarget stores a target, replacing any with the same ID. An empty
	// ID is an error.
	PutTarget(t alerts.Target) error
	// ListTargets returns every target, in any order.
	ListTargets() ([]alerts.Target, error)
	// MoveTarget moves a chat that changed its ID (a Telegram group that
	// became a supergroup) to the new ID, in one transaction: the target,
	// its subscriptions, its outbox entries and its delivery log entries.
	// The entries are re-keyed to the new target's alert keys
	// (alerts.DeliveryKey), so a story sent or queued before the move is
	// not alerted again after it: a queued delivery whose new ID is already
	// queued, or (for an alert) already in the log, is removed instead of
	// moved, and a moved log entry does not replace one the new ID has.
	// Moved log entries lose their MessageID (the old chat's messages
	// cannot be edited through the new ID). A missing from is
	// alerts.ErrNotFound; from == to changes nothing; an empty to is an
	// error.
	MoveTarget(from, to alerts.TargetID) error

	// AddSubscription stores a new subscription and returns it with its
	// ID. IDs are positive, unique in the store, and never reused, not
	// even after a delete: users see them (/list numbers subscriptions by
	// them) and alert buttons and the delivery log name them long after.
	// An empty Target is an error.
	AddSubscription(s alerts.Subscription) (alerts.Subscription, error)
	// PutSubscription replaces a stored subscription (its mute, say); a
	// subscription not stored is alerts.ErrNotFound. A changed Target
	// moves it to that target's list.
	PutSubscription(s alerts.Subscription) error
	// GetSubscription returns a stored subscription, or
	// alerts.ErrNotFound.
	GetSubscription(id uint64) (alerts.Subscription, error)
	// DeleteSubscription removes a subscription; a missing one is
	// alerts.ErrNotFound.
	DeleteSubscription(id uint64) error
	// ListSubscriptions returns a target's subscriptions in ascending ID
	// order (the order /list shows them in).
	ListSubscriptions(target alerts.TargetID) ([]alerts.Subscription, error)
	// ForEachSubscription calls fn for every stored subscription, in any
	// order, and stops at the first error fn returns, returning it. fn
	// must not call back into the store. A subscription added or removed
	// during the walk may or may not be seen. It is how the bot starts (a
	// million subscriptions in a large deployment), so it should read
	// records without building more than it hands out: the bot keeps each
	// subscription's Target string, and hands its Query to the matcher.
	ForEachSubscription(fn func(alerts.Subscription) error) error
}

// Articles keeps ingested articles and the stories they form. Its consumer
// is the pipeline (dedupe, clustering, commit), and /test and /why read
// articles back.
type Articles interface {
	// Seen reports whether an article with the same ID, or the same GUID,
	// canonical URL or content hash as a, was ingested (committed)
	// before, and returns the stored one if so. An article Prune forgot is
	// not seen. A missing article is not an error here: seen is false.
	Seen(a *alerts.Article) (prev alerts.Article, seen bool, err error)
	// RecentArticles returns up to n of the most recently ingested
	// articles, newest first by their ingest time.
	RecentArticles(n int) ([]alerts.Article, error)
	// GetArticle returns a stored article, or alerts.ErrNotFound. Its body
	// may be shortened (at a character boundary) to bound the store.
	GetArticle(id string) (alerts.Article, error)
	// GetStory returns a stored story, or alerts.ErrNotFound. A store may
	// keep no record of the story an article opened and is alone in
	// (alerts.OwnStoryID), which the clusterer rebuilds from the article
	// (story.Clusterer.Seed); it stores the story once another joins.
	GetStory(id string) (alerts.Story, error)

	// Commit records an ingested article, its story and the deliveries
	// planned for it, atomically: after a crash all of it is there or
	// none. This is what makes ingest exactly-once: Seen skips a
	// committed article, so its alerts must be in the outbox by then.
	//
	//   - The article is stored under a.ID (empty is an error) and becomes
	//     findable by Seen under its GUID, URL and content hash (a key
	//     already claimed by an earlier article keeps pointing there). An
	//     article stored before is replaced but keeps its first ingest
	//     time, which orders RecentArticles and Prune.
	//   - The story is stored (replaced) under s.ID; a story with an empty
	//     ID is not stored.
	//   - planned is enqueued as by Outbox.Enqueue, in the same
	//     transaction: a planned alert already in the delivery log is
	//     skipped, one already queued is replaced.
	//
	// A store that cannot write the three at once (no multi-key
	// transaction) must write them so that a crash part-way is replayed
	// safely: deliveries and story first, the article last. An article
	// visible without its deliveries loses alerts for good; deliveries
	// without their article are harmless, because the article is ingested
	// again, planned again under the same delivery IDs, and Enqueue's
	// idempotence absorbs the repeat.
	Commit(a alerts.Article, s alerts.Story, planned []alerts.Delivery) error
	// CommitAll commits each of cs as Commit would, one after another in
	// the order given, and returns one error per commit (nil: that one is
	// durable). Ingest hands it the articles that queued up while the last
	// commit was being written, so a store should write them together (in
	// one transaction, or one flush), not one by one: a commit costs a
	// disk flush whatever it holds. A commit's failure must not undo or
	// fail the others: a store that writes them together and fails tries
	// them again one by one.
	CommitAll(cs []alerts.ArticleCommit) []error
}

// Outbox is the queue of deliveries not yet sent, and the only way entries
// enter and leave it (besides Articles.Commit and Subscriptions.MoveTarget).
// Its consumer is the scheduler's delivery path, and replanning when a
// chat's digest or quiet hours change. Completing or dropping a delivery
// writes the delivery log in the same transaction, so a crash never leaves
// an alert both sent (logged) and still queued, or gone from the queue and
// not logged.
//
// The scheduler never reads the whole outbox: it keeps each target's
// QueueHead and reads a target's deliveries only when its turn comes. So a
// store must answer Heads at a cost that grows with the number of targets
// with queued deliveries, and Head and Due at a cost that grows with what
// they return (an index of each target's entries by NotBefore, then Seq,
// and a count per target), never with the size of the backlog.
//
// An entry refers to its articles; it does not copy them. An alert's
// Article is written as the article's ID when that article is in the store
// (Commit stores it in the same transaction as its deliveries; an edit
// refers to the story's first article, stored before), and as an inline
// copy otherwise. Reads return the alert whole again, with the stored
// article (its Body empty, as planning leaves it); the store reads the
// article as it is when the entry is read, so a headline updated since is
// the one shown. Pruner must keep an article while an entry refers to it,
// and MoveTarget moves entries with their references. A store without
// multi-key transactions writes the article before the entries that refer
// to it (Commit's crash rule already says so).
//
// What the scheduler relies on, precisely:
//
//   - QueueHead.Count is every delivery queued for the target, due or not;
//     Next and Seq are those of the entry that comes first in the order
//     Due uses (zero Next: due now); a target with nothing queued has
//     Count 0 and is absent from Heads.
//   - After a write returns, Head and Due reflect it (read your own
//     writes); the scheduler reads a target's head right after each turn.
//   - Ingest does not read the outbox back: it tells its own process's
//     scheduler what it committed, and a resync (Heads) catches anything
//     else, every 30 s and on Bot.Wake. Entries another process commits
//     (cluster mode, where one process sends to a chat) wait for that
//     resync unless the owner is woken when they arrive (a watch on the
//     outbox that calls Bot.Wake).
type Outbox interface {
	// Enqueue adds deliveries to the outbox (digests, edits, catch-ups,
	// replanned holds) in one transaction. It is idempotent by ID:
	//
	//   - every delivery needs an ID; an empty one fails the whole call;
	//   - an alert (DeliverAlert) whose ID (its alert key) has a delivery
	//     log entry is skipped without error: a target never gets the
	//     same alert twice. When its sources differ from the logged ones
	//     and the logged message can be edited (a MessageID, not Dropped),
	//     it is queued instead as that message's edit (ID key+":edit", the
	//     logged alert with the delivery's sources): the story gained an
	//     outlet after planning looked for a sent alert, while its alert
	//     was being sent;
	//   - a delivery whose ID is already queued replaces the queued one in
	//     place, keeping its Seq, Attempts and Created;
	//   - a new delivery gets a Seq greater than that of every delivery
	//     enqueued before it.
	Enqueue(d ...alerts.Delivery) error
	// Heads returns the QueueHead of every target with deliveries queued,
	// in any order: how many, and the one due first.
	Heads() ([]alerts.QueueHead, error)
	// Head returns one target's QueueHead; Count is 0 when nothing waits.
	Head(target alerts.TargetID) (alerts.QueueHead, error)
	// Due returns up to limit of the target's deliveries whose NotBefore
	// is not after now, ordered by NotBefore and then Seq (the one due
	// first first), with the target's QueueHead read in the same
	// transaction.
	Due(target alerts.TargetID, now time.Time, limit int) ([]alerts.Delivery, alerts.QueueHead, error)
	// Queued returns every delivery queued for the target, in Seq order,
	// whatever its NotBefore.
	Queued(target alerts.TargetID) ([]alerts.Delivery, error)
	// CompleteAll records deliveries sent as one message (one alert, or
	// the alerts of a digest), in one transaction: each of done (as Due
	// returned it: its ID and story find it) leaves the outbox, and each
	// of recs becomes a delivery log entry under its Key (empty is an
	// error), replacing any entry with that key. If any of done is not
	// queued the call fails with alerts.ErrNotFound and changes nothing.
	// After it returns, DeliveryLog finds each entry by key and story, a
	// rec that was not Dropped is its target's LastSent, and a rec's
	// ButtonToken resolves through DeliveryLog.Button. An alert entry that
	// was replaced while it was being sent (its queued sources now differ
	// from its rec's) does not just leave: in the same transaction it
	// becomes the edit of the message sent, as Enqueue queues one, so a
	// story's update that met its first send is not lost.
	CompleteAll(done []alerts.Delivery, recs []alerts.Sent) error
	// Reschedule stores a failed attempt: the queued entry with d.ID takes
	// d's Attempts, LastError and NotBefore (and its place in its target's
	// order moves with NotBefore), and keeps everything else (target,
	// alerts, Seq), so a copy read before a MoveTarget or an Enqueue cannot
	// undo them. A delivery no longer queued is alerts.ErrNotFound.
	Reschedule(d alerts.Delivery) error
	// Drop gives up a queued delivery (as Due returned it) that can never
	// be sent (its target is gone, it failed too often), in one
	// transaction: it leaves the outbox and, unless it is an edit, each
	// alert it carried (whole, with its article) gets a log entry with
	// Dropped set to reason (an alert already logged keeps its entry). A
	// dropped entry is never a target's LastSent. A delivery no longer
	// queued is alerts.ErrNotFound.
	Drop(d alerts.Delivery, reason string) error
}

// DeliveryLog answers what went out: one entry per target and story, sent
// or given up, written only through Outbox.CompleteAll and Outbox.Drop (and
// moved by Subscriptions.MoveTarget). Its consumers are planning (edit the
// alerts of a story that gained sources), pacing after a restart, /why and
// the alert buttons.
//
// Button is here because a button is another key of a log entry: it is
// written only with its entry (Sent.ButtonToken), names the entry's target
// and key, and ages out with it. A store keeps them together.
type DeliveryLog interface {
	// Sent returns the log entry of a target's alert key, or
	// alerts.ErrNotFound.
	Sent(target alerts.TargetID, key string) (alerts.Sent, error)
	// SentForStory returns the log entries of every target alerted about
	// a story (sent or dropped), in any order.
	SentForStory(story string) ([]alerts.Sent, error)
	// LastSent returns the entry last written for the target by a
	// CompleteAll that was not dropped, or alerts.ErrNotFound (also once
	// Prune forgot it).
	LastSent(target alerts.TargetID) (alerts.Sent, error)
	// RecentSent returns up to n of the target's entries that were not
	// dropped, newest first by Sent.At: an entry written again (the alert
	// edited) moves to its new time. It is /why N's numbering: 1 is the
	// newest. Entries Prune forgot are not returned.
	RecentSent(target alerts.TargetID, n int) ([]alerts.Sent, error)
	// Button resolves an alert button's token: the Button stored from a
	// Sent.ButtonToken, with the entry's Target and Key and the alert's
	// subscriptions (Alert.Matches) as Subs. The token comes from the
	// platform and may be forged, of any length: an unknown one is
	// alerts.ErrNotFound.
	Button(token string) (alerts.Button, error)
}

// Pruner forgets what the bot no longer needs. Its one consumer is the
// hourly maintenance. It is a role of its own because it cuts across
// Articles and DeliveryLog: it is their retention, not a lookup.
type Pruner interface {
	// Prune forgets, as of before:
	//
	//   - articles ingested before it (Seen then forgets them too);
	//   - stories neither created nor updated since it;
	//   - delivery log entries written before it (Sent.At), and with them
	//     a target's LastSent;
	//   - buttons stored before it.
	//
	// It never touches targets, subscriptions, meta or the outbox, and
	// keeps an article (and its story) past its time while a queued
	// delivery refers to it (see Outbox). It may work in
	// many small steps while the store is in use; a crash or an error
	// part-way leaves a consistent store with part of the old records
	// still there, for the next call. It returns how many records went,
	// for the log. A store whose records expire by themselves (key-value
	// TTLs, stream age limits) may do nothing and return 0, as long as
	// nothing goes before the retention the bot passes here.
	Prune(before time.Time) (int, error)
}
