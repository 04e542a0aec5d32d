package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"

	"github.com/herald-news/herald/adapters/discord"
	"github.com/herald-news/herald/adapters/telegram"
)

// Interface guards: each adapter is a platform the service can run.
var (
	_ platform = (*telegram.Adapter)(nil)
	_ platform = (*discord.Adapter)(nil)
)

// buildPlatforms creates the platform adapters whose tokens are set. A
// platform without a token is off, and says so once.
func buildPlatforms(cfg config, h *handler, meta telegram.Store, cl *cluster, log *slog.Logger) ([]platform, error) {
	var out []platform
	if cfg.TelegramToken == "" {
		log.Info("Telegram is off: HERALD_TELEGRAM_TOKEN is not set")
	} else {
		opts := telegram.Options{
			Token: cfg.TelegramToken, APIBase: cfg.TelegramAPI, WebhookURL: cfg.TelegramWebhookURL,
			Handler: h, Store: meta, Log: log.With("part", "telegram"),
		}
		if cl != nil {
			opts.Leader = telegramLeader{cl.tg}
			// Every process registers the webhook and serves it, so they
			// share its secret: one derived from the token.
			opts.WebhookSecret = webhookSecret(cfg.TelegramToken)
		}
		tg, err := telegram.New(opts)
		if err != nil {
			return nil, err
		}
		out = append(out, tg)
	}
	if cfg.DiscordToken == "" {
		log.Info("Discord is off: HERALD_DISCORD_TOKEN is not set")
	} else {
		opts := discord.Options{
			Token: cfg.DiscordToken, APIBase: cfg.DiscordAPI, Shards: cfg.DiscordShards,
			Handler: h, Log: log.With("part", "discord"),
		}
		if cl != nil {
			opts.ShardLeader, opts.IdentifyGate = cl.dc, cl.identify
		}
		dc, err := discord.New(opts)
		if err != nil {
			return nil, err
		}
		out = append(out, dc)
	}
	return out, nil
}

// webhookSecret derives the Telegram webhook's secret from the bot token,
// the same in every process of a deployment, and useless to anyone who
// does not hold the token.
func webhookSecret(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("herald telegram webhook secret"))
	return hex.EncodeToString(m.Sum(nil))
}
