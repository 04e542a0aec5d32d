package main

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/adapters/discord/discordtest"
)

// discordService runs herald as in production with Discord pointed at a
// fake Discord, until the test ends; it returns once the gateway is
// connected and the commands are synced. extra are more variables, in
// pairs.
func discordService(t *testing.T, extra ...string) (addr string, fake *discordtest.Server) {
	t.Helper()
	endToEnd(t)
	fake = discordtest.New(t)
	vars := map[string]string{
		"HERALD_DISCORD_TOKEN": discordtest.Token,
		"HERALD_DISCORD_API":   fake.APIBase(),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	s := startServe(t, vars)
	fake.WaitConnected(1)
	fake.WaitCommands()
	return s.addr, fake
}

func TestDiscordEndToEnd(t *testing.T) {
	addr, fake := discordService(t)
	place := discordtest.Place{GuildID: "400000000000000001", ChannelID: "500000000000000001"}
	manager := discordtest.Member{UserID: "600000000000000001", UserName: "alice",
		Permissions: discordgo.PermissionManageChannels | discordgo.PermissionSendMessages}
	member := discordtest.Member{UserID: "600000000000000002", UserName: "bob", Permissions: discordgo.PermissionSendMessages}
	query := discordtest.Option{Name: "query", Value: "ceasefire"}

	// A member without Manage Channels is refused; a manager subscribes.
	if r := fake.WaitReply(fake.Slash(place, member, "subscribe", query)); strings.Contains(r.Content, "Subscribed") || !strings.Contains(r.Content, "manage") || !r.Ephemeral {
		t.Fatalf("member without Manage Channels: %+v", r)
	}
	if r := fake.WaitReply(fake.Slash(place, manager, "subscribe", query)); !strings.Contains(r.Content, "Subscribed #") {
		t.Fatalf("manager: %q", r.Content)
	}
	// In a DM, anyone subscribes for themselves ("truce" quoted: bare, it is
	// the ceasefire topic and would match the Geneva article as well).
	if r := fake.WaitReply(fake.Slash(discordtest.Place{}, member, "subscribe", discordtest.Option{Name: "query", Value: `"truce"`})); !strings.Contains(r.Content, "Subscribed #") {
		t.Fatalf("DM subscribe: %q", r.Content)
	}

	// An article arrives as one message with one embed that pings nobody.
	pushArticle(t, addr, "Ceasefire talks resume in Geneva", "https://news.example/geneva",
		"Envoys agreed to resume ceasefire talks in Geneva on Monday, officials said.")
	msgs := fake.WaitMessages(place.ChannelID, 1)
	first := msgs[0].Decode(t)
	if len(first.Embeds) != 1 || !strings.Contains(first.Embeds[0].Title, "Geneva") {
		t.Fatalf("first alert: %+v", first)
	}
	if string(first.AllowedMentions) != `{"parse":[],"replied_user":false}` {
		t.Errorf("allowed_mentions = %s", first.AllowedMentions)
	}

	// "@everyone breaking" pings nobody.
	pushArticle(t, addr, "@everyone breaking: ceasefire collapses in the north", "https://other.example/north",
		"Fighting broke out overnight in the northern province as the ceasefire collapsed; @here <@&1> reports.")
	msgs = fake.WaitMessages(place.ChannelID, 2)
	second := msgs[1].Decode(t)
	if len(msgs) != 2 || len(second.Embeds) != 1 {
		t.Fatalf("%d messages, second %+v", len(msgs), second)
	}
	e := second.Embeds[0]
	if second.Content != "" || strings.Contains(e.Title, "@everyone") || strings.Contains(e.Description, "@here") ||
		string(second.AllowedMentions) != `{"parse":[],"replied_user":false}` {
		t.Errorf("second alert can ping: content %q title %q allowed_mentions %s", second.Content, e.Title, second.AllowedMentions)
	}

	// The DM subscription delivers to the DM channel.
	pushArticle(t, addr, "Truce declared along the river", "https://news.example/truce",
		"Both sides declared a truce along the river crossing.")
	dms := fake.WaitMessages(discordtest.DMChannelID(member.UserID), 1)
	if d := dms[0].Decode(t); len(d.Embeds) != 1 || !strings.Contains(d.Embeds[0].Title, "Truce") {
		t.Errorf("DM alert: %+v", d)
	}

	// The mute button mutes the channel's subscription.
	var mute string
	for _, row := range first.Components {
		for _, b := range row.Components {
			if strings.HasPrefix(b.Label, "Mute") {
				mute = b.CustomID
			}
		}
	}
	if mute == "" {
		t.Fatalf("no mute button on %+v", first.Components)
	}
	if r := fake.WaitReply(fake.Click(place, manager, msgs[0].ID, mute)); !strings.Contains(r.Content, "Muted") || !r.Ephemeral {
		t.Errorf("mute button reply: %+v", r)
	}
	if r := fake.WaitReply(fake.Slash(place, manager, "list")); !strings.Contains(r.Content, "muted until") {
		t.Errorf("/list after mute: %q", r.Content)
	}
}

func TestDiscordRateLimitStormAndReconnect(t *testing.T) {
	addr, fake := discordService(t)
	place := discordtest.Place{GuildID: "400000000000000001", ChannelID: "500000000000000002"}
	manager := discordtest.Member{UserID: "600000000000000001", UserName: "alice",
		Permissions: discordgo.PermissionManageChannels}
	if r := fake.WaitReply(fake.Slash(place, manager, "subscribe", discordtest.Option{Name: "query", Value: "ceasefire"})); !strings.Contains(r.Content, "Subscribed #") {
		t.Fatalf("subscribe: %q", r.Content)
	}

	// A storm of 429s (one of them global) delays the alert but loses
	// nothing and posts it once.
	fake.FailChannel(place.ChannelID, discordtest.RateLimited(50*time.Millisecond, false), 3)
	fake.FailChannel(place.ChannelID, discordtest.RateLimited(50*time.Millisecond, true), 1)
	pushArticle(t, addr, "Ceasefire holds for a third day", "https://news.example/third-day",
		"The ceasefire held for a third day on Wednesday, monitors said.")
	msgs := fake.WaitMessages(place.ChannelID, 1)
	if n := fake.CountStatus(429); n != 4 {
		t.Errorf("%d answers of 429, want the 4 injected", n)
	}

	// After a gateway RECONNECT the session resumes and commands flow.
	fake.Reconnect(0)
	fake.WaitResumes(1)
	if r := fake.WaitReply(fake.Slash(place, manager, "list")); !strings.Contains(r.Content, "ceasefire") {
		t.Errorf("/list after resume: %q", r.Content)
	}
	pushArticle(t, addr, "Ceasefire monitors report calm night", "https://other.example/calm",
		"Monitors of the ceasefire reported a calm night across the front line.")
	msgs = fake.WaitMessages(place.ChannelID, 2)
	if len(msgs) != 2 || fake.Identifies() != 1 {
		t.Errorf("%d messages, %d identifies; want 2 and 1", len(msgs), fake.Identifies())
	}
}
