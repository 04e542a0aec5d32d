// Package discord is Herald on Discord: slash commands and buttons in,
// alerts out, through discordgo.
//
// Commands are global application commands, synced with one bulk overwrite
// at start and usable in servers and in DMs with the bot. An interaction
// is answered with the bot's reply (ephemeral) when the reply is ready and
// its turn in the bot's pacing comes within Discord's 3 s; otherwise it is
// acknowledged in time with a deferred response, edited with the reply
// when it may go. In a server channel a command acts for the channel
// and needs Manage Channels, read from the member's permissions on every
// interaction; in a DM it acts for the user.
//
// Every message of a reply (the rest of a long one, /export's file,
// /format's preview, a confirmation's update) takes its own turn.
//
// An alert is one message with one embed (Discord's limits, with margin)
// and allowed_mentions with an empty parse list, so text in an article
// pings nobody; a role a manager attached to the subscription is the one
// exception, listed alone in allowed_mentions.roles. In a forum channel an
// alert is a new post titled with its article; with /threads on, a thread
// is started on it in the same turn. Sends carry a nonce derived from the delivery with
// enforce_nonce, so a retry after a lost answer does not post twice.
// Errors are classified for the scheduler (bot.Sender): 429 →
// *alerts.RetryAfterError, a user who refuses DMs or a channel that is gone
// or forbidden → alerts.ErrUnreachable; 401/403/429 answers are counted and
// sends held back well before Discord's invalid-request ban. The adapter
// does not pace: the bot does (bot.Handler's ReplyTurn for replies), and
// the adapter reports what Discord's answers said (a route or the whole
// bot still limited) as *alerts.RetryAfterError.
//
// The REST base is configurable (HERALD_DISCORD_API); discordgo's requests
// are rewritten to it by an http.RoundTripper, and the gateway URL comes
// from GET {base}/gateway. Package discordtest is a fake Discord for tests.
package discord
