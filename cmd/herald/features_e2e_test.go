package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

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
	telegramSay(t, fake, dm, alice, "/subscribe sanctions")

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
	if a := fake.WaitAnswer(t, cq, testWait); !strings.Contains(a, "Unsubscribed from all 2") {
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
	if !done.Updated || !strings.Contains(done.Content, "Unsubscribed from the 1 topic") || len(done.Buttons) != 0 {
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
	s, fake := telegramService(t, "HERALD_DB", db, "HERALD_ALLOWED_CHATS", "telegram:101, telegram:-100200")
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
		fake.WaitConfirmed(t, fake.UserSays(mallory, text), testWait)
	}
	// A listed user in a group that is not listed: the group is refused.
	if r := telegramSay(t, fake, otherGroup, alice, "/subscribe ceasefire"); !strings.Contains(r, "telegram:-100999") {
		t.Fatalf("an unlisted group: %q", r)
	}
	fake.WaitConfirmed(t, fake.GroupMessage(otherGroup, alice, "/list"), testWait)
	if n, m := len(fake.Sent(mallory.ID)), len(fake.Sent(otherGroup.ID)); n != 1 || m != 1 {
		t.Errorf("refusals sent: %d to the user, %d to the group; want one each", n, m)
	}
	targets, subs := stored(t, s.addr, db)
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

// formatTemplate tries what a template could break: markup in its own
// text, a would-be ping, every placeholder, and a summary used three times.
const formatTemplate = `🔔 {title} — {source} <b>@everyone</b> & [x](y)\n{summary}\n{summary}\n{summary}\nmatched: {matched} at {time}\n{url}`

// longBody is a long article body, in one of two unrelated stories.
func longBody(story int) string {
	var b strings.Builder
	for i := range 60 {
		if story == 0 {
			fmt.Fprintf(&b, "The ceasefire held through night %d along the front line, observers from %d countries said. ", i+1, i+3)
		} else {
			fmt.Fprintf(&b, "Grain ship number %d left Odesa harbour under the ceasefire's sea corridor with %d tonnes of wheat. ", i+1, 1000*i+7)
		}
	}
	return b.String()
}

// overLimit is a template that cannot fit any platform's limit: sixty
// summaries.
var overLimit = "{title}\\n" + strings.Repeat("{summary} ", 60)

func TestTelegramFormat(t *testing.T) {
	s, fake := telegramService(t)
	addr := s.addr
	alice := telegramtest.User{ID: 101, FirstName: "Alice"}
	dm := telegramtest.PrivateChat(alice)
	telegramSay(t, fake, dm, alice, "/subscribe ceasefire")

	if r := telegramSay(t, fake, dm, alice, "/format {title} {link}"); !strings.Contains(r, "unknown placeholder {link} at column 9") {
		t.Fatalf("a bad template: %q", r)
	}
	if r := telegramSay(t, fake, dm, alice, "/format "+formatTemplate); !strings.Contains(r, "now use your template") {
		t.Fatalf("/format TEMPLATE: %q", r)
	}
	// The reply is followed by a preview, an alert laid out as the chat
	// will get it.
	preview := fake.WaitSent(t, alice.ID, 4, testWait)[3]
	if !strings.HasPrefix(preview.Visible, "🔔 Ceasefire talks resume in Geneva — Herald sample <b>@everyone</b> & [x](y)") {
		t.Errorf("the preview reads:\n%s", preview.Visible)
	}

	long := longBody(0)
	pushArticle(t, addr, "Ceasefire <holds> & talks go on", "https://news.example/holds", long)
	alert := fake.WaitSent(t, alice.ID, 5, testWait)[4]
	if !strings.HasPrefix(alert.Text, `🔔 <b><a href="https://news.example/holds">Ceasefire &lt;holds&gt; &amp; talks go on</a></b> — Example News &lt;b&gt;@everyone&lt;/b&gt; &amp; [x](y)`) {
		t.Errorf("the alert's HTML:\n%.300s", alert.Text)
	}
	for _, want := range []string{"matched: ceasefire at ", "\nhttps://news.example/holds", "The ceasefire held"} {
		if !strings.Contains(alert.Visible, want) {
			t.Errorf("the alert lacks %q:\n%s", want, alert.Visible)
		}
	}

	// /format alone shows the template and the last alert with it.
	if r := telegramSay(t, fake, dm, alice, "/format"); !strings.Contains(r, "use the template:\n"+formatTemplate) {
		t.Errorf("/format: %q", r)
	}
	if pv := fake.WaitSent(t, alice.ID, 7, testWait)[6]; !strings.HasPrefix(pv.Visible, "🔔 Ceasefire <holds> & talks go on — Example News") {
		t.Errorf("the preview of the last alert:\n%.200s", pv.Visible)
	}
	// Limits hold after substitution: sixty summaries do not fit.
	telegramSay(t, fake, dm, alice, "/format "+overLimit)
	pushArticle(t, addr, "Grain ships sail from Odesa", "https://news.example/calm", longBody(1))
	alert = fake.WaitSent(t, alice.ID, 10, testWait)[9]
	if n := telegramtest.UTF16Len(alert.Visible); n > telegramtest.MaxMessageLen || n < telegramtest.MaxMessageLen-400 || !strings.Contains(alert.Visible, "…") {
		t.Errorf("an alert of %d characters, cut with …: %v", n, strings.Contains(alert.Visible, "…"))
	}
	if r := telegramSay(t, fake, dm, alice, "/format default"); !strings.Contains(r, "Herald's layout again") {
		t.Errorf("/format default: %q", r)
	}
	pushArticle(t, addr, "Ceasefire extended", "https://news.example/extended", "The ceasefire was extended by thirty days.")
	if got := fake.WaitSent(t, alice.ID, 12, testWait)[11]; !strings.HasPrefix(got.Text, `<b><a href="https://news.example/extended">Ceasefire extended</a></b>`) || strings.Contains(got.Visible, "🔔") {
		t.Errorf("after /format default:\n%s", got.Text)
	}
}

func TestDiscordFormat(t *testing.T) {
	addr, fake := discordService(t)
	place := discordtest.Place{GuildID: "400000000000000001", ChannelID: "500000000000000001"}
	admin := discordtest.Member{UserID: "600000000000000001", UserName: "alice", Permissions: discordgo.PermissionManageChannels}
	fake.WaitReply(fake.Slash(place, admin, "subscribe", discordtest.Option{Name: "query", Value: "ceasefire"}))
	id := fake.Slash(place, admin, "format", discordtest.Option{Name: "template", Value: formatTemplate})
	if r := fake.WaitReply(id); !strings.Contains(r.Content, "now use your template") {
		t.Fatalf("/format: %q", r.Content)
	}
	in := fake.WaitFollowups(id, 1)
	var pv discordtest.Body
	if err := json.Unmarshal(in.Followups[len(in.Followups)-1], &pv); err != nil || len(pv.Embeds) != 1 {
		t.Fatalf("the preview: %s (%v)", in.Followups, err)
	}

	long := longBody(0)
	pushArticle(t, addr, "Ceasefire *holds* & talks go on", "https://news.example/holds", long)
	sent := fake.WaitMessages(place.ChannelID, 1)[0].Decode(t)
	e := sent.Embeds[0]
	if !strings.HasPrefix(e.Description, `🔔 **[Ceasefire \*holds\* & talks go on](https://news.example/holds)** — Example News <b>@`+"\u200b"+`everyone</b> & \[x\](y)`) {
		t.Errorf("the embed's description:\n%.300s", e.Description)
	}
	if string(sent.AllowedMentions) != `{"parse":[],"replied_user":false}` || e.Title != "" {
		t.Errorf("allowed_mentions %s, title %q", sent.AllowedMentions, e.Title)
	}
	if !strings.Contains(e.Description, "matched: ceasefire at <t:") || !strings.HasSuffix(e.Description, "\nhttps://news.example/holds") {
		t.Errorf("the description's end:\n%s", e.Description[max(0, len(e.Description)-200):])
	}
	// Limits hold after substitution: sixty summaries do not fit.
	fake.WaitReply(fake.Slash(place, admin, "format", discordtest.Option{Name: "template", Value: overLimit}))
	pushArticle(t, addr, "Grain ships sail from Odesa", "https://news.example/calm", longBody(1))
	e = fake.WaitMessages(place.ChannelID, 2)[1].Decode(t).Embeds[0]
	if n := len(utf16.Encode([]rune(e.Description))); n > 4096 || n < 3500 || !strings.Contains(e.Description, "…") {
		t.Errorf("a description of %d characters, cut with …: %v", n, strings.Contains(e.Description, "…"))
	}
}

func TestTelegramExportImport(t *testing.T) {
	_, fake := telegramService(t)
	alice := telegramtest.User{ID: 101, FirstName: "Alice"}
	group := telegramtest.Chat{ID: -100200, Type: "supergroup", Title: "Analysts"}
	fake.SetMember(group.ID, alice.ID, "creator")
	for _, cmd := range []string{"/subscribe ceasefire", `/subscribe "peace deal" -sport`, "/timezone europe/kyiv", "/format {title} ({source})"} {
		telegramSay(t, fake, group, alice, cmd)
	}
	fake.WaitSent(t, group.ID, 5, testWait) // four replies and /format's preview
	if r := telegramSay(t, fake, group, alice, "/export"); !strings.Contains(r, "2 subscriptions") {
		t.Fatalf("/export: %q", r)
	}
	sent := fake.WaitSent(t, group.ID, 7, testWait)
	doc := sent[6].Document
	if doc == nil || doc.FileName != "herald-telegram--100200.txt" {
		t.Fatalf("/export sent no document: %+v", sent[len(sent)-1])
	}
	for _, want := range []string{"herald export 1\n", "timezone Europe/Kyiv\n", "format {title} ({source})\n", "subscribe ceasefire\n", `subscribe "peace deal" -sport` + "\n"} {
		if !strings.Contains(string(doc.Data), want) {
			t.Errorf("the export lacks %q:\n%s", want, doc.Data)
		}
	}

	// Alice copies the group's setup to her DM, which follows one of the
	// topics already and has its own time zone; she added two bad lines.
	dm := telegramtest.PrivateChat(alice)
	telegramSay(t, fake, dm, alice, "/subscribe ceasefire")
	telegramSay(t, fake, dm, alice, "/timezone UTC+3")
	edited := append(append([]byte{}, doc.Data...), "subscribe (ceasefire\nfrobnicate now\n"...)
	before := len(fake.Sent(alice.ID))
	fake.UserSendsDocument(dm, alice, "analysts.txt", edited, "/import")
	r := fake.WaitSent(t, alice.ID, before+1, testWait)[before].Visible
	for _, want := range []string{"Imported: 1 subscription added, 1 already here, 2 lines with errors.", "Settings taken from the file: format.",
		"this chat's time zone stays UTC+03:00", "line 4: this chat's time zone stays", "line 6: already following that as #3",
		"line 8: unexpected end of query", `line 9: "frobnicate" is not something an export holds`} {
		if !strings.Contains(r, want) {
			t.Errorf("/import's reply lacks %q:\n%s", want, r)
		}
	}
	if l := telegramSay(t, fake, dm, alice, "/list"); !strings.Contains(l, `"peace deal" -sport`) || !strings.Contains(l, "Time zone: UTC+03:00") {
		t.Errorf("/list after /import:\n%s", l)
	}
	// /import without a file says how to attach one.
	if r := telegramSay(t, fake, dm, alice, "/import"); !strings.Contains(r, "as a document with /import as its caption") {
		t.Errorf("/import alone: %q", r)
	}
}

func TestDiscordExportImport(t *testing.T) {
	_, fake := discordService(t)
	from := discordtest.Place{GuildID: "400000000000000001", ChannelID: "500000000000000001"}
	to := discordtest.Place{GuildID: "400000000000000002", ChannelID: "500000000000000002"}
	admin := discordtest.Member{UserID: "600000000000000001", UserName: "alice", Permissions: discordgo.PermissionManageChannels}
	for _, q := range []string{"ceasefire", "Zelensky"} {
		fake.WaitReply(fake.Slash(from, admin, "subscribe", discordtest.Option{Name: "query", Value: q}))
	}
	fake.WaitReply(fake.Slash(from, admin, "quiet", discordtest.Option{Name: "hours", Value: "22:00-07:00"}))
	id := fake.Slash(from, admin, "export")
	if r := fake.WaitReply(id); !strings.Contains(r.Content, "2 subscriptions") || !r.Ephemeral {
		t.Fatalf("/export: %+v", r)
	}
	fake.WaitFollowups(id, 1)
	files := fake.FollowupFiles(id)
	if len(files) != 1 || !strings.Contains(string(files[0].Data), "subscribe Zelensky\n") || !strings.Contains(string(files[0].Data), "quiet 22:00-07:00\n") {
		t.Fatalf("/export's attachment: %+v", files)
	}
	r := fake.WaitReply(fake.SlashWithFile(to, admin, "import", "file", files[0].Name, files[0].Data))
	if !strings.Contains(r.Content, "Imported: 2 subscriptions added, 0 already here, 0 lines with errors.") || !strings.Contains(r.Content, "quiet hours") {
		t.Fatalf("/import: %q", r.Content)
	}
	if l := fake.WaitReply(fake.Slash(to, admin, "list")); !strings.Contains(l.Content, "#3  ceasefire") || !strings.Contains(l.Content, "Quiet hours: 22:00-07:00") {
		t.Errorf("/list in the other channel:\n%s", l.Content)
	}
}

func TestTelegramLanguages(t *testing.T) {
	_, fake := telegramService(t)
	// The menu is registered in English for everyone, and in Russian and
	// Ukrainian for users whose Telegram speaks them.
	fake.WaitRequests(t, "setMyCommands", 3, testWait)
	for lang, want := range map[string]string{"": `"Follow a topic`, "ru": `"Следить за темой`, "uk": `"Стежити за темою`} {
		if got := fake.WaitCommands(t, lang, testWait); !strings.Contains(got, want) || !strings.Contains(got, `"command":"language"`) {
			t.Errorf("setMyCommands language_code=%q: %.200s", lang, got)
		}
	}
	olena := telegramtest.User{ID: 201, FirstName: "Олена", LanguageCode: "uk"}
	ivan := telegramtest.User{ID: 202, FirstName: "Иван", LanguageCode: "ru-RU"}
	if r := telegramSay(t, fake, telegramtest.PrivateChat(olena), olena, "/subscribe ceasefire"); !strings.Contains(r, "Підписка №1") {
		t.Errorf("a Ukrainian user: %q", r)
	}
	if r := telegramSay(t, fake, telegramtest.PrivateChat(ivan), ivan, "/list"); !strings.Contains(r, "пока ни за чем не следит") {
		t.Errorf("a Russian user: %q", r)
	}
	// /language overrides the user's own.
	if r := telegramSay(t, fake, telegramtest.PrivateChat(ivan), ivan, "/language en"); !strings.Contains(r, "Herald speaks English here now") {
		t.Errorf("/language en: %q", r)
	}
	if r := telegramSay(t, fake, telegramtest.PrivateChat(ivan), ivan, "/list"); !strings.Contains(r, "follows nothing yet") {
		t.Errorf("after /language en: %q", r)
	}
}

func TestDiscordLanguages(t *testing.T) {
	addr, fake := discordService(t)
	var cmds []struct {
		Name    string            `json:"name"`
		Desc    map[string]string `json:"description_localizations"`
		Options []struct {
			Desc map[string]string `json:"description_localizations"`
		} `json:"options"`
	}
	if err := json.Unmarshal(fake.Commands(), &cmds); err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		if c.Name == "subscribe" && (c.Desc["ru"] != "Следить за темой: слова, «фразы», люди и места" || c.Desc["uk"] == "" || c.Options[0].Desc["uk"] == "") {
			t.Errorf("/subscribe's localizations: %+v", c)
		}
	}
	place := discordtest.Place{GuildID: "400000000000000001", ChannelID: "500000000000000001"}
	admin := discordtest.Member{UserID: "600000000000000001", UserName: "olena", Permissions: discordgo.PermissionManageChannels, Locale: "uk"}
	if r := fake.WaitReply(fake.Slash(place, admin, "subscribe", discordtest.Option{Name: "query", Value: "ceasefire"})); !strings.Contains(r.Content, "Підписка №1") {
		t.Errorf("a Ukrainian member: %q", r.Content)
	}
	// The channel's alerts follow its language: the buttons are Ukrainian.
	pushArticle(t, addr, "Ceasefire talks resume in Geneva", "https://news.example/geneva", "Envoys agreed to resume ceasefire talks.")
	body := fake.WaitMessages(place.ChannelID, 1)[0].Decode(t)
	if len(body.Components) != 1 || body.Components[0].Components[0].Label != "Пауза 8 год" {
		t.Errorf("the alert's buttons: %+v", body.Components)
	}
}

// A chat's role pings and mutes travel in its export: /import restores
// them in a channel of the same server, and says why a role cannot ping
// in another server, where the mutes still come along.
func TestDiscordExportImportKeepsRolesAndMutes(t *testing.T) {
	_, fake := discordService(t)
	const guild = "400000000000000001"
	from := discordtest.Place{GuildID: guild, ChannelID: "500000000000000001"}
	same := discordtest.Place{GuildID: guild, ChannelID: "500000000000000003"}
	other := discordtest.Place{GuildID: "400000000000000002", ChannelID: "500000000000000002"}
	admin := discordtest.Member{UserID: "600000000000000001", UserName: "alice", Permissions: discordgo.PermissionManageChannels}
	breaking := discordtest.Option{Name: "role", Value: "700000000000000001", RoleName: "Breaking"}
	fake.WaitReply(fake.Slash(from, admin, "subscribe", discordtest.Option{Name: "query", Value: "ceasefire"}, breaking))
	fake.WaitReply(fake.Slash(from, admin, "subscribe", discordtest.Option{Name: "query", Value: "grain"}))
	fake.WaitReply(fake.Slash(from, admin, "mute", discordtest.Option{Name: "subscription", Value: "2"}, discordtest.Option{Name: "duration", Value: "8h"}))
	fake.WaitReply(fake.Slash(from, admin, "mute", discordtest.Option{Name: "subscription", Value: "all"}, discordtest.Option{Name: "duration", Value: "2d"}))
	id := fake.Slash(from, admin, "export")
	fake.WaitFollowups(id, 1)
	file := fake.FollowupFiles(id)[0]
	t.Logf("the export:\n%s", file.Data)
	for _, want := range []string{"server " + guild + "\n", "subscribe ceasefire\n  role 700000000000000001 Breaking\n",
		"subscribe grain\n  mute until ", "mute all until "} {
		if !strings.Contains(string(file.Data), want) {
			t.Errorf("the export lacks %q:\n%s", want, file.Data)
		}
	}

	r := fake.WaitReply(fake.SlashWithFile(same, admin, "import", "file", file.Name, file.Data))
	if !strings.Contains(r.Content, "Imported: 2 subscriptions added") || !strings.Contains(r.Content, "Role pings and mutes restored on 2 subscriptions.") ||
		!strings.Contains(r.Content, "Settings taken from the file: mute.") {
		t.Errorf("/import in the same server:\n%s", r.Content)
	}
	l := fake.WaitReply(fake.Slash(same, admin, "list")).Content
	for _, want := range []string{"ceasefire  (pings Breaking)", "grain  (muted until ", "Everything is muted until "} {
		if !strings.Contains(l, want) {
			t.Errorf("/list in the same server lacks %q:\n%s", want, l)
		}
	}

	r = fake.WaitReply(fake.SlashWithFile(other, admin, "import", "file", file.Name, file.Data))
	if !strings.Contains(r.Content, "line 7: the role Breaking belongs to another Discord server: #5 pings nobody here") ||
		!strings.Contains(r.Content, "Role pings and mutes restored on 1 subscription.") {
		t.Errorf("/import in another server:\n%s", r.Content)
	}
	if l := fake.WaitReply(fake.Slash(other, admin, "list")).Content; strings.Contains(l, "pings") || !strings.Contains(l, "(muted until ") {
		t.Errorf("/list in another server:\n%s", l)
	}
}
