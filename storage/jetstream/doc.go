// Package jetstream is Herald's cluster store: the bot's store roles
// (bot.Subscriptions, bot.Articles, bot.Outbox, bot.DeliveryLog, bot.Pruner)
// and the adapters' named values kept in NATS JetStream key-value buckets
// and streams, so that any number of herald processes share them, plus the
// coordination those processes need: membership, leases, and partitions of
// work that move when a process dies or joins.
//
// # Buckets and streams
//
// Every name starts with the deployment's prefix (HERALD_NATS_PREFIX,
// default "herald"), so deployments can share one NATS:
//
//	<p>_targets   target ID (encoded) → Target
//	<p>_subs      "s.<id>" → Subscription; "t.<target>.<id>" index; no TTL
//	<p>_meta      small named values: feed state, the Telegram offset, counters
//	<p>_articles  "a.<id>" → Article; "k.<hash of ID/GUID/URL/content>" → article ID
//	<p>_stories   story ID → Story
//	<p>_log       "l.<key>" → Sent; "s.<story>.<key>", "t.<target>.<key>" indexes;
//	              "last.<target>" → newest key; "b.<token>" → Button
//	<p>_outbox    "e.<partition>.<target>.<delivery ID>" → entry (its alerts refer
//	              to their articles by ID); "q.<partition>.<target>" → the
//	              target's queue index (count, and the first 32 in due order);
//	              never expire
//	<p>_leases    "<set>.<item>" → holder; "budget.<platform>" → each
//	              process's claim on the send budget (Budget); expire unless
//	              renewed
//	<p>_members   "<process>" → heartbeat; expires unless renewed
//	<P>_ARTICLES  stream of committed articles (subject <p>.articles.<id>),
//	              deduplicated by Nats-Msg-Id: what each process's story
//	              window learns from the others, and RecentArticles
//	<P>_INTENTS   stream of articles about to be assigned a story (kept two
//	              minutes): its sequence orders the deployment's ingest, so
//	              two reports of one event at two processes form one story
//	<p>_identify  "b.<bucket>": a Discord session start, expiring after
//	              Discord's 5 s (IdentifyGate)
//
// Articles, stories and the log expire by the buckets' age limit (the
// retention, 30 days by default), so Prune has nothing to do. Buckets and
// the stream get three replicas when the cluster has three or more
// servers. Reads see every write acknowledged before them: single gets go to
// each stream's leader (direct gets are off), and listings, which read one
// replica through a watcher, first write a barrier key ("_b.<process>") and
// read until the replica has it.
//
// # Writes
//
// JetStream has no transaction across keys. Each method writes its keys in
// an order that a crash part-way leaves harmless and a repeat completes:
// Commit writes the article's record (which the entries refer to), the
// deliveries and the story before the keys that make the article seen (the
// contract of bot.Articles.Commit); CompleteAll and Drop write the log
// before removing the outbox entry; a target's queue index counts an entry
// before it is created and after it is removed, so a crash leaves an
// over-count that Due mends (queue.go). Enqueue is idempotent by delivery
// ID, deployment-wide, with compare-and-set on each key.
//
// # Reading the outbox
//
// The scheduler keeps each waiting target's queue head and reads a
// target's deliveries when its turn comes (bot.Outbox). Heads reads the
// queue indexes of the partitions this process holds, Head one index, Due
// one index and the entries it returns: none of them reads the backlog.
// WatchOutbox tells the process that sends to a chat when another process
// queued something for it.
package jetstream
