package discord

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// Answering an interaction: every message of a reply (its text, the rest
// of a long one, /export's file, /format's preview, a confirmation's
// buttons) waits for its turn in the bot's pacing (bot.ReplyPacer); the
// adapter only keeps Discord's 3-second patience.

// replyTimeout bounds the edit and follow-ups of a deferred reply (the
// interaction token is valid for 15 minutes).
const replyTimeout = time.Minute

// serve answers an interaction with the handler's reply. fill completes
// the command (its text, role, attached file) and may refuse it with a
// reply of its own. Discord drops an interaction not acknowledged within
// 3 seconds: when the reply is ready and its turn in the bot's pacing
// comes within the adapter's patience, it is the response itself;
// otherwise the adapter acknowledges with a deferred response at the end
// of its patience, and edits that with the reply once the handler is done
// and the pacing allows. With update (a reply's button), the answer
// replaces the message whose button was pressed.
func (a *Adapter) serve(s *discordgo.Session, i *discordgo.Interaction, update bool, fill func(*bot.Command) string) {
	deadline := a.now().Add(a.patience)
	cmd := commandFrom(i)
	if ch := a.place(i.ChannelID); ch != i.ChannelID && i.GuildID != "" {
		// A command in a forum's post acts for the forum, where each
		// alert becomes a post of its own.
		cmd.Target = forumTarget(ch, i.GuildID)
	}
	target := cmd.Target
	answer := make(chan bot.Reply, 1)
	go func() {
		if problem := fill(&cmd); problem != "" {
			answer <- bot.Reply{Text: problem}
			return
		}
		answer <- a.handle(cmd)
	}()
	patience := time.NewTimer(deadline.Sub(a.now()))
	defer patience.Stop()
	var r bot.Reply
	ready := false
	select {
	case r = <-answer:
		ready = true
	case <-patience.C:
	}
	if ready && r.Text != "" {
		parts := splitText(r.Text, maxContent)
		ctx, cancel := context.WithDeadline(a.baseContext(), deadline)
		done, err := a.replyTurn(ctx, target)
		if err == nil {
			kind := discordgo.InteractionResponseChannelMessageWithSource
			data := &discordgo.InteractionResponseData{Content: parts[0], AllowedMentions: noMentions()}
			if update {
				kind = discordgo.InteractionResponseUpdateMessage
			} else {
				data.Flags = discordgo.MessageFlagsEphemeral
			}
			if len(parts) == 1 {
				data.Components = replyButtons(r)
			}
			err = s.InteractionRespond(i, &discordgo.InteractionResponse{Type: kind, Data: data}, discordgo.WithContext(ctx))
			done()
			cancel()
			if err != nil {
				a.log.Warn("Discord interaction response failed", "err", redact(err, i.Token))
				return
			}
			a.followUp(s, target, i, r, parts[1:])
			return
		}
		cancel()
	}
	if !a.deferResponse(s, i, update) {
		return
	}
	if !ready {
		r = <-answer
	}
	if r.Text == "" {
		// Nothing to say (a chat already told it may not use this
		// Herald): the deferred "thinking…" goes; an update leaves the
		// message as it was.
		if !update {
			a.deleteResponse(s, i)
		}
		return
	}
	a.reply(s, target, i, r)
}

// forumTarget is the target a command given in a post of forum ch acts
// for.
func forumTarget(ch, guild string) alerts.Target {
	return alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, ch), Kind: alerts.KindChannel,
		Title: "forum " + ch + " in server " + guild}
}

// deferResponse acknowledges an interaction whose answer comes later: a
// deferred ephemeral message, or, with update, a deferred update of the
// message whose button was pressed. It reports whether Discord took it.
func (a *Adapter) deferResponse(s *discordgo.Session, i *discordgo.Interaction, update bool) bool {
	ack := &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
	}
	if update {
		ack = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	}
	ctx, cancel := context.WithTimeout(a.baseContext(), 3*time.Second)
	defer cancel()
	if err := s.InteractionRespond(i, ack, discordgo.WithContext(ctx)); err != nil {
		a.log.Warn("Discord interaction could not be acknowledged", "err", redact(err, i.Token))
		return false
	}
	return true
}

// replyTurn waits for a reply's turn in the bot's pacing (no wait while
// no handler is set, as the reply then only says so).
func (a *Adapter) replyTurn(ctx context.Context, t alerts.Target) (func(), error) {
	h := a.h()
	if h == nil {
		return func() {}, nil
	}
	return h.ReplyTurn(ctx, t)
}

// deleteResponse removes the deferred response to an interaction.
func (a *Adapter) deleteResponse(s *discordgo.Session, i *discordgo.Interaction) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(a.baseContext()), replyTimeout)
	defer cancel()
	if err := s.InteractionResponseDelete(i, discordgo.WithContext(ctx)); err != nil {
		a.log.Warn("Discord interaction response not deleted", "err", redact(err, i.Token))
	}
}

// handle asks the handler for its reply; a panic becomes an apology.
func (a *Adapter) handle(cmd bot.Command) (reply bot.Reply) {
	h := a.h()
	if h == nil {
		return bot.Reply{Text: "Herald is starting up; try again in a minute."}
	}
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("Discord command handler panicked", "panic", r, "stack", string(debug.Stack()))
			reply = bot.Reply{Text: "Sorry, something went wrong. Try again later."}
		}
	}()
	ctx, cancel := context.WithTimeout(a.baseContext(), a.commandTimeout)
	defer cancel()
	return h.HandleCommand(ctx, cmd)
}

// replyButtons are a reply's buttons as one action row; an empty row
// removes the buttons of a message being replaced.
func replyButtons(r bot.Reply) []discordgo.MessageComponent {
	var row []discordgo.MessageComponent
	for _, b := range r.Buttons {
		if id := commandPrefix + b.Command; b.Label != "" && len(id) <= maxCustomID {
			row = append(row, discordgo.Button{Label: fit(b.Label, maxLabel), Style: discordgo.DangerButton, CustomID: id})
		}
	}
	if len(row) == 0 {
		return []discordgo.MessageComponent{}
	}
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: row}}
}

// reply edits a deferred response with the reply's first part, in its
// turn of the bot's pacing, and sends the rest as follow-ups.
func (a *Adapter) reply(s *discordgo.Session, t alerts.Target, i *discordgo.Interaction, r bot.Reply) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(a.baseContext()), replyTimeout)
	defer cancel()
	parts := splitText(r.Text, maxContent)
	edit := &discordgo.WebhookEdit{Content: &parts[0], AllowedMentions: noMentions()}
	if len(parts) == 1 {
		buttons := replyButtons(r)
		edit.Components = &buttons
	}
	done, err := a.replyTurn(ctx, t)
	if err == nil {
		_, err = s.InteractionResponseEdit(i, edit, discordgo.WithContext(ctx))
		done()
	}
	if err != nil {
		a.log.Warn("Discord interaction reply failed", "err", redact(err, i.Token))
		return
	}
	a.followUp(s, t, i, r, parts[1:])
}

// followUp posts, as ephemeral follow-ups each in its turn of the bot's
// pacing, the rest of a long reply (the reply's buttons under its last
// part), then its file and its preview.
func (a *Adapter) followUp(s *discordgo.Session, t alerts.Target, i *discordgo.Interaction, r bot.Reply, parts []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(a.baseContext()), replyTimeout)
	defer cancel()
	var msgs []*discordgo.WebhookParams
	for n, p := range parts {
		params := &discordgo.WebhookParams{Content: p}
		if n == len(parts)-1 {
			params.Components = replyButtons(r)
		}
		msgs = append(msgs, params)
	}
	if f := r.File; f != nil {
		msgs = append(msgs, &discordgo.WebhookParams{Files: []*discordgo.File{discordFile(f)}})
	}
	if pv := r.Preview; pv != nil {
		// The alert as the channel would receive it, seen only by the
		// one who asked.
		m := pv.Message
		m.Buttons = nil
		embed, _ := renderFor(pv.Target, m)
		msgs = append(msgs, &discordgo.WebhookParams{Embeds: []*discordgo.MessageEmbed{embed}})
	}
	for _, params := range msgs {
		params.Flags, params.AllowedMentions = discordgo.MessageFlagsEphemeral, noMentions()
		done, err := a.replyTurn(ctx, t)
		if err == nil {
			_, err = s.FollowupMessageCreate(i, true, params, discordgo.WithContext(ctx))
			done()
		}
		if err != nil {
			a.log.Warn("Discord interaction follow-up failed", "err", redact(err, i.Token))
			return
		}
	}
}

// respondNow answers an interaction at once, ephemerally (a button Herald
// did not make: no command runs, so nothing is paced).
func (a *Adapter) respondNow(s *discordgo.Session, i *discordgo.Interaction, text string) {
	ctx, cancel := context.WithTimeout(a.baseContext(), 3*time.Second)
	defer cancel()
	err := s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content: escape(text), Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
	}, discordgo.WithContext(ctx))
	if err != nil {
		a.log.Warn("Discord interaction response failed", "err", redact(err, i.Token))
	}
}
