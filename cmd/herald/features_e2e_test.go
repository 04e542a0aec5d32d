package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/adapters/discord/discordtest"
	"github.com/herald-news/herald/adapters/telegram/telegramtest"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage"
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

// stored reads what a running herald has stored, from a hot backup of
// its database (db is its HERALD_DB).
func stored(t *testing.T, addr, db string) (targets []alerts.Target, subs []alerts.Subscription) {
	t.Helper()
	token, err := readAdminToken(db)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	if _, err := fetchBackup(context.Background(), localURL(addr, "/v1/backup"), token, dst); err != nil {
		t.Fatal(err)
	}
	d, err := storage.Open(dst, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if targets, err = d.ListTargets(); err != nil {
		t.Fatal(err)
	}
	err = d.ForEachSubscription(func(s alerts.Subscription) error { subs = append(subs, s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return targets, subs
}

// onlyTargets fails unless exactly the targets want, and no others, have
// something stored.
func onlyTargets(t *testing.T, targets []alerts.Target, subs []alerts.Subscription, want ...alerts.TargetID) {
	t.Helper()
	ok := map[alerts.TargetID]bool{}
	for _, id := range want {
		ok[id] = true
	}
	for _, tg := range targets {
		if !ok[tg.ID] {
			t.Errorf("a target was stored for %s (%s)", tg.ID, tg.Title)
		}
	}
	for _, s := range subs {
		if !ok[s.Target] {
			t.Errorf("subscription %q was stored for %s", s.Query, s.Target)
		}
	}
	if len(targets) != len(want) {
		t.Errorf("%d targets stored, want %d (%v)", len(targets), len(want), want)
	}
}

func TestTelegramPrivateBot(t *testing.T) {
	db := filepath.Join(t.TempDir(), "herald.db")
	addr, fake := telegramService(t, "HERALD_DB", db, "HERALD_ALLOWED_CHATS", "telegram:101, telegram:-100200")
	alice := telegramtest.User{ID: 101, FirstName: "Alice"}
	mallory := telegramtest.User{ID: 666, FirstName: "Mallory"}
	allowedGroup := telegramtest.Chat{ID: -100200, Type: "supergroup", Title: "Analysts"}
	otherGroup := telegramtest.Chat{ID: -100999, Type: "supergroup", Title: "Elsewhere"}
	fake.SetMember(allowedGroup.ID, alice.ID, "creator")
	fake.SetMember(otherGroup.ID, alice.ID, "creator")

	if r := telegramSay(t, fake, telegramtest.PrivateChat(alice), alice, "/subscribe ceasefire"); !strings.Contains(r, "Subscribed") {
		t.Fatalf("a listed user: %q", r)
	}
	if r := telegramSay(t, fake, allowedGroup, alice, "/subscribe truce"); !strings.Contains(r, "Subscribed") {
		t.Fatalf("a listed group: %q", r)
	}
	// Someone else gets one polite refusal naming their ID, however often
	// they write.
	r := telegramSay(t, fake, telegramtest.PrivateChat(mallory), mallory, "/subscribe ceasefire")
	if !strings.Contains(r, "this Herald is private") || !strings.Contains(r, "telegram:666") || strings.Contains(r, "Subscribed") {
		t.Fatalf("an unlisted user: %q", r)
	}
	for _, text := range []string{"/subscribe ceasefire", "/start", "hello"} {
		fake.WaitConfirmed(t, fake.UserSays(mallory, text), telegramWait)
	}
	// A listed user in a group that is not listed: the group is refused.
	if r := telegramSay(t, fake, otherGroup, alice, "/subscribe ceasefire"); !strings.Contains(r, "telegram:-100999") {
		t.Fatalf("an unlisted group: %q", r)
	}
	fake.WaitConfirmed(t, fake.GroupMessage(otherGroup, alice, "/list"), telegramWait)
	if n, m := len(fake.Sent(mallory.ID)), len(fake.Sent(otherGroup.ID)); n != 1 || m != 1 {
		t.Errorf("refusals sent: %d to the user, %d to the group; want one each", n, m)
	}
	targets, subs := stored(t, addr, db)
	onlyTargets(t, targets, subs, "telegram:101", "telegram:-100200")
	if len(subs) != 2 {
		t.Errorf("%d subscriptions stored, want the 2 of the listed chats", len(subs))
	}
}

func TestDiscordPrivateBot(t *testing.T) {
	db := filepath.Join(t.TempDir(), "herald.db")
	const guild, user = "400000000000000001", "600000000000000001"
	addr, fake := discordService(t, "HERALD_DB", db, "HERALD_ALLOWED_CHATS", "discord:"+guild+",discord:"+user)
	allowed := discordtest.Place{GuildID: guild, ChannelID: "500000000000000001"}
	other := discordtest.Place{GuildID: "400000000000000009", ChannelID: "500000000000000009"}
	alice := discordtest.Member{UserID: user, UserName: "alice", Permissions: discordgo.PermissionManageChannels}
	bob := discordtest.Member{UserID: "600000000000000002", UserName: "bob", Permissions: discordgo.PermissionManageChannels}
	query := discordtest.Option{Name: "query", Value: "ceasefire"}

	if r := fake.WaitReply(fake.Slash(allowed, bob, "subscribe", query)); !strings.Contains(r.Content, "Subscribed") {
		t.Fatalf("a channel of a listed server: %q", r.Content)
	}
	if r := fake.WaitReply(fake.Slash(discordtest.Place{}, alice, "subscribe", query)); !strings.Contains(r.Content, "Subscribed") {
		t.Fatalf("a listed user's DM: %q", r.Content)
	}
	r := fake.WaitReply(fake.Slash(other, bob, "subscribe", query))
	if !strings.Contains(r.Content, "this Herald is private") || !strings.Contains(r.Content, "discord:500000000000000009") ||
		!strings.Contains(r.Content, "discord:400000000000000009") || !r.Ephemeral {
		t.Fatalf("a server not listed: %+v", r)
	}
	// The second command there gets no answer: its "thinking…" goes.
	if in := fake.WaitDeleted(fake.Slash(other, alice, "list")); len(in.Edits) != 0 {
		t.Errorf("the second command in the refused channel was answered: %s", in.Edits)
	}
	if r := fake.WaitReply(fake.Slash(discordtest.Place{}, bob, "subscribe", query)); !strings.Contains(r.Content, "discord:600000000000000002") {
		t.Fatalf("an unlisted user's DM: %q", r.Content)
	}
	targets, subs := stored(t, addr, db)
	onlyTargets(t, targets, subs, "discord:500000000000000001", alerts.TargetID("discord:"+discordtest.DMChannelID(user)))
}
