package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/adapters/discord/discordtest"
)

// discordService runs herald as in production with Discord pointed at a
// fake Discord, until the test ends.
func discordService(t *testing.T, extra ...string) (addr string, fake *discordtest.Server) {
	t.Helper()
	fake = discordtest.New(t)
	vars := map[string]string{
		"HERALD_DB":            filepath.Join(t.TempDir(), "herald.db"),
		"HERALD_HTTP_ADDR":     "127.0.0.1:0",
		"HERALD_DISCORD_TOKEN": discordtest.Token,
		"HERALD_DISCORD_API":   fake.APIBase(),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	cfg, err := loadConfig(nil, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- serve(ctx, cfg, log, func(a string) { addrc <- a }) }()
	select {
	case addr = <-addrc:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	fake.WaitConnected(1)
	fake.WaitCommands()
	return addr, fake
}

func pushArticle(t *testing.T, addr, title, url, body string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"title": title, "url": url, "body": body, "source": "Example News"})
	resp, err := http.Post("http://"+addr+"/v1/articles", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST /v1/articles: %s", resp.Status)
	}
}

type discordSent struct {
	Content         string                    `json:"content"`
	Embeds          []*discordgo.MessageEmbed `json:"embeds"`
	AllowedMentions json.RawMessage           `json:"allowed_mentions"`
	Components      []struct {
		Components []struct {
			Label    string `json:"label"`
			CustomID string `json:"custom_id"`
		} `json:"components"`
	} `json:"components"`
}

func decodeSent(t *testing.T, m discordtest.Message) discordSent {
	t.Helper()
	var s discordSent
	if err := json.Unmarshal(m.Body, &s); err != nil {
		t.Fatal(err)
	}
	return s
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
	// In a DM, anyone subscribes for themselves.
	if r := fake.WaitReply(fake.Slash(discordtest.Place{}, member, "subscribe", discordtest.Option{Name: "query", Value: "truce"})); !strings.Contains(r.Content, "Subscribed #") {
		t.Fatalf("DM subscribe: %q", r.Content)
	}

	// An article arrives as one message with one embed that pings nobody.
	pushArticle(t, addr, "Ceasefire talks resume in Geneva", "https://news.example/geneva",
		"Envoys agreed to resume ceasefire talks in Geneva on Monday, officials said.")
	msgs := fake.WaitMessages(place.ChannelID, 1)
	first := decodeSent(t, msgs[0])
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
	second := decodeSent(t, msgs[1])
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
	if d := decodeSent(t, dms[0]); len(d.Embeds) != 1 || !strings.Contains(d.Embeds[0].Title, "Truce") {
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
