// Package storage keeps everything Herald must remember across restarts in
// one bbolt file: targets and subscriptions, feed state, seen articles and
// stories, the outbox, the delivery log with platform message IDs, and alert
// buttons.
//
// DB implements the bot's store roles (bot.Subscriptions, bot.Articles,
// bot.Outbox, bot.DeliveryLog, bot.Pruner; their docs are the contract) and
// the adapters' small named values (GetMeta, PutMeta and PutMetas, for
// feeds.BatchStateStore and telegram.Store). It stores the records of package
// alerts (Delivery, Sent, Button) as JSON and imports nothing of the bot's;
// cmd/herald checks at compile time that DB satisfies each interface.
//
// # Buckets
//
//	meta        schema version and small named values (update offsets)
//	feeds       per-feed state, keys "feed:<url>" of GetMeta/PutMeta
//	targets     target ID → Target (JSON)
//	subs        subscription ID (big-endian) → Subscription (JSON)
//	subs_by_tgt target ID, 0, subscription ID → nothing (index)
//	articles    article ID → Article (JSON, body capped)
//	art_keys    "g:"GUID, "u:"URL, "h:"content hash → article ID
//	art_keys_of article ID, 0, art_keys key → nothing (the keys it registered)
//	art_time    ingest time (big-endian ns), article ID → nothing
//	stories     story ID → Story (JSON)
//	outbox      sequence (big-endian) → Delivery (JSON)
//	outbox_ids  delivery ID → sequence
//	log         alert key → Sent (JSON)
//	log_story   story ID, 0, alert key → nothing (index)
//	log_last    target ID → alert key of its newest alert
//	log_target  target ID, 0, At (big-endian ns), alert key → nothing (/why N)
//	buttons     token → Button (JSON)
//	expiry      time (big-endian ns), kind, key → what pruning needs (stories, log, buttons)
//	expiry_at   kind, key → its time in expiry
//
// # Pruning
//
// Prune walks art_time and expiry from their oldest entries up to the
// cutoff, so each run costs what expired since the last one, and reads no
// record: the indexes hold what it needs.
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
package storage
