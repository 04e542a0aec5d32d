package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// errTooManyInvalid is wrapped in the RetryAfterError the adapter returns
// while it holds back to stay clear of Discord's invalid-request ban.
var errTooManyInvalid = errors.New("discord: too many 401/403/429 answers in the last 10 minutes")

// messageBody is the JSON of Create Message. discordgo v0.29.0's
// MessageSend has no enforce_nonce, so the adapter sends its own body.
type messageBody struct {
	Content         string                            `json:"content"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	Components      []discordgo.MessageComponent      `json:"components,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	// Nonce with EnforceNonce makes Discord return the message already
	// created with the same nonce (for a few minutes) instead of posting
	// again, so a retry after a lost response does not post twice.
	Nonce        string `json:"nonce,omitempty"`
	EnforceNonce bool   `json:"enforce_nonce,omitempty"`
}

// nonce derives the Create Message nonce from the delivery: the same
// target, kind and stories give the same nonce (at most 25 characters).
func nonce(t alerts.TargetID, m bot.Message) string {
	parts := []string{string(t), string(m.Kind)}
	for _, a := range m.Alerts {
		parts = append(parts, a.Story)
	}
	return alerts.ContentID(parts...) // 24 hex digits
}

// channelOf returns the Discord channel of a target.
func channelOf(t alerts.Target) (string, error) {
	if t.ID.Platform() != alerts.PlatformDiscord || t.ID.ChatID() == "" {
		return "", fmt.Errorf("discord: %q is not a Discord target: %w", t.ID, alerts.ErrUnreachable)
	}
	return t.ID.ChatID(), nil
}

// Send posts a message as one embed with its buttons and returns the
// message ID. Errors are classified for the scheduler: a 429, or a send
// held back by an earlier one or by too many refused requests, is an
// *alerts.RetryAfterError (Global when the whole bot must wait); a user who
// refuses DMs (50007, 50278), a deleted channel (10003) or a channel the
// bot may not see or post in (50001, 50013) wraps alerts.ErrUnreachable
// with the reason; anything else (5xx, network) is a plain error to retry.
func (a *Adapter) Send(ctx context.Context, t alerts.Target, m bot.Message) (string, error) {
	ch, err := channelOf(t)
	if err != nil {
		return "", err
	}
	embed, comps := renderFor(t, m)
	withImage(embed, t, m)
	content, mentions := pings(t, m)
	body := messageBody{
		Content:         content,
		Embeds:          []*discordgo.MessageEmbed{embed},
		Components:      comps,
		AllowedMentions: mentions,
		Nonce:           nonce(t.ID, m),
		EnforceNonce:    true,
	}
	if a.isForum(ch) {
		return a.postInForum(ctx, ch, m, body)
	}
	endpoint := discordgo.EndpointChannelMessages(ch)
	if err := a.gate(endpoint); err != nil {
		return "", err
	}
	resp, err := a.rest.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint,
		discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0))
	if err != nil {
		return "", a.classify(err, "send to channel "+ch)
	}
	var msg struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp, &msg); err != nil || msg.ID == "" {
		return "", fmt.Errorf("discord: send to channel %s: unreadable answer: %w", ch, errors.Join(err, discordgo.ErrJSONUnmarshal))
	}
	if t.Settings.Threads && t.Kind != alerts.KindDM && m.Kind != alerts.DeliverDigest {
		a.startThread(ctx, ch, msg.ID, m)
	}
	return msg.ID, nil
}

// Edit replaces the embed of a sent message (and its buttons, when m has
// any).
func (a *Adapter) Edit(ctx context.Context, t alerts.Target, messageID string, m bot.Message) error {
	ch, err := channelOf(t)
	if err != nil {
		return err
	}
	ch, messageID = editTarget(ch, messageID)
	if err := a.gate(discordgo.EndpointChannelMessage(ch, "")); err != nil {
		return err
	}
	embed, comps := renderFor(t, m)
	withImage(embed, t, m)
	edit := &discordgo.MessageEdit{
		Channel:         ch,
		ID:              messageID,
		Embeds:          &[]*discordgo.MessageEmbed{embed},
		AllowedMentions: noMentions(),
	}
	if len(comps) > 0 {
		edit.Components = &comps
	}
	_, err = a.rest.ChannelMessageEditComplex(edit,
		discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0))
	if err != nil {
		return a.classify(err, "edit message "+messageID+" in channel "+ch)
	}
	return nil
}

// gate reports what Discord's answers said about a send before it is
// made: while too many requests were refused lately, or while a 429 (seen
// by the adapter or by discordgo's per-route buckets) still holds the route
// or the whole bot, it returns an *alerts.RetryAfterError, so the bot's
// pacer waits instead of a goroutine here. The adapter does not pace: the
// bot's pacer does, once, for alerts and replies alike.
func (a *Adapter) gate(bucketID string) error {
	if wait := a.invalid.backoff(); wait > 0 {
		return &alerts.RetryAfterError{After: wait, Global: true, Err: errTooManyInvalid}
	}
	rl := a.rest.Ratelimiter
	global := a.globalWait()
	wait := global
	if b := rl.GetBucket(bucketID); b.TryLock() {
		wait = max(wait, rl.GetWaitTime(b, 1))
		b.Unlock()
	}
	if wait > 0 {
		return &alerts.RetryAfterError{After: wait, Global: global > 0,
			Err: errors.New("discord: rate limited by an earlier answer")}
	}
	return nil
}

// globalWait is how long a global rate limit still holds, as seen by the
// adapter or by discordgo.
func (a *Adapter) globalWait() time.Duration {
	own := time.Duration(a.globalUntil.Load() - a.now().UnixNano())
	// A bucket nobody locks or releases: its wait is the global one alone.
	probe := a.rest.Ratelimiter.GetBucket("herald:global-probe")
	return max(own, a.rest.Ratelimiter.GetWaitTime(probe, 0), 0)
}

// Discord JSON error codes that mean a target cannot be reached.
var unreachableCodes = map[int]string{
	discordgo.ErrCodeCannotSendMessagesToThisUser: "the user does not accept direct messages from the bot",
	50278:                               "the user shares no server with the bot",
	discordgo.ErrCodeUnknownChannel:     "the channel no longer exists",
	discordgo.ErrCodeMissingAccess:      "the bot cannot see the channel",
	discordgo.ErrCodeMissingPermissions: "the bot may not post in the channel",
}

// classify maps a discordgo error for the scheduler: 429 → RetryAfterError
// (Global when the whole bot is limited); the codes in unreachableCodes →
// alerts.ErrUnreachable with the reason; anything else (5xx, network, 400)
// → a plain error, retried.
func (a *Adapter) classify(err error, what string) error {
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		after := time.Second
		if rl.RateLimit != nil && rl.TooManyRequests != nil && rl.RetryAfter > 0 {
			after = rl.RetryAfter
		}
		return &alerts.RetryAfterError{After: after, Global: a.globalWait() > 0,
			Err: fmt.Errorf("discord: %s: %w", what, err)}
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		if reason, ok := unreachableCodes[re.Message.Code]; ok {
			return fmt.Errorf("discord: %s: %s (code %d): %w", what, reason, re.Message.Code, alerts.ErrUnreachable)
		}
	}
	return fmt.Errorf("discord: %s: %w", what, err)
}
