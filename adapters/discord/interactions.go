package discord

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// buttonPrefix starts the custom_id of every alert button: "h:<token>".
const buttonPrefix = "h:"

// commandPrefix starts the custom_id of a reply's button, which runs a
// command: "c:/unsubscribe all confirm".
const commandPrefix = "c:"

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
	s.AddHandler(a.onThreadCreate)
}

// applicationCommands turns Herald's command catalogue into Discord global
// commands, usable in guilds and in DMs with the bot.
// Command names stay English in every language (what members type and
// Discord sends back); descriptions carry description_localizations in
// every other language Herald speaks, which Discord's clients show by
// their own locale.
func applicationCommands(specs []bot.CommandSpec) []*discordgo.ApplicationCommand {
	localized := map[discordgo.Locale][]bot.CommandSpec{}
	for _, l := range bot.Languages[1:] {
		localized[discordgo.Locale(l)] = bot.CommandSpecsIn(l)
	}
	contexts := []discordgo.InteractionContextType{
		discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	install := []discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
	manage := int64(discordgo.PermissionManageChannels)
	var out []*discordgo.ApplicationCommand
	for k, sp := range specs {
		desc := map[discordgo.Locale]string{}
		for loc, ls := range localized {
			if k < len(ls) && ls[k].Name == sp.Name {
				desc[loc] = fit(ls[k].Description, 100)
			}
		}
		c := &discordgo.ApplicationCommand{
			DescriptionLocalizations: &desc,
			Type:                     discordgo.ChatApplicationCommand,
			Name:                     sp.Name,
			Description:              fit(sp.Description, 100),
			Contexts:                 &contexts,
			IntegrationTypes:         &install,
			Options:                  []*discordgo.ApplicationCommandOption{},
		}
		if sp.Manage {
			// Hides the command from members without Manage Channels in
			// guilds; the permission is still checked on every use.
			c.DefaultMemberPermissions = &manage
		}
		for j, o := range sp.Options {
			typ := discordgo.ApplicationCommandOptionString
			switch {
			case o.File:
				typ = discordgo.ApplicationCommandOptionAttachment
			case o.Role:
				typ = discordgo.ApplicationCommandOptionRole
			}
			opt := &discordgo.ApplicationCommandOption{
				Type:        typ,
				Name:        o.Name,
				Description: fit(o.Description, 100),
				Required:    o.Required,
			}
			for loc, ls := range localized {
				if k < len(ls) && j < len(ls[k].Options) {
					if opt.DescriptionLocalizations == nil {
						opt.DescriptionLocalizations = map[discordgo.Locale]string{}
					}
					opt.DescriptionLocalizations[loc] = fit(ls[k].Options[j].Description, 100)
				}
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
		a.serve(s, i, false, func(c *bot.Command) string {
			c.Text = commandText(data)
			c.Role, c.RoleName = roleOf(data)
			if at := attachmentOf(data); at != nil {
				f, err := a.fetch(a.baseContext(), at)
				if err != nil {
					a.log.Warn("Discord attachment not read", "err", err)
					return bot.Text(string(i.Locale), "I could not read that file: ") + err.Error()
				}
				c.File = f
			}
			return ""
		})
	case discordgo.InteractionMessageComponent:
		data, ok := i.Data.(discordgo.MessageComponentInteractionData)
		if !ok {
			return
		}
		if cmd, ok := strings.CutPrefix(data.CustomID, commandPrefix); ok && strings.HasPrefix(cmd, "/") {
			// A reply's button: its ephemeral message becomes the outcome.
			a.serve(s, i, true, func(c *bot.Command) string { c.Button = cmd; return "" })
			return
		}
		token, ok := strings.CutPrefix(data.CustomID, buttonPrefix)
		if !ok || token == "" {
			a.respondNow(s, i, "This button no longer works.")
			return
		}
		a.serve(s, i, false, func(c *bot.Command) string { c.Button = token; return "" })
	default:
		// Autocomplete and modals are not used; pings only come over HTTP.
		a.log.Debug("Discord interaction ignored", "type", i.Type.String())
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
		c.Guild = i.GuildID
		if i.Member != nil {
			u = i.Member.User
			c.CanManage = i.Member.Permissions&manageBits != 0
		}
	}
	c.Lang = string(i.Locale)
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
	a.noteChannels(g.Channels)
	a.noteThreads(g.Threads)
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
	h := a.h()
	if h == nil {
		return
	}
	for _, id := range channelIDs {
		t := alerts.NewTargetID(alerts.PlatformDiscord, id)
		if err := h.TargetBack(a.baseContext(), t); err != nil {
			a.log.Warn("Discord target could not be reactivated", "target", string(t), "err", err)
		}
	}
}

func (a *Adapter) onChannelCreate(_ *discordgo.Session, c *discordgo.ChannelCreate) {
	if c.Channel == nil || c.GuildID == "" {
		return
	}
	a.noteChannels([]*discordgo.Channel{c.Channel})
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
	h := a.h()
	if h == nil {
		return
	}
	for _, id := range channelIDs {
		t := alerts.NewTargetID(alerts.PlatformDiscord, id)
		if err := h.TargetGone(a.baseContext(), t, reason); err != nil {
			a.log.Warn("Discord target could not be deactivated", "target", string(t), "err", err)
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
