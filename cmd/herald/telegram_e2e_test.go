package main

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/herald-news/herald/adapters/telegram/telegramtest"
	"github.com/herald-news/herald/alerts"
)

// telegramService runs herald as in production with Telegram pointed at a
// fake Bot API, until the test ends; it returns once herald is ready
// (getMe succeeded and the long poll runs). extra are more variables, in
// pairs.
func telegramService(t *testing.T, extra ...string) (s *served, fake *telegramtest.Server) {
	t.Helper()
	endToEnd(t)
	fake = telegramtest.New(t)
	vars := map[string]string{
		"HERALD_TELEGRAM_TOKEN": telegramtest.Token,
		"HERALD_TELEGRAM_API":   fake.URL,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	s = startServe(t, vars)
	waitReady(t, s.addr)
	return s, fake
}

// telegramSay sends a command and returns the bot's reply to it.
func telegramSay(t *testing.T, fake *telegramtest.Server, chat telegramtest.Chat, from telegramtest.User, text string) string {
	t.Helper()
	before := len(fake.Sent(chat.ID))
	switch chat.Type {
	case "private":
		fake.UserSays(from, text)
	case "channel":
		fake.ChannelPost(chat, text)
	default:
		fake.GroupMessage(chat, from, text)
	}
	return fake.WaitSent(t, chat.ID, before+1, testWait)[before].Visible
}

// sendAttempts counts sendMessage calls to a chat, failed ones included.
func sendAttempts(fake *telegramtest.Server, chatID int64) int {
	n := 0
	for _, r := range fake.Requests("sendMessage") {
		if r.Params.Get("chat_id") == strconv.FormatInt(chatID, 10) {
			n++
		}
	}
	return n
}

func TestTelegramEndToEnd(t *testing.T) {
	s, fake := telegramService(t)
	addr := s.addr
	alice := telegramtest.User{ID: 101, FirstName: "Alice", UserName: "alice"}
	bob := telegramtest.User{ID: 102, FirstName: "Bob", UserName: "bob"}
	carol := telegramtest.User{ID: 103, FirstName: "Carol"}
	aliceDM, bobDM, carolDM := telegramtest.PrivateChat(alice), telegramtest.PrivateChat(bob), telegramtest.PrivateChat(carol)
	group := telegramtest.Chat{ID: -100200, Type: "supergroup", Title: "Analysts"}
	fake.SetMember(group.ID, alice.ID, "creator")
	fake.SetMember(group.ID, bob.ID, "member")

	// Commands are registered for the menu.
	fake.WaitRequests(t, "setMyCommands", 1, testWait)

	// A user subscribes in a private chat and gets a reply.
	if r := telegramSay(t, fake, aliceDM, alice, "/subscribe ceasefire"); !strings.Contains(r, "Subscribed") {
		t.Fatalf("/subscribe answered %q", r)
	}
	if r := telegramSay(t, fake, bobDM, bob, "/subscribe ceasefire OR truce"); !strings.Contains(r, "Subscribed") {
		t.Fatalf("bob's /subscribe answered %q", r)
	}
	if r := telegramSay(t, fake, carolDM, carol, "/subscribe ceasefire"); !strings.Contains(r, "Subscribed") {
		t.Fatalf("carol's /subscribe answered %q", r)
	}

	// In a group, a member who is not an admin is refused; the creator is not.
	if r := telegramSay(t, fake, group, bob, "/subscribe@HeraldBot ceasefire"); strings.Contains(r, "Subscribed") || !strings.Contains(r, "manage") {
		t.Errorf("non-admin in a group: %q", r)
	}
	if r := telegramSay(t, fake, group, alice, "/subscribe@HeraldBot ceasefire"); !strings.Contains(r, "Subscribed") {
		t.Errorf("group creator: %q", r)
	}

	// In a channel where the bot is an admin, a post signed by the channel
	// comes from an admin.
	channel := telegramtest.Chat{ID: -100300, Type: "channel", Title: "Ceasefire watch"}
	if r := telegramSay(t, fake, channel, telegramtest.User{}, "/subscribe ceasefire"); !strings.Contains(r, "Subscribed") {
		t.Errorf("channel post: %q", r)
	}

	// Carol blocks the bot: her chat is deactivated and never tried again.
	fake.WaitConfirmed(t, fake.BlockBot(carol), testWait)
	carolTries := sendAttempts(fake, carol.ID)

	// An article arrives as exactly one alert, in HTML, with buttons.
	pushArticle(t, addr, "Ceasefire talks resume in Geneva", "https://news.example/geneva",
		"Envoys agreed to resume ceasefire talks in Geneva on Monday, officials said.")
	sent := fake.WaitSent(t, alice.ID, 2, testWait)
	alert := sent[1]
	if alert.ParseMode != "HTML" || !strings.HasPrefix(alert.Text, `<b><a href="https://news.example/geneva">Ceasefire talks resume in Geneva</a></b>`) {
		t.Errorf("alert HTML:\n%s", alert.Text)
	}
	if !strings.Contains(alert.Visible, "Example News") || !strings.Contains(alert.Visible, "ceasefire") {
		t.Errorf("alert shows:\n%s", alert.Visible)
	}
	var mute string
	for _, row := range alert.Buttons {
		for _, b := range row {
			if strings.Contains(b.Text, "Mute") {
				mute = b.CallbackData
			}
		}
	}
	if mute == "" {
		t.Fatalf("no mute button: %+v", alert.Buttons)
	}
	fake.WaitSent(t, group.ID, 3, testWait) // two replies and the alert
	if got := fake.WaitSent(t, channel.ID, 2, testWait)[1]; !strings.Contains(got.Visible, "Geneva") {
		t.Errorf("channel alert: %q", got.Visible)
	}

	// The same article pushed again raises nothing: the next one to arrive
	// is the next story.
	pushArticle(t, addr, "Ceasefire talks resume in Geneva", "https://news.example/geneva?utm_source=x",
		"Envoys agreed to resume ceasefire talks in Geneva on Monday, officials said.")
	// A title whose text holds "<b>" and "&" arrives escaped. (Ingest reads
	// real tags in a pushed title as markup and drops them, so the literal
	// text comes HTML-encoded, as feeds carry it.)
	pushArticle(t, addr, "&lt;b&gt;Ceasefire&lt;/b&gt; &amp; aid corridor opens in the south", "https://news.example/corridor",
		"Trucks with food crossed the front line after the ceasefire allowed an aid corridor near the southern port.")
	sent = fake.WaitSent(t, alice.ID, 3, testWait)
	escaped := sent[2]
	if !strings.Contains(escaped.Text, "&lt;b&gt;Ceasefire&lt;/b&gt; &amp; aid corridor") {
		t.Errorf("title not escaped:\n%s", escaped.Text)
	}
	if !strings.HasPrefix(escaped.Visible, "<b>Ceasefire</b> & aid corridor opens in the south") {
		t.Errorf("the user reads:\n%s", escaped.Visible)
	}

	// The mute button silences the next alert for that subscription.
	cq := fake.PressButton(alice, alice.ID, alert.MessageID, mute)
	if a := fake.WaitAnswer(t, cq, testWait); !strings.Contains(a, "Muted") {
		t.Errorf("mute answered %q", a)
	}
	pushArticle(t, addr, "Ceasefire collapses in the north", "https://news.example/north",
		"Fighting broke out overnight in the northern province as the ceasefire collapsed.")
	pushArticle(t, addr, "Truce observers arrive by train", "https://news.example/observers",
		"A team of international observers arrived by train to monitor the truce along the river.")
	// Bob, not muted, gets both; by then Alice's would have been sent too.
	fake.WaitSent(t, bob.ID, 5, testWait) // one reply, four alerts
	if got := fake.Sent(alice.ID); len(got) != 3 {
		t.Errorf("alice got %d messages after muting, want 3", len(got))
		for _, m := range got {
			t.Logf("%q", m.Visible)
		}
	}
	if n := sendAttempts(fake, carol.ID); n != carolTries {
		t.Errorf("%d sends tried to the chat that blocked the bot", n-carolTries)
	}

	// Carol unblocks the bot: her alerts resume.
	fake.ClearFaults()
	fake.WaitConfirmed(t, fake.MyChatMember(carolDM, carol, "kicked", "member"), testWait)
	pushArticle(t, addr, "Ceasefire extended for thirty days", "https://news.example/extended",
		"Both governments announced that the ceasefire would be extended for thirty more days.")
	if got := fake.WaitSent(t, carol.ID, 2, testWait)[1]; !strings.Contains(got.Visible, "thirty days") {
		t.Errorf("carol got %q", got.Visible)
	}
}

func TestTelegramWebhook(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hostPort := ln.Addr().String()
	ln.Close()
	hook := "http://" + hostPort + "/telegram/webhook"
	_, fake := telegramService(t, "HERALD_HTTP_ADDR", hostPort, "HERALD_TELEGRAM_WEBHOOK_URL", hook)

	url, secret := fake.Webhook()
	if url != hook || secret == "" {
		t.Fatalf("webhook %q, secret %q", url, secret)
	}
	// Telegram posts the update with the secret; herald answers in the chat.
	alice := telegramtest.User{ID: 201, FirstName: "Alice"}
	if r := telegramSay(t, fake, telegramtest.PrivateChat(alice), alice, "/subscribe ceasefire"); !strings.Contains(r, "Subscribed") {
		t.Fatalf("/subscribe answered %q", r)
	}
	// Anyone without the secret is turned away.
	body := `{"update_id":77,"message":{"message_id":1,"date":1,"chat":{"id":202,"type":"private"},"from":{"id":202,"first_name":"Eve"},"text":"/subscribe x"}}`
	resp, err := testHTTP.Post(hook, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("update without the secret: %s", resp.Status)
	}
	if len(fake.Requests("getUpdates")) != 0 {
		t.Error("long polling while a webhook is set")
	}
}

func TestTelegramSendFailuresRecover(t *testing.T) {
	s, fake := telegramService(t)
	addr := s.addr
	alice := telegramtest.User{ID: 301, FirstName: "Alice"}
	group := telegramtest.Chat{ID: -300, Type: "group", Title: "Old group"}
	fake.SetMember(group.ID, alice.ID, "creator")
	if r := telegramSay(t, fake, telegramtest.PrivateChat(alice), alice, "/subscribe ceasefire"); !strings.Contains(r, "Subscribed") {
		t.Fatalf("/subscribe answered %q", r)
	}
	if r := telegramSay(t, fake, group, alice, "/subscribe ceasefire"); !strings.Contains(r, "Subscribed") {
		t.Fatalf("group /subscribe answered %q", r)
	}
	// Alice's chat answers 429 then 500 before it accepts; the group has
	// become a supergroup with a new ID.
	internal := telegramtest.Internal
	internal.Method, internal.ChatID, internal.Times = "sendMessage", alice.ID, 1
	fake.Fail(internal)
	limited := telegramtest.Fault{Method: "sendMessage", ChatID: alice.ID, Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1, Times: 1}
	fake.Fail(limited)
	const supergroup = -1000300
	migrated := telegramtest.Migrated(supergroup)
	migrated.Method, migrated.ChatID = "sendMessage", group.ID
	fake.Fail(migrated)

	pushArticle(t, addr, "Ceasefire monitors report a quiet night", "https://news.example/quiet",
		"Monitors along the contact line reported the first quiet night since the ceasefire began.")
	sent := fake.WaitSent(t, alice.ID, 2, testWait)
	if !strings.Contains(sent[1].Visible, "quiet night") {
		t.Errorf("alice got %q", sent[1].Visible)
	}
	moved := fake.WaitSent(t, supergroup, 1, testWait)
	if !strings.Contains(moved[0].Visible, "quiet night") {
		t.Errorf("supergroup got %q", moved[0].Visible)
	}
	// Later alerts go to the new ID straight away.
	pushArticle(t, addr, "Ceasefire talks move to Istanbul", "https://news.example/istanbul",
		"Delegations will meet in Istanbul next week to extend the ceasefire, the foreign ministry said.")
	fake.WaitSent(t, supergroup, 2, testWait)
	fake.WaitSent(t, alice.ID, 3, testWait)
	aliceID := alerts.NewTargetID(alerts.PlatformTelegram, strconv.FormatInt(alice.ID, 10))
	waitFor(t, "alice's alert to be logged", func() bool { return s.queued(t, aliceID) == 0 })
	if got := fake.Sent(alice.ID); len(got) != 3 {
		t.Errorf("alice got %d messages, want 3 (no duplicate after the retries)", len(got))
	}
}

// In a forum supergroup each topic follows its own subjects: a command in
// a topic acts for that topic, its reply and alerts go there, its buttons
// act for it, and a deleted topic stops being sent to.
func TestTelegramForumTopics(t *testing.T) {
	s, fake := telegramService(t)
	addr := s.addr
	alice := telegramtest.User{ID: 101, FirstName: "Alice", UserName: "alice"}
	forum := telegramtest.Chat{ID: -100700, Type: "supergroup", Title: "Newsroom"}
	fake.SetMember(forum.ID, alice.ID, "administrator")
	const ukraine, markets = 7, 9

	say := func(thread int, text string) telegramtest.SentMessage {
		t.Helper()
		before := len(fake.Sent(forum.ID))
		fake.TopicMessage(forum, thread, alice, text)
		return fake.WaitSent(t, forum.ID, before+1, testWait)[before]
	}
	if r := say(ukraine, "/subscribe ceasefire"); !strings.Contains(r.Visible, "Subscribed #") || r.ThreadID != ukraine {
		t.Fatalf("subscribe in the Ukraine topic: %q in topic %d", r.Visible, r.ThreadID)
	}
	if r := say(markets, "/subscribe oil"); !strings.Contains(r.Visible, "Subscribed #") || r.ThreadID != markets {
		t.Fatalf("subscribe in the markets topic: %q in topic %d", r.Visible, r.ThreadID)
	}
	if r := say(markets, "/list"); !strings.Contains(r.Visible, "oil") || strings.Contains(r.Visible, "ceasefire") {
		t.Errorf("/list in the markets topic: %q", r.Visible)
	}

	pushArticle(t, addr, "Ceasefire talks resume in Geneva", "https://news.example/geneva",
		"Envoys agreed to resume ceasefire talks in Geneva on Monday, officials said.")
	sent := fake.WaitSent(t, forum.ID, 4, testWait)
	alert := sent[3]
	if alert.ThreadID != ukraine || !strings.Contains(alert.Visible, "Geneva") {
		t.Fatalf("alert in topic %d: %q", alert.ThreadID, alert.Visible)
	}

	// Its mute button acts for the Ukraine topic. (Pressed at once, it may
	// beat the alert's log entry, which carries the button: then it says
	// so, and a second press works, as for a user.)
	var mute string
	for _, row := range alert.Buttons {
		for _, b := range row {
			if strings.Contains(b.Text, "Mute") {
				mute = b.CallbackData
			}
		}
	}
	waitFor(t, "the mute button to work", func() bool {
		a := fake.WaitAnswer(t, fake.PressButton(alice, forum.ID, alert.MessageID, mute), testWait)
		if !strings.Contains(a, "Muted") && !strings.Contains(a, "expired") {
			t.Fatalf("mute in the topic answered %q", a)
		}
		return strings.Contains(a, "Muted")
	})
	if r := say(ukraine, "/list"); !strings.Contains(r.Visible, "muted until") {
		t.Errorf("/list in the Ukraine topic after mute: %q", r.Visible)
	}
	if r := say(ukraine, "/subscribe drone"); !strings.Contains(r.Visible, "Subscribed") {
		t.Fatalf("second subscription in the topic: %q", r.Visible)
	}
	inTopic := func(thread int, text string) int {
		n := 0
		for _, m := range fake.Sent(forum.ID) {
			if m.ThreadID == thread && strings.Contains(m.Visible, text) {
				n++
			}
		}
		return n
	}
	waitInTopic := func(thread int, text string) {
		t.Helper()
		waitFor(t, fmt.Sprintf("a message with %q in topic %d", text, thread), func() bool { return inTopic(thread, text) > 0 })
	}

	// A closed topic gets nothing until it is reopened.
	fake.WaitConfirmed(t, fake.CloseTopic(forum, ukraine, alice), testWait)
	pushArticle(t, addr, "Drone strikes hit Kharkiv", "https://news.example/kharkiv",
		"Drones struck energy facilities in Kharkiv overnight, the governor said.")
	fake.WaitConfirmed(t, fake.ReopenTopic(forum, ukraine, alice), testWait)
	pushArticle(t, addr, "Drone debris falls in Odesa", "https://news.example/odesa",
		"Debris from a downed drone fell on a warehouse in Odesa, officials said.")
	waitInTopic(ukraine, "Odesa")

	// Removed from the forum, the bot sends to none of its topics; added
	// back, to all again.
	fake.WaitConfirmed(t, fake.MyChatMember(forum, alice, "administrator", "kicked"), testWait)
	pushArticle(t, addr, "Drone shot down near Sumy", "https://news.example/sumy",
		"Air defence shot down a drone near Sumy, the military said.")
	fake.WaitConfirmed(t, fake.MyChatMember(forum, alice, "left", "member"), testWait)
	pushArticle(t, addr, "Drone factory opens in Lviv", "https://news.example/lviv",
		"A new drone factory opened in Lviv on Thursday, the governor said.")
	waitInTopic(ukraine, "Lviv")
	for _, text := range []string{"Kharkiv", "Sumy"} {
		if n := inTopic(ukraine, text); n != 0 {
			t.Errorf("the alert about %s reached the topic while it was closed or the bot removed", text)
		}
	}

	// The markets topic is deleted: its alert fails for good, and the
	// topic is not tried again. Once herald has stopped the topic and
	// cleared its queue, a matching article queues nothing for it (ingest
	// plans before the push is answered), so nothing more can be sent.
	fake.DeleteTopic(forum.ID, markets)
	tries := len(fake.Requests("sendMessage"))
	pushArticle(t, addr, "Oil prices fall as supply rises", "https://news.example/oil",
		"Oil prices fell on Tuesday as supply rose faster than expected, traders said.")
	tries = len(fake.WaitRequests(t, "sendMessage", tries+1, testWait))
	marketsID := alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprintf("%d/%d", forum.ID, markets))
	waitFor(t, "the deleted topic to be stopped", func() bool {
		tg, err := s.db.GetTarget(marketsID)
		return err == nil && !tg.Active && s.queued(t, marketsID) == 0
	})
	pushArticle(t, addr, "Oil output cut extended", "https://news.example/oil-cut",
		"Producers agreed to extend the oil output cut by three months.")
	if q := s.queued(t, marketsID); q != 0 {
		t.Errorf("%d alerts queued for a deleted topic", q)
	}
	if n := len(fake.Requests("sendMessage")); n != tries {
		t.Errorf("%d more sends to a deleted topic", n-tries)
	}
	if n := inTopic(markets, "Oil"); n != 0 {
		t.Errorf("%d oil alerts in the deleted topic", n)
	}
}
