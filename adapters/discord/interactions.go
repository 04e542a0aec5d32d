package discord

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// buttonPrefix starts the custom_id of every Herald button: "h:<token>".
const buttonPrefix = "h:"

// manageBits are the permissions that let a member manage a channel's
// subscriptions.
const manageBits = discordgo.PermissionManageChannels | discordgo.PermissionAdministrator

// addHandlers registers the gateway event handlers of one shard.
func (a *Adapter) addHandlers(s *discordgo.Session, shard int) {
	var once sync.Once
	s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		if r.Application != nil && r.Application.ID != "" {
			id := r.Application.ID
			a.appID.CompareAndSwap(nil, &id)
		} else if r.User != nil {
			id := r.User.ID
			a.appID.CompareAndSwap(nil, &id)
		}
		a.ready[shard].Store(true)
		a.log.Info("Discord gateway ready", "shard", shard)
		if shard == 0 {
			once.Do(func() { close(a.synced) })
		}
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) {
		a.ready[shard].Store(true)
		a.log.Info("Discord gateway resumed", "shard", shard)
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
		a.ready[shard].Store(false)
	})
	s.AddHandler(a.onReady)
	s.AddHandler(a.onGuildCreate)
	s.AddHandler(a.onChannelCreate)
	s.AddHandler(a.onChannelDelete)
	s.AddHandler(a.onGuildDelete)
	s.AddHandler(a.onInteraction)
}

// applicationCommands turns Herald's command catalogue into Discord global
// commands, usable in guilds and in DMs with the bot.
func applicationCommands(specs []bot.CommandSpec) []*discordgo.ApplicationCommand {
	contexts := []discordgo.InteractionContextType{
		discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	install := []discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
	manage := int64(discordgo.PermissionManageChannels)
	var out []*discordgo.ApplicationCommand
	for _, sp := range specs {
		c := &discordgo.ApplicationCommand{
			Type:             discordgo.ChatApplicationCommand,
			Name:             sp.Name,
			Description:      fit(sp.Description, 100),
			Contexts:         &contexts,
			IntegrationTypes: &install,
			Options:          []*discordgo.ApplicationCommandOption{},
		}
		if sp.Manage {
			// Hides the command from members without Manage Channels in
			// guilds; the permission is still checked on every use.
			c.DefaultMemberPermissions = &manage
		}
		for _, o := range sp.Options {
			opt := &discordgo.ApplicationCommandOption{
				Type:        discordgo.ApplicationCommandOptionString,
				Name:        o.Name,
				Description: fit(o.Description, 100),
				Required:    o.Required,
			}
			for _, ch := range o.Choices {
				opt.Choices = append(opt.Choices, &discordgo.ApplicationCommandOptionChoice{Name: ch, Value: ch})
			}
			c.Options = append(c.Options, opt)
		}
		out = append(out, c)
	}
	return out
}

// onInteraction serves INTERACTION_CREATE off the gateway goroutine, which
// runs handlers in order (SyncEvents) and must keep reading.
func (a *Adapter) onInteraction(s *discordgo.Session, ic *discordgo.InteractionCreate) {
	go a.interaction(s, ic)
}

// survive logs a panic in a gateway event handler instead of letting it
// end the process; use it deferred.
func (a *Adapter) survive(event string) {
	if r := recover(); r != nil {
		a.log.Error("Discord event handler panicked", "event", event, "panic", r, "stack", string(debug.Stack()))
	}
}

// interaction branches on the type before reading the data (discordgo's
// accessors panic on the wrong type); a panic never takes the process down.
func (a *Adapter) interaction(s *discordgo.Session, ic *discordgo.InteractionCreate) {
	defer a.survive("INTERACTION_CREATE")
	if ic.Interaction == nil {
		return
	}
	i := ic.Interaction
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		data, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok {
			return
		}
		a.serve(s, i, func(c *bot.Command) { c.Text = commandText(data) })
	case discordgo.InteractionMessageComponent:
		data, ok := i.Data.(discordgo.MessageComponentInteractionData)
		if !ok {
			return
		}
		token, ok := strings.CutPrefix(data.CustomID, buttonPrefix)
		if !ok || token == "" {
			a.respondNow(s, i, "This button no longer works.")
			return
		}
		a.serve(s, i, func(c *bot.Command) { c.Button = token })
	default:
		// Autocomplete and modals are not used; pings only come over HTTP.
		a.log.Debug("Discord interaction ignored", "type", i.Type.String())
	}
}

// serve acknowledges an interaction with a deferred ephemeral response,
// asks the handler, and edits the response with its reply.
func (a *Adapter) serve(s *discordgo.Session, i *discordgo.Interaction, fill func(*bot.Command)) {
	// Discord drops an interaction not acknowledged within 3 seconds.
	ctx, cancel := context.WithTimeout(a.baseContext(), 3*time.Second)
	defer cancel()
	err := s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Flags:           discordgo.MessageFlagsEphemeral,
			AllowedMentions: noMentions(),
		},
	}, discordgo.WithContext(ctx))
	if err != nil {
		a.log.Warn("Discord interaction could not be acknowledged", "error", redact(err, i.Token))
		return
	}
	cmd := commandFrom(i)
	fill(&cmd)

	a.reply(s, i, a.handle(cmd))
}

// handle asks the handler for its reply; a panic becomes an apology.
func (a *Adapter) handle(cmd bot.Command) (text string) {
	h := a.getHandler()
	if h == nil {
		return "Herald is starting up; try again in a minute."
	}
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("Discord command handler panicked", "panic", r, "stack", string(debug.Stack()))
			text = "Sorry, something went wrong. Try again later."
		}
	}()
	ctx, cancel := context.WithTimeout(a.baseContext(), a.commandTimeout)
	defer cancel()
	return h.HandleCommand(ctx, cmd).Text
}

// reply edits the deferred response with text, in as many messages as it
// takes.
func (a *Adapter) reply(s *discordgo.Session, i *discordgo.Interaction, text string) {
	// The interaction token is valid for 15 minutes.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(a.baseContext()), time.Minute)
	defer cancel()
	parts := splitReply(text, maxContent)
	first := parts[0]
	_, err := s.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &first, AllowedMentions: noMentions()},
		discordgo.WithContext(ctx))
	if err != nil {
		a.log.Warn("Discord interaction reply failed", "error", redact(err, i.Token))
		return
	}
	for _, p := range parts[1:] {
		_, err := s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
			Content: p, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
			discordgo.WithContext(ctx))
		if err != nil {
			a.log.Warn("Discord interaction follow-up failed", "error", redact(err, i.Token))
			return
		}
	}
}

// respondNow answers an interaction at once, ephemerally.
func (a *Adapter) respondNow(s *discordgo.Session, i *discordgo.Interaction, text string) {
	ctx, cancel := context.WithTimeout(a.baseContext(), 3*time.Second)
	defer cancel()
	err := s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content: escape(text), Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
	}, discordgo.WithContext(ctx))
	if err != nil {
		a.log.Warn("Discord interaction response failed", "error", redact(err, i.Token))
	}
}

// commandFrom fills who and where from an interaction. In a guild,
// CanManage comes from the member's permissions in the channel, as Discord
// computed them for this interaction.
func commandFrom(i *discordgo.Interaction) bot.Command {
	var c bot.Command
	var u *discordgo.User
	if i.GuildID == "" {
		u = i.User
		c.Target = alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, i.ChannelID), Kind: alerts.KindDM}
	} else {
		c.Target = alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, i.ChannelID), Kind: alerts.KindChannel,
			Title: fmt.Sprintf("channel %s in server %s", i.ChannelID, i.GuildID)}
		if i.Member != nil {
			u = i.Member.User
			c.CanManage = i.Member.Permissions&manageBits != 0
		}
	}
	if u != nil {
		c.UserID = u.ID
		c.UserName = u.Username
		if u.GlobalName != "" {
			c.UserName = u.GlobalName
		}
		if c.Target.Kind == alerts.KindDM {
			c.Target.Title = "DM with " + u.Username
		}
	}
	return c
}

// commandText renders a slash command as the text HandleCommand reads,
// through the command table (bot.CommandSpec.Line): options in the table's
// order, keyword options with their name ("/sources add URL"). A command
// the table does not know keeps its options in the order given, and the
// bot answers that it does not know it.
func commandText(d discordgo.ApplicationCommandInteractionData) string {
	given := map[string]string{}
	spec, ok := bot.FindCommand(d.Name)
	if !ok {
		spec = bot.CommandSpec{Name: d.Name}
	}
	for _, o := range d.Options {
		if o == nil {
			continue
		}
		given[o.Name] = fmt.Sprint(o.Value)
		if !ok {
			spec.Options = append(spec.Options, bot.OptionSpec{Name: o.Name})
		}
	}
	return spec.Line(given)
}

// Gateway events about guilds and channels: a deleted channel, or a guild
// that removed the bot, is a target gone.

// onReady notes the guilds the bot is in, so a GUILD_CREATE for another
// one is a server that (re-)added the bot.
func (a *Adapter) onReady(_ *discordgo.Session, r *discordgo.Ready) {
	a.guildsMu.Lock()
	defer a.guildsMu.Unlock()
	for _, g := range r.Guilds {
		if _, ok := a.guilds[g.ID]; !ok {
			a.guilds[g.ID] = nil
		}
	}
}

func (a *Adapter) onGuildCreate(_ *discordgo.Session, g *discordgo.GuildCreate) {
	defer a.survive("GUILD_CREATE")
	if g.Guild == nil {
		return
	}
	ids := make([]string, 0, len(g.Channels))
	for _, c := range g.Channels {
		ids = append(ids, c.ID)
	}
	a.guildsMu.Lock()
	_, known := a.guilds[g.ID]
	a.guilds[g.ID] = ids
	a.guildsMu.Unlock()
	if !known {
		a.targetsBack(ids)
	}
}

// targetsBack reactivates the channels of a server that added the bot
// (again); channels Herald never served are ignored by the handler.
func (a *Adapter) targetsBack(channelIDs []string) {
	h := a.getHandler()
	if h == nil {
		return
	}
	for _, id := range channelIDs {
		t := alerts.NewTargetID(alerts.PlatformDiscord, id)
		if err := h.TargetBack(a.baseContext(), t); err != nil {
			a.log.Warn("Discord target could not be reactivated", "target", string(t), "error", err)
		}
	}
}

func (a *Adapter) onChannelCreate(_ *discordgo.Session, c *discordgo.ChannelCreate) {
	if c.Channel == nil || c.GuildID == "" {
		return
	}
	a.guildsMu.Lock()
	a.guilds[c.GuildID] = append(a.guilds[c.GuildID], c.ID)
	a.guildsMu.Unlock()
}

func (a *Adapter) onChannelDelete(_ *discordgo.Session, c *discordgo.ChannelDelete) {
	defer a.survive("CHANNEL_DELETE")
	if c.Channel == nil {
		return
	}
	a.guildsMu.Lock()
	chans := a.guilds[c.GuildID]
	for j, id := range chans {
		if id == c.ID {
			a.guilds[c.GuildID] = append(chans[:j:j], chans[j+1:]...)
			break
		}
	}
	a.guildsMu.Unlock()
	a.targetGone([]string{c.ID}, "the channel was deleted")
}

func (a *Adapter) onGuildDelete(_ *discordgo.Session, g *discordgo.GuildDelete) {
	defer a.survive("GUILD_DELETE")
	if g.Guild == nil || g.Unavailable {
		return // an outage, not a removal
	}
	a.guildsMu.Lock()
	chans := a.guilds[g.ID]
	delete(a.guilds, g.ID)
	a.guildsMu.Unlock()
	a.targetGone(chans, "the bot was removed from the server")
}

func (a *Adapter) targetGone(channelIDs []string, reason string) {
	h := a.getHandler()
	if h == nil {
		return
	}
	for _, id := range channelIDs {
		t := alerts.NewTargetID(alerts.PlatformDiscord, id)
		if err := h.TargetGone(a.baseContext(), t, reason); err != nil {
			a.log.Warn("Discord target could not be deactivated", "target", string(t), "error", err)
		}
	}
}

// redact hides an interaction token, which is a credential for 15
// minutes, from an error that carries the request URL.
func redact(err error, token string) string {
	if token == "" {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), token, "<interaction-token>")
}
