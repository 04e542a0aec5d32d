package main

import (
	"github.com/herald-news/herald/adapters/feeds"
	"github.com/herald-news/herald/adapters/telegram"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage"
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
)
