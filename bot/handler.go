package bot

import (
	"context"

	"github.com/herald-news/herald/alerts"
)

// Handler is what a platform adapter feeds and asks: commands and button
// presses, news about targets the platform reports, and a turn for each
// message it sends in reply (ReplyPacer). It is declared once, here, and
// every adapter consumes it; *Bot implements it.
type Handler interface {
	// HandleCommand runs a command or a button press and returns the
	// reply the adapter sends back.
	HandleCommand(ctx context.Context, c Command) Reply
	// TargetGone says the platform reports a chat gone or the bot blocked
	// or removed there: delivery stops, subscriptions stay.
	TargetGone(ctx context.Context, id alerts.TargetID, reason string) error
	// TargetBack says a chat is reachable again (unblocked, re-added).
	TargetBack(ctx context.Context, id alerts.TargetID) error
	// TargetMigrated says a chat changed its ID (a Telegram group that
	// became a supergroup).
	TargetMigrated(ctx context.Context, from, to alerts.TargetID) error
	ReplyPacer
}

var _ Handler = (*Bot)(nil)
