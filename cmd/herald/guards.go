package main

import (
	"github.com/herald-news/herald/adapters/discord"
	"github.com/herald-news/herald/adapters/feeds"
	"github.com/herald-news/herald/adapters/telegram"
	"github.com/herald-news/herald/alerts/story"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage"
	"github.com/herald-news/herald/storage/jetstream"
)

// Interface guards. The interfaces live with their consumers, and storage
// imports neither the bot nor the adapters (layout_test.go enforces it), so
// this is where the compiler checks that the bbolt store provides each of
// them.
var (
	_ bot.Subscriptions     = (*storage.DB)(nil)
	_ bot.Articles          = (*storage.DB)(nil)
	_ bot.Outbox            = (*storage.DB)(nil)
	_ bot.DeliveryLog       = (*storage.DB)(nil)
	_ bot.Pruner            = (*storage.DB)(nil)
	_ bot.Store             = (*storage.DB)(nil)
	_ feeds.BatchStateStore = (*storage.DB)(nil)
	_ telegram.Store        = (*storage.DB)(nil)

	// The cluster store provides the same roles.
	_ bot.Store             = (*jetstream.Store)(nil)
	_ feeds.BatchStateStore = (*jetstream.Store)(nil)
	_ telegram.Store        = (*jetstream.Store)(nil)
	_ discord.ShardLeader   = (*jetstream.Set)(nil)
	_ discord.IdentifyGate  = (*jetstream.IdentifyGate)(nil)
	_ feeds.Owner           = (*cluster)(nil)

	// Both story assigners read an article beside the others, in ingest's
	// first stage.
	_ bot.StoryPreparer = (*story.Clusterer)(nil)
	_ bot.StoryPreparer = (*clusterStories)(nil)
)
