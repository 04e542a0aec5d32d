package main

import (
	"log/slog"

	"github.com/herald-news/herald/adapters/discord"
	"github.com/herald-news/herald/adapters/telegram"
	"github.com/herald-news/herald/storage"
)

// Interface guards: each adapter is a platform the service can run.
var (
	_ platform = (*telegram.Adapter)(nil)
	_ platform = (*discord.Adapter)(nil)
)

// buildPlatforms creates the platform adapters whose tokens are set. A
// platform without a token is off, and says so once.
func buildPlatforms(cfg config, h *handler, db *storage.DB, log *slog.Logger) ([]platform, error) {
	var out []platform
	if cfg.TelegramToken == "" {
		log.Info("Telegram is off: HERALD_TELEGRAM_TOKEN is not set")
	} else {
		tg, err := telegram.New(telegram.Options{
			Token: cfg.TelegramToken, APIBase: cfg.TelegramAPI, WebhookURL: cfg.TelegramWebhookURL,
			Handler: h, Store: db, Log: log.With("part", "telegram"),
		})
		if err != nil {
			return nil, err
		}
		out = append(out, tg)
	}
	if cfg.DiscordToken == "" {
		log.Info("Discord is off: HERALD_DISCORD_TOKEN is not set")
	} else {
		dc, err := discord.New(discord.Options{
			Token: cfg.DiscordToken, APIBase: cfg.DiscordAPI, Shards: cfg.DiscordShards,
			Handler: h, Log: log.With("part", "discord"),
		})
		if err != nil {
			return nil, err
		}
		out = append(out, dc)
	}
	return out, nil
}
