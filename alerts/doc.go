// Package alerts is Herald's core: the domain types that flow from ingest to
// delivery (Article, Subscription, Target, Story, Alert), the Matcher that
// decides which subscriptions an article satisfies, and the pure text logic
// around them (queries, summaries, stories).
//
// # Flow
//
// An adapter turns a feed item or a pushed page into an Article. The bot
// package dedupes it, assigns it to a Story, asks a Matcher for the
// subscriptions it satisfies, and plans one Alert per Target and Story.
//
// # Rules
//
// This package imports no other package of Herald's and does no I/O: it is
// safe to use from any goroutine where a type's doc says so, and trivially
// testable.
package alerts
