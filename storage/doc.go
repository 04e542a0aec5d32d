// Package storage keeps everything Herald must remember across restarts in
// one bbolt file: targets and subscriptions, feed state, seen articles and
// stories, the outbox, the delivery log with platform message IDs, and alert
// buttons.
//
// DB implements the bot's store roles (bot.Subscriptions, bot.Articles,
// bot.Outbox, bot.DeliveryLog, bot.Pruner; their docs are the contract) and
// the adapters' small named values (GetMeta, PutMeta and PutMetas, for
// feeds.BatchStateStore and telegram.Store). It stores the records of package
// alerts (Sent, Button) as JSON, subscriptions and outbox entries in compact
// binary records, and imports nothing of the bot's;
// cmd/herald checks at compile time that DB satisfies each interface.
//
// # Buckets
//
//	meta        schema version and small named values (update offsets)
//	feeds       per-feed state, keys "feed:<url>" of GetMeta/PutMeta
//	targets     target ID → Target (JSON)
//	subs        subscription ID (big-endian) → Subscription in a compact
//	            binary record (subrecord.go)
//	target_subs target ID → its subscription IDs, ascending, as uvarint
//	            deltas (targetsubs.go)
//	articles    article ID → Article (JSON compressed with zstd, body capped;
//	            plain JSON before version 7: artcodec.go)
//	art_keys    "g:"GUID (a URL or URN), "l:"source, 0, GUID (any other,
//	            named within its source: alerts.GUIDKey; files written
//	            before hold "g:"GUID for it too, which Seen no longer
//	            reads and pruning deletes), "u:"URL, "h:"content hash →
//	            article ID; from version 8 not the key the article's ID
//	            was derived from (alerts.DerivedID), which Seen reads as
//	            that ID (keyOwner)
//	art_keys_of article ID, 0, art_keys key → nothing (keys naming the
//	            article that its record does not: an earlier version's)
//	art_time    ingest time (big-endian ns), article ID → nothing
//	stories     story ID → Story (JSON); none for the story an article
//	            opened and is alone in (ownStory: most articles' story)
//	outbox      sequence (big-endian) → Delivery in a compact binary record,
//	            each alert's article as its ID when the article is stored
//	            (outbox_record.go, outbox_codec.go)
//	outbox_ids  story ID, 0, delivery ID → sequence (an article's entries
//	            side by side)
//	outbox_tail target ID → deliveries queued for it, and its newest
//	            entries (NotBefore, sequence), packed (outbox_queue.go)
//	outbox_due  target ID, 0, NotBefore (big-endian ns), sequence of a
//	            chunk's first entry → the chunk of its older entries, packed;
//	            entries past meta's outbox_indexed sequence are in neither
//	            yet, and join them a batch at a time (outbox_pending.go)
//	outbox_arts article ID → how many entries refer to it, a uvarint
//	            (Prune keeps the article while any does)
//	log         target ID, 0, alert key → Sent (JSON); a chat's entries
//	            side by side (before version 9: the alert key alone, which
//	            an entry the upgrade could not re-key keeps, with meta's
//	            log_bare_keys set)
//	log_story   story ID, 0, log key → nothing (index)
//	log_last    target ID → log key of its newest alert
//	log_target  target ID, 0, Sent.At (big-endian ns), alert key → nothing
//	            (/why N; logtarget.go)
//	buttons     token → Button (JSON)
//	expiry      time (big-endian ns), kind, key → what pruning needs (stories, log, buttons)
//	expiry_at   kind, key → its time in expiry
//
// # Pruning
//
// Prune walks art_time and expiry from their oldest entries up to the
// cutoff, so each run costs what expired since the last one, and reads no
// record: the indexes hold what it needs. An article a queued delivery
// refers to (outbox_arts) stays until the delivery is done.
//
// # Damage
//
// Open reads the meta pages itself before bbolt maps the file and refuses
// a file cut short or written over (a *DamageError). A panic inside bbolt
// in use (a page that is not what it expects) becomes the same error, and
// the DB refuses every later call. Check and Repair read a file page by
// page with bounds checks, never through bbolt's map.
//
// # Transactions
//
// bbolt has one writer. Every method is one transaction (Prune excepted: it
// works in small ones), and the pipeline's writes for one article (the
// article, its story, and its planned deliveries) are one Commit, so a
// crash leaves all of it or none. Concurrent writes share transactions
// (group commit, commit.go).
//
// # Memory
//
// bbolt reads the file through a shared map, and every page read there
// counts in the process's RSS although the page cache holds it. A goroutine
// releases those pages once they grew by Options.MapLimit (16 MiB by
// default; maprelease.go), spending at most a small share of a core on it,
// so that RSS does not grow with the file; under heavy reads the pages come
// back faster than that share releases them. The pages stay cached, and
// the next read maps them again.
//
// # Schema versions
//
// Open runs the migrations from the stamped version to SchemaVersion, each
// in one transaction or, for a long one (versions 5 and 6), in steps of a few
// thousand records with its progress kept in meta (migrate.go). A
// database older than version 4 is first copied
// into a new file that takes its place (upgrade.go): version 4 rewrites
// every subscription, and rewriting in place would leave the file its old
// size plus the new records.
package storage
