package main

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/adapters/discord/discordtest"
	"github.com/herald-news/herald/adapters/telegram/telegramtest"
)

// End-to-end tests of what a chat's users see of Herald's features,
// against the fake Telegram and Discord.

func TestTelegramUnsubscribeAllAsksFirst(t *testing.T) {
	_, fake := telegramService(t)
	alice := telegramtest.User{ID: 101, FirstName: "Alice"}
	dm := telegramtest.PrivateChat(alice)
	telegramSay(t, fake, dm, alice, "/subscribe ceasefire")
	telegramSay(t, fake, dm, alice, "/subscribe truce")

	ask := telegramSay(t, fake, dm, alice, "/unsubscribe all")
	if !strings.Contains(ask, "Stop following all 2 topics") {
		t.Fatalf("/unsubscribe all answered %q", ask)
	}
	msg := fake.Sent(alice.ID)[2]
	if len(msg.Buttons) != 1 || len(msg.Buttons[0]) != 1 || msg.Buttons[0][0].CallbackData != "/unsubscribe all confirm" {
		t.Fatalf("the question's buttons: %+v", msg.Buttons)
	}
	if r := telegramSay(t, fake, dm, alice, "/list"); !strings.Contains(r, "follows 2") {
		t.Fatalf("asking removed something: %q", r)
	}
	// The button confirms: the question becomes the outcome, without a button.
	cq := fake.PressButton(alice, alice.ID, msg.MessageID, msg.Buttons[0][0].CallbackData)
	if a := fake.WaitAnswer(t, cq, telegramWait); !strings.Contains(a, "Unsubscribed from all 2") {
		t.Errorf("the button answered %q", a)
	}
	msg = fake.Sent(alice.ID)[2]
	if msg.Edits != 1 || !strings.Contains(msg.Visible, "Unsubscribed from all 2 topics") || len(msg.Buttons) != 0 {
		t.Errorf("after the press the question reads %q with buttons %+v", msg.Visible, msg.Buttons)
	}
	if r := telegramSay(t, fake, dm, alice, "/list"); !strings.Contains(r, "follows nothing") {
		t.Errorf("after confirming: %q", r)
	}
}

func TestDiscordUnsubscribeAllAsksFirst(t *testing.T) {
	_, fake := discordService(t)
	place := discordtest.Place{GuildID: "400000000000000001", ChannelID: "500000000000000001"}
	admin := discordtest.Member{UserID: "600000000000000001", UserName: "alice", Permissions: discordgo.PermissionManageChannels}
	member := discordtest.Member{UserID: "600000000000000002", UserName: "bob", Permissions: discordgo.PermissionSendMessages}
	fake.WaitReply(fake.Slash(place, admin, "subscribe", discordtest.Option{Name: "query", Value: "ceasefire"}))

	ask := fake.WaitReply(fake.Slash(place, admin, "unsubscribe", discordtest.Option{Name: "subscription", Value: "all"}))
	if !strings.Contains(ask.Content, "Stop following the 1 topic") || len(ask.Buttons) != 1 ||
		ask.Buttons[0].CustomID != "c:/unsubscribe all confirm" || !ask.Ephemeral {
		t.Fatalf("/unsubscribe all answered %+v", ask)
	}
	// Another member clicking it (were the message not ephemeral) is
	// refused like the command would be.
	if r := fake.WaitReply(fake.Click(place, member, "1", ask.Buttons[0].CustomID)); !strings.Contains(r.Content, "Only people who manage") {
		t.Errorf("a member's click: %+v", r)
	}
	done := fake.WaitReply(fake.Click(place, admin, "1", ask.Buttons[0].CustomID))
	if done.Type != 6 || !strings.Contains(done.Content, "Unsubscribed from the 1 topic") || len(done.Buttons) != 0 {
		t.Errorf("the click: %+v", done)
	}
	if r := fake.WaitReply(fake.Slash(place, admin, "list")); !strings.Contains(r.Content, "follows nothing") {
		t.Errorf("after confirming: %q", r.Content)
	}
}
