package main

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/adapters/discord/discordtest"
	"github.com/herald-news/herald/adapters/telegram/telegramtest"
)

// End-to-end tests of alerts in the chat's language: the default layout's
// own words and its dates, as each platform's fake received them.

// grainStory is an article and its second report by another outlet,
// alike enough to be one story.
var grainStory = [2]map[string]string{
	{"title": "Grain ships leave Odesa", "url": "https://news.example/grain", "source": "Example News",
		"published": "2026-12-07T08:00:00Z",
		"body":      "The first three grain ships left the port of Odesa on Monday under the Black Sea corridor deal, carrying wheat and corn for Egypt and Lebanon, port officials said."},
	{"title": "Grain ships leave Odesa under corridor deal", "url": "https://globe.example/grain", "source": "Globe",
		"published": "2026-12-07T08:10:00Z",
		"body":      "Three grain ships left the port of Odesa on Monday under the Black Sea corridor deal, carrying wheat and corn for Egypt and Lebanon, officials at the port said on Monday."},
}

func TestTelegramAlertsInTheChatsLanguage(t *testing.T) {
	s, fake := telegramService(t)
	ivan := telegramtest.User{ID: 202, FirstName: "Иван", LanguageCode: "ru"}
	dm := telegramtest.PrivateChat(ivan)
	telegramSay(t, fake, dm, ivan, "/subscribe grain")
	telegramSay(t, fake, dm, ivan, "/timezone Europe/Moscow")

	pushJSON(t, s.addr, grainStory[0])
	alert := fake.WaitSent(t, ivan.ID, 3, testWait)[2]
	if !strings.Contains(alert.Visible, "Grain ships leave Odesa") || !strings.Contains(alert.Visible, "7 дек. 11:00 MSK") {
		t.Errorf("the alert:\n%s", alert.Visible)
	}
	// The story's second outlet edits the alert, in Russian too.
	pushJSON(t, s.addr, grainStory[1])
	waitFor(t, "the alert's edit", func() bool { return fake.Sent(ivan.ID)[2].Edits > 0 })
	if got := fake.Sent(ivan.ID)[2].Visible; !strings.Contains(got, "Также сообщили Globe") || strings.Contains(got, "Also reported") {
		t.Errorf("the edited alert:\n%s", got)
	}
}

func TestDiscordAlertsInTheChannelsLanguage(t *testing.T) {
	addr, fake := discordService(t)
	place := discordtest.Place{GuildID: "400000000000000001", ChannelID: "500000000000000001"}
	admin := discordtest.Member{UserID: "600000000000000001", UserName: "olena", Permissions: discordgo.PermissionManageChannels}
	fake.WaitReply(fake.Slash(place, admin, "language", discordtest.Option{Name: "language", Value: "uk"}))
	fake.WaitReply(fake.Slash(place, admin, "subscribe", discordtest.Option{Name: "query", Value: "grain"}))

	pushJSON(t, addr, grainStory[0])
	m := fake.WaitMessages(place.ChannelID, 1)[0]
	e := m.Decode(t).Embeds[0]
	if len(e.Fields) == 0 || e.Fields[0].Name != "Збіглося" || e.Timestamp != "2026-12-07T08:00:00Z" {
		t.Errorf("the embed: fields %+v, timestamp %q", e.Fields, e.Timestamp)
	}
	pushJSON(t, addr, grainStory[1])
	waitFor(t, "the alert's edit", func() bool { return fake.Messages(place.ChannelID)[0].Edits > 0 })
	e = fake.Messages(place.ChannelID)[0].Decode(t).Embeds[0]
	if last := e.Fields[len(e.Fields)-1]; last.Name != "Також повідомили" || last.Value != "Globe" {
		t.Errorf("the edited embed's fields: %+v", e.Fields)
	}
}
