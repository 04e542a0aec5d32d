// Package bot is Herald's product logic: the pipeline that takes an article
// from ingest to a planned delivery, the scheduler that sends the outbox to
// the platforms, and the chat commands every platform shares.
//
// It owns the interfaces it needs. The store is five roles in store.go
// (Subscriptions, Articles, Outbox, DeliveryLog, Pruner; Store composes
// them), each documenting what an implementation must guarantee; the
// records they keep (alerts.Delivery, alerts.Sent, alerts.Button) live in
// package alerts, so storage implements the roles without importing this
// package. Sender, ArticleSource, Clusterer and Catalog are in ports.go;
// Handler, what every platform adapter consumes, in handler.go.
// storage and the adapters implement them, and only cmd/herald knows every
// package.
//
// # Pipeline
//
//	ingest → dedupe → story → match → plan → outbox (one Commit) → send → log
//
// An article seen before (same ID, GUID, canonical URL or content) raises
// nothing. Each target gets at most one alert per story; a story that gains
// sources edits the alerts already sent instead of posting again.
//
// Ingest (ingest.go) runs in three stages so that its cost does not grow
// with the articles before: what depends on the article alone (summary,
// matching, the chats reached, the story's reading of it) runs in the
// caller's goroutine beside other articles; dedupe, story assignment and
// the deliveries' keys run one article at a time in arrival order; and
// the articles ordered while a commit is being written are committed
// together in the next (Articles.CommitAll). An article is acknowledged
// once its commit is durable.
//
// # Delivery
//
// The scheduler (scheduler.go) runs the stages of a delivery, one file and
// type each: the outbox cache (queue.go) keeps each waiting chat's
// alerts.QueueHead, never its deliveries, and picks the next chat from a
// heap, least recently served first; a dispatcher per platform
// (dispatch.go) reads that chat's due deliveries from the store, a
// digest's worth at most; the batcher (batch.go) checks them against the
// chat as it is now and batches them into a digest; the pacer (pacer.go) is
// the one place a platform is paced, its budget and each chat's interval,
// for alerts and for command replies (Handler.ReplyTurn, replies first);
// the outcome stage (outcome.go) sends and records what became of it; and
// alertbuttons.go makes an alert's buttons. Ingest tells the running
// scheduler what it committed, so a lone alert leaves as soon as its
// budget allows; a resync reads every waiting chat's head (at start, every
// 30 s, on Wake). Times come from Options.Now.
//
// # Commands
//
// One table of CommandSpecs (specs.go) names every command with its
// aliases, options, help and handler. HandleCommand dispatches through it
// (commands.go), /help is written from it, and the adapters register it as
// their menus (Telegram's setMyCommands, Discord's application commands,
// whose options CommandSpec.Line turns back into the text form). The
// handlers live by job: subscriptions.go (/subscribe, /unsubscribe,
// /list), explain.go (/test, /why), settings.go (/mute, /digest, /quiet,
// /timezone, /previews; every change goes through saveSettings, which
// replans held alerts), sources.go and buttons.go. Each command keeps its
// replies in one struct beside its handler (subscribeText, whyText, …).
// When a chat's alerts may go out (quiet hours, digest times) is in
// quiethours.go.
package bot
