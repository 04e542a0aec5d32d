package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// What a single alert adds to Herald's embed on Discord: the article's
// picture, the role pings its subscriptions asked for, and a place of its
// own in a forum channel or a thread in a text channel.

// maxThreadName is the longest thread name Discord takes.
const maxThreadName = 100

// withImage puts the article's picture in the embed of a single alert,
// unless the chat turned previews off or the address is not one a
// platform may be given (alerts.ImageURL).
func withImage(e *discordgo.MessageEmbed, t alerts.Target, m bot.Message) {
	if t.Settings.NoPreviews || m.Kind == alerts.DeliverDigest || len(m.Alerts) != 1 {
		return
	}
	if u := alerts.ImageURL(m.Alerts[0].Article.Image); u != "" && len(u) <= maxURL {
		e.Image = &discordgo.MessageEmbedImage{URL: u}
	}
}

// pings returns the content and allowed_mentions of a new alert: the
// roles its subscriptions asked to ping, and only they (never @everyone,
// @here or users: allowed_mentions lists the roles and parses nothing).
// Without roles the content is empty and nothing pings.
func pings(t alerts.Target, m bot.Message) (string, *discordgo.MessageAllowedMentions) {
	if m.Kind == alerts.DeliverDigest || t.Kind == alerts.KindDM {
		return "", noMentions()
	}
	var roles []string
	seen := map[string]bool{}
	for _, a := range m.Alerts {
		for _, mt := range a.Matches {
			if r := mt.Role; isSnowflake(r) && !seen[r] {
				seen[r] = true
				roles = append(roles, r)
			}
		}
	}
	if len(roles) == 0 {
		return "", noMentions()
	}
	var b strings.Builder
	for i, r := range roles {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("<@&" + r + ">")
	}
	return b.String(), &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, Roles: roles}
}

// isSnowflake reports whether s is a Discord ID (the bot checked the
// role when it was set; this keeps anything else out of a ping).
func isSnowflake(s string) bool {
	return s != "" && len(s) <= 20 && strings.Trim(s, "0123456789") == ""
}

// threadName names a forum post or a thread after the alert's article.
func threadName(m bot.Message) string {
	title := ""
	if len(m.Alerts) > 0 {
		title = m.Alerts[0].Article.Title
	}
	title = strings.Join(strings.Fields(clean(title, true)), " ")
	if title == "" {
		title = "Herald"
	}
	return fit(title, maxThreadName)
}

// forumPost is Start Thread in Forum or Media Channel's body: the post's
// title and its first message.
type forumPost struct {
	Name    string      `json:"name"`
	Message messageBody `json:"message"`
}

// postInForum creates a post in a forum channel, titled with the
// article's title, whose first message is the alert. The message's ID is
// returned as "THREAD/MESSAGE", so an edit finds the post's channel.
func (a *Adapter) postInForum(ctx context.Context, forum string, m bot.Message, body messageBody) (string, error) {
	endpoint := discordgo.EndpointChannelThreads(forum)
	if err := a.gate(endpoint); err != nil {
		return "", err
	}
	body.Nonce, body.EnforceNonce = "", false // not taken by thread creation
	resp, err := a.rest.RequestWithBucketID(http.MethodPost, endpoint, forumPost{Name: threadName(m), Message: body}, endpoint,
		discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0))
	if err != nil {
		return "", a.classify(err, "post in forum "+forum)
	}
	var th struct {
		ID      string `json:"id"`
		Message *struct {
			ID string `json:"id"`
		} `json:"message"`
	}
	if err := json.Unmarshal(resp, &th); err != nil || th.ID == "" {
		return "", fmt.Errorf("discord: post in forum %s: unreadable answer: %w", forum, errors.Join(err, discordgo.ErrJSONUnmarshal))
	}
	msg := th.ID // a forum post's first message has the post's ID
	if th.Message != nil && th.Message.ID != "" {
		msg = th.Message.ID
	}
	return th.ID + "/" + msg, nil
}

// startThread opens a thread on a sent alert, named after its article,
// in the alert's own turn of the bot's pacing. It is a courtesy: a
// failure, or a route Discord still holds back, is logged and the alert
// stays delivered.
func (a *Adapter) startThread(ctx context.Context, ch, msgID string, m bot.Message) {
	endpoint := discordgo.EndpointChannelMessageThread(ch, msgID)
	bucket := discordgo.EndpointChannelThreads(ch)
	err := a.gate(bucket)
	if err == nil {
		body := map[string]any{"name": threadName(m), "auto_archive_duration": 1440}
		_, err = a.rest.RequestWithBucketID(http.MethodPost, endpoint, body, bucket,
			discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0))
	}
	if err != nil {
		a.log.Warn("Discord thread not started on an alert", "channel", ch, "message", msgID, "err", err)
	}
}

// editTarget returns the channel and message an edit goes to: a forum
// post's message ID names its thread ("THREAD/MESSAGE").
func editTarget(ch, messageID string) (string, string) {
	if th, msg, ok := strings.Cut(messageID, "/"); ok {
		return th, msg
	}
	return ch, messageID
}

// isForum reports whether a channel is a forum (or media) channel, as
// the guilds' channel lists said.
func (a *Adapter) isForum(ch string) bool {
	a.guildsMu.Lock()
	defer a.guildsMu.Unlock()
	return a.forums[ch]
}

// noteThreads records the forum each thread belongs to, if any: a
// command given in a post of a forum acts for the forum.
func (a *Adapter) noteThreads(threads []*discordgo.Channel) {
	a.guildsMu.Lock()
	defer a.guildsMu.Unlock()
	for _, th := range threads {
		if th != nil && th.ParentID != "" && a.forums[th.ParentID] {
			a.forumOf[th.ID] = th.ParentID
		}
	}
}

func (a *Adapter) onThreadCreate(_ *discordgo.Session, t *discordgo.ThreadCreate) {
	defer a.survive("THREAD_CREATE")
	if t.Channel != nil {
		a.noteThreads([]*discordgo.Channel{t.Channel})
	}
}

// place is the channel a command in channel ch acts for: the forum, for
// a command given in one of its posts.
func (a *Adapter) place(ch string) string {
	a.guildsMu.Lock()
	defer a.guildsMu.Unlock()
	if f, ok := a.forumOf[ch]; ok {
		return f
	}
	return ch
}

// noteChannels records which of a guild's channels are forums.
func (a *Adapter) noteChannels(chans []*discordgo.Channel) {
	a.guildsMu.Lock()
	defer a.guildsMu.Unlock()
	for _, c := range chans {
		if c == nil {
			continue
		}
		if c.Type == discordgo.ChannelTypeGuildForum || c.Type == discordgo.ChannelTypeGuildMedia {
			a.forums[c.ID] = true
		} else {
			delete(a.forums, c.ID)
		}
	}
}
