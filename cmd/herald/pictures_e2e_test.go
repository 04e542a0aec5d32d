package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/adapters/discord/discordtest"
	"github.com/herald-news/herald/adapters/telegram/telegramtest"
)

// End-to-end tests of pictures, role pings, forum posts and threads.

// pushWithImage pushes an article that has a picture.
func pushWithImage(t *testing.T, addr, title, url, body, image string) {
	t.Helper()
	pushJSON(t, addr, map[string]string{"title": title, "url": url, "body": body, "source": "Example News", "image": image})
}

// pushJSON pushes an article given as its JSON fields.
func pushJSON(t *testing.T, addr string, fields map[string]string) {
	t.Helper()
	b, _ := json.Marshal(fields)
	resp, err := testHTTP.Post("http://"+addr+"/v1/articles", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST /v1/articles: %s", resp.Status)
	}
}

func TestTelegramPictures(t *testing.T) {
	s, fake := telegramService(t)
	alice := telegramtest.User{ID: 101, FirstName: "Alice"}
	dm := telegramtest.PrivateChat(alice)
	telegramSay(t, fake, dm, alice, "/subscribe ceasefire")

	pushWithImage(t, s.addr, "Ceasefire talks resume in Geneva", "https://news.example/geneva",
		"Envoys agreed to resume ceasefire talks in Geneva on Monday.", "https://img.example.com/geneva.jpg")
	alert := fake.WaitSent(t, alice.ID, 2, testWait)[1]
	if alert.LinkPreview != `{"url":"https://img.example.com/geneva.jpg","prefer_large_media":true,"show_above_text":true}` {
		t.Errorf("link_preview_options = %s", alert.LinkPreview)
	}
	// A picture on a private address is never handed to Telegram.
	pushWithImage(t, s.addr, "Ceasefire monitors deploy in the east", "https://news.example/monitors",
		"Monitors of the ceasefire arrived in the eastern towns.", "http://10.0.0.5/internal.jpg")
	if got := fake.WaitSent(t, alice.ID, 3, testWait)[2]; got.LinkPreview != "" {
		t.Errorf("a private picture reached Telegram: %s", got.LinkPreview)
	}
	// /previews off: no picture, no preview.
	telegramSay(t, fake, dm, alice, "/previews off")
	pushWithImage(t, s.addr, "Ceasefire holds for a third day", "https://news.example/third",
		"The ceasefire held for a third day as aid convoys moved.", "https://img.example.com/third.jpg")
	if got := fake.WaitSent(t, alice.ID, 5, testWait)[4]; !got.NoPreview || strings.Contains(got.LinkPreview, "third.jpg") {
		t.Errorf("with /previews off: %s", got.LinkPreview)
	}
}

func TestDiscordPicturesRolesForumsAndThreads(t *testing.T) {
	addr, fake := discordService(t)
	const guild = "400000000000000001"
	text := discordtest.Place{GuildID: guild, ChannelID: "500000000000000001"}
	admin := discordtest.Member{UserID: "600000000000000001", UserName: "alice", Permissions: discordgo.PermissionManageChannels}
	breaking := discordtest.Option{Name: "role", Value: "700000000000000001", RoleName: "Breaking"}

	// A role ping is opt-in, by a manager, never @everyone (the guild's own ID).
	if r := fake.WaitReply(fake.Slash(text, admin, "subscribe", discordtest.Option{Name: "query", Value: "ceasefire"}, breaking)); !strings.Contains(r.Content, "ping the role Breaking") {
		t.Fatalf("subscribe with a role: %q", r.Content)
	}
	everyone := discordtest.Option{Name: "role", Value: guild, RoleName: "@everyone"}
	if r := fake.WaitReply(fake.Slash(text, admin, "subscribe", discordtest.Option{Name: "query", Value: "sanctions"}, everyone)); !strings.Contains(r.Content, "never @\u200beveryone") {
		t.Fatalf("subscribe pinging @everyone: %q", r.Content)
	}
	fake.WaitReply(fake.Slash(text, admin, "subscribe", discordtest.Option{Name: "query", Value: "sanctions"}))
	fake.WaitReply(fake.Slash(text, admin, "threads", discordtest.Option{Name: "mode", Value: "on"}))

	pushWithImage(t, addr, "Ceasefire talks resume in Geneva @everyone", "https://news.example/geneva",
		"Envoys agreed to resume ceasefire talks in Geneva on Monday. <@&700000000000000002> @here", "https://img.example.com/geneva.jpg")
	m := fake.WaitMessages(text.ChannelID, 1)[0]
	body := m.Decode(t)
	if body.Content != "<@&700000000000000001>" || string(body.AllowedMentions) != `{"parse":[],"roles":["700000000000000001"],"replied_user":false}` {
		t.Errorf("the ceasefire alert pings %q with %s", body.Content, body.AllowedMentions)
	}
	if e := body.Embeds[0]; e.Image == nil || e.Image.URL != "https://img.example.com/geneva.jpg" {
		t.Errorf("the embed's image: %+v", e.Image)
	}
	// /threads on: a thread named after the article on the alert.
	if th := fake.WaitThreads(text.ChannelID, 1); th[0].MessageID != m.ID || !strings.HasPrefix(th[0].Name, "Ceasefire talks resume in Geneva") {
		t.Errorf("the thread: %+v", th)
	}
	// Everything else pings nobody.
	pushArticle(t, addr, "New sanctions on oil exports", "https://news.example/oil", "Ministers agreed new sanctions on oil exports on Tuesday.")
	other := fake.WaitMessages(text.ChannelID, 2)[1].Decode(t)
	if other.Content != "" || string(other.AllowedMentions) != `{"parse":[],"replied_user":false}` || other.Embeds[0].Image != nil {
		t.Errorf("the sanctions alert: content %q, allowed_mentions %s", other.Content, other.AllowedMentions)
	}

	// A forum: a command in one of its posts acts for the forum, and each
	// alert is a new post titled with the article's title.
	const forum, post = "500000000000000009", "500000000000000010"
	fake.Dispatch(0, "GUILD_CREATE", fake.Forum(guild, forum, post))
	inForum := discordtest.Place{GuildID: guild, ChannelID: post}
	fake.WaitReply(fake.Slash(inForum, admin, "subscribe", discordtest.Option{Name: "query", Value: "grain"}))
	grain := "The first three grain ships left the port of Odesa on Monday under the Black Sea corridor deal, carrying wheat and corn for Egypt and Lebanon, port officials said."
	pushArticle(t, addr, "Grain ships leave Odesa", "https://news.example/grain", grain)
	posts := fake.WaitThreads(forum, 1)
	if posts[0].Name != "Grain ships leave Odesa" {
		t.Errorf("the forum post: %+v", posts[0])
	}
	first := fake.WaitMessages(posts[0].ID, 1)[0].Decode(t)
	if len(first.Embeds) != 1 || !strings.Contains(first.Embeds[0].Title, "Grain ships") {
		t.Errorf("the post's first message: %+v", first)
	}
	// The story's update edits the post's first message, not a new post,
	// even when it arrives before the post's send is recorded.
	pushJSON(t, addr, map[string]string{"title": "Grain ships leave Odesa under corridor deal", "url": "https://globe.example/grain",
		"body": "Three grain ships left the port of Odesa on Monday under the Black Sea corridor deal, carrying wheat and corn for Egypt and Lebanon, officials at the port said on Monday.", "source": "Globe"})
	waitFor(t, "the post's edit", func() bool {
		if fake.Messages(posts[0].ID)[0].Edits > 0 {
			return true
		}
		if th := fake.Threads(forum); len(th) > 1 {
			t.Fatalf("the story's update made another post: %+v", th)
		}
		return false
	})
	if n := len(fake.Threads(forum)); n != 1 {
		t.Errorf("%d posts in the forum, want the one, edited", n)
	}
}

// TestOneAlertAsThePlatformsReceiveIt sends one alert with a custom
// format, a picture and (on Discord) a role ping, and logs the request
// each fake received: go test -run TestOneAlertAsThePlatformsReceiveIt -v ./cmd/herald
func TestOneAlertAsThePlatformsReceiveIt(t *testing.T) {
	const tpl = `🔔 {title}\n{summary}\n— {source}, {time} · matched: {matched}`
	article := map[string]string{"title": "Ceasefire talks resume in Geneva @everyone", "url": "https://news.example/geneva",
		"body":   "Envoys agreed to resume ceasefire talks in Geneva on Monday, officials said. <@&700000000000000002> @here",
		"source": "Example News", "image": "https://img.example.com/geneva.jpg", "published": "2026-12-07T08:00:00Z"}

	s, tg := telegramService(t)
	alice := telegramtest.User{ID: 101, FirstName: "Alice"}
	telegramSay(t, tg, telegramtest.PrivateChat(alice), alice, "/subscribe ceasefire")
	telegramSay(t, tg, telegramtest.PrivateChat(alice), alice, "/format "+tpl)
	tg.WaitSent(t, alice.ID, 3, testWait) // two replies and the preview
	pushJSON(t, s.addr, article)
	tg.WaitSent(t, alice.ID, 4, testWait)
	reqs := tg.Requests("sendMessage")
	raw := reqs[len(reqs)-1].Params
	t.Logf("Telegram sendMessage (form fields):\n%s", raw.Encode())
	if !strings.HasPrefix(raw.Get("text"), `🔔 <b><a href="https://news.example/geneva">`) || !strings.Contains(raw.Get("link_preview_options"), "img.example.com") {
		t.Errorf("Telegram: %v", raw)
	}

	addr, dc := discordService(t)
	place := discordtest.Place{GuildID: "400000000000000001", ChannelID: "500000000000000001"}
	admin := discordtest.Member{UserID: "600000000000000001", UserName: "alice", Permissions: discordgo.PermissionManageChannels}
	dc.WaitReply(dc.Slash(place, admin, "subscribe", discordtest.Option{Name: "query", Value: "ceasefire"},
		discordtest.Option{Name: "role", Value: "700000000000000001", RoleName: "Breaking"}))
	dc.WaitReply(dc.Slash(place, admin, "format", discordtest.Option{Name: "template", Value: tpl}))
	pushJSON(t, addr, article)
	m := dc.WaitMessages(place.ChannelID, 1)[0]
	var pretty bytes.Buffer
	json.Indent(&pretty, m.Body, "", "  ")
	t.Logf("Discord POST /channels/%s/messages:\n%s", place.ChannelID, pretty.String())
	b := m.Decode(t)
	if b.Content != "<@&700000000000000001>" || b.Embeds[0].Image == nil || !strings.HasPrefix(b.Embeds[0].Description, "🔔 **[Ceasefire talks resume in Geneva @\u200beveryone]") {
		t.Errorf("Discord: %s", m.Body)
	}
}
