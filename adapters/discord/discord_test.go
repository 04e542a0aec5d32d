package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/adapters/discord/discordtest"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// recorder is a Handler that keeps what it was given and answers with a
// fixed text, or with what answer returns.
type recorder struct {
	mu     sync.Mutex
	cmds   []bot.Command
	gone   []string
	back   []string
	answer func(bot.Command) bot.Reply
	// pace, when set, answers ReplyTurn.
	pace func(context.Context, alerts.Target) (func(), error)
}

func (r *recorder) HandleCommand(_ context.Context, c bot.Command) bot.Reply {
	r.mu.Lock()
	r.cmds = append(r.cmds, c)
	answer := r.answer
	r.mu.Unlock()
	if answer != nil {
		return answer(c)
	}
	return bot.Reply{Text: "ok: " + c.Text + c.Button}
}

func (r *recorder) TargetGone(_ context.Context, id alerts.TargetID, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gone = append(r.gone, string(id)+" "+reason)
	return nil
}

func (r *recorder) TargetBack(_ context.Context, id alerts.TargetID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.back = append(r.back, string(id))
	return nil
}

func (r *recorder) TargetMigrated(context.Context, alerts.TargetID, alerts.TargetID) error {
	return nil
}

// ReplyTurn lets every reply go at once, unless pace is set.
func (r *recorder) ReplyTurn(ctx context.Context, t alerts.Target) (func(), error) {
	r.mu.Lock()
	pace := r.pace
	r.mu.Unlock()
	if pace != nil {
		return pace(ctx, t)
	}
	return func() {}, nil
}

func (r *recorder) setAnswer(f func(bot.Command) bot.Reply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = f
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.cmds)
}

func (r *recorder) last() bot.Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cmds[len(r.cmds)-1]
}

// start runs an adapter against a fake Discord until the test ends.
func start(t *testing.T, shards int) (*Adapter, *discordtest.Server, *recorder) {
	t.Helper()
	fake := discordtest.New(t)
	rec := &recorder{}
	logs := &lockedBuffer{}
	a, err := New(Options{Token: discordtest.Token, APIBase: fake.APIBase(), Shards: shards, Handler: rec,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	a.retryBase = 10 * time.Millisecond
	a.identifyGap = time.Millisecond
	// A reply that is ready is the response itself however slow a busy
	// machine runs the handler; a test of deferral sets a short patience
	// and holds the reply back until it passed.
	a.patience = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		// Neither the bot token nor an interaction token reaches the log.
		if l := logs.String(); strings.Contains(l, discordtest.Token) || strings.Contains(l, "tok-") {
			t.Errorf("a token was logged:\n%s", l)
		}
	})
	fake.WaitConnected(shards)
	fake.WaitCommands()
	waitUntil(t, "the adapter is ready", a.Ready)
	return a, fake, rec
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitUntil polls cond; the deadline only stops a hung test.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

var (
	guild     = discordtest.Place{GuildID: "400000000000000001", ChannelID: "500000000000000001"}
	manager   = discordtest.Member{UserID: "600000000000000001", UserName: "alice", Permissions: discordgo.PermissionManageChannels | discordgo.PermissionSendMessages}
	bystander = discordtest.Member{UserID: "600000000000000002", UserName: "bob", Permissions: discordgo.PermissionSendMessages}
	dm        = discordtest.Place{}
)

func TestCommandsAreSyncedForGuildsAndDMs(t *testing.T) {
	t.Parallel()
	_, fake, _ := start(t, 1)
	var cmds []struct {
		Name        string  `json:"name"`
		Perms       *string `json:"default_member_permissions"`
		Contexts    []int   `json:"contexts"`
		Description string  `json:"description"`
		Options     []struct {
			Name     string `json:"name"`
			Type     int    `json:"type"`
			Required bool   `json:"required"`
			Choices  []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"choices"`
		} `json:"options"`
	}
	if err := json.Unmarshal(fake.Commands(), &cmds); err != nil {
		t.Fatal(err)
	}
	specs := bot.CommandSpecs()
	if len(cmds) != len(specs) {
		t.Fatalf("synced %d commands, want %d", len(cmds), len(specs))
	}
	for k, sp := range specs {
		c := cmds[k]
		if c.Name != sp.Name || len(c.Options) != len(sp.Options) || c.Description == "" {
			t.Errorf("command %d = %+v, want %s", k, c, sp.Name)
			continue
		}
		if fmt.Sprint(c.Contexts) != "[0 1]" {
			t.Errorf("/%s contexts = %v, want guild and bot DM", c.Name, c.Contexts)
		}
		if sp.Manage != (c.Perms != nil && *c.Perms == "16") {
			t.Errorf("/%s default_member_permissions = %v, manage=%v", c.Name, c.Perms, sp.Manage)
		}
		for j, o := range sp.Options {
			got := c.Options[j]
			typ := 3 // string
			if o.File {
				typ = 11 // attachment
			}
			if o.Role {
				typ = 8 // role
			}
			if got.Name != o.Name || got.Type != typ || got.Required != o.Required || len(got.Choices) != len(o.Choices) {
				t.Errorf("/%s option %d = %+v, want %+v", c.Name, j, got, o)
			}
		}
	}
	// One bulk overwrite, nothing else.
	puts := 0
	for _, r := range fake.Requests() {
		if strings.Contains(r.Path, "/commands") {
			puts++
			if r.Method != "PUT" || r.Path != "/applications/"+discordtest.AppID+"/commands" {
				t.Errorf("command sync used %s %s", r.Method, r.Path)
			}
		}
	}
	if puts != 1 {
		t.Errorf("%d command requests, want 1", puts)
	}
}

func TestSlashCommands(t *testing.T) {
	t.Parallel()
	a, fake, rec := start(t, 1)
	if !a.Ready() {
		t.Error("not Ready after READY")
	}
	fake.WaitHeartbeats(1)
	channel := alerts.NewTargetID(alerts.PlatformDiscord, guild.ChannelID)
	tests := []struct {
		name   string
		place  discordtest.Place
		member discordtest.Member
		cmd    string
		opts   []discordtest.Option
		want   bot.Command
	}{
		{"manager subscribes a channel", guild, manager, "subscribe",
			[]discordtest.Option{{Name: "query", Value: `ceasefire "peace deal"`}},
			bot.Command{Target: alerts.Target{ID: channel, Kind: alerts.KindChannel}, UserID: manager.UserID,
				UserName: "alice", Guild: guild.GuildID, CanManage: true, Text: `/subscribe ceasefire "peace deal"`}},
		{"member without Manage Channels", guild, bystander, "subscribe",
			[]discordtest.Option{{Name: "query", Value: "ceasefire"}},
			bot.Command{Target: alerts.Target{ID: channel, Kind: alerts.KindChannel}, UserID: bystander.UserID,
				UserName: "bob", Guild: guild.GuildID, CanManage: false, Text: "/subscribe ceasefire"}},
		{"DM acts for the user", dm, bystander, "subscribe",
			[]discordtest.Option{{Name: "query", Value: "Zelensky"}},
			bot.Command{Target: alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, discordtest.DMChannelID(bystander.UserID)),
				Kind: alerts.KindDM}, UserID: bystander.UserID, UserName: "bob", Text: "/subscribe Zelensky"}},
		{"options in catalogue order", guild, manager, "digest",
			[]discordtest.Option{{Name: "time", Value: "08:00"}, {Name: "mode", Value: "daily"}},
			bot.Command{Target: alerts.Target{ID: channel, Kind: alerts.KindChannel}, UserID: manager.UserID,
				UserName: "alice", Guild: guild.GuildID, CanManage: true, Text: "/digest daily 08:00"}},
		{"sources add keeps its verb", guild, manager, "sources",
			[]discordtest.Option{{Name: "add", Value: "https://example.org/feed.xml"}},
			bot.Command{Target: alerts.Target{ID: channel, Kind: alerts.KindChannel}, UserID: manager.UserID,
				UserName: "alice", Guild: guild.GuildID, CanManage: true, Text: "/sources add https://example.org/feed.xml"}},
		{"sources remove keeps its verb", guild, manager, "sources",
			[]discordtest.Option{{Name: "remove", Value: "3"}},
			bot.Command{Target: alerts.Target{ID: channel, Kind: alerts.KindChannel}, UserID: manager.UserID,
				UserName: "alice", Guild: guild.GuildID, CanManage: true, Text: "/sources remove 3"}},
		{"no options", dm, manager, "list", nil,
			bot.Command{Target: alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, discordtest.DMChannelID(manager.UserID)),
				Kind: alerts.KindDM}, UserID: manager.UserID, UserName: "alice", CanManage: true, Text: "/list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fake.Slash(tt.place, tt.member, tt.cmd, tt.opts...)
			r := fake.WaitReply(id)
			got := rec.last()
			got.Target.Title = ""
			if got.Lang != "en-US" {
				t.Errorf("Lang = %q, want the interaction's locale en-US", got.Lang)
			}
			got.Lang = ""
			if tt.want.Target.Kind == alerts.KindDM {
				got.CanManage = tt.want.CanManage // irrelevant in DMs
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("command\n got %+v\nwant %+v", got, tt.want)
			}
			if r.Type != 4 || !r.Ephemeral {
				t.Errorf("initial response type %d ephemeral %v, want the reply itself, ephemeral", r.Type, r.Ephemeral)
			}
			if r.Content != escape("ok: "+tt.want.Text) {
				t.Errorf("reply %q", r.Content)
			}
			if string(r.AllowedMentions) != `{"parse":[],"replied_user":false}` {
				t.Errorf("reply allowed_mentions = %s", r.AllowedMentions)
			}
		})
	}
}

func TestReplyPingsNobody(t *testing.T) {
	t.Parallel()
	_, fake, rec := start(t, 1)
	rec.setAnswer(func(bot.Command) bot.Reply {
		return bot.Reply{Text: "Subscribed #3: @everyone <@123> <@&456> @here *bold*"}
	})
	r := fake.WaitReply(fake.Slash(guild, manager, "subscribe", discordtest.Option{Name: "query", Value: "@everyone"}))
	for _, bad := range []string{"@everyone", "@here", "<@123>", "<@&456>"} {
		if strings.Contains(r.Content, bad) {
			t.Errorf("reply %q carries %q", r.Content, bad)
		}
	}
	if string(r.AllowedMentions) != `{"parse":[],"replied_user":false}` {
		t.Errorf("allowed_mentions = %s", r.AllowedMentions)
	}
}

func TestLongReplyIsSplit(t *testing.T) {
	t.Parallel()
	_, fake, rec := start(t, 1)
	var lines []string
	for i := range 200 {
		lines = append(lines, fmt.Sprintf("#%d ceasefire OR truce OR armistice", i))
	}
	rec.setAnswer(func(bot.Command) bot.Reply { return bot.Reply{Text: strings.Join(lines, "\n")} })
	id := fake.Slash(guild, manager, "list")
	fake.WaitReply(id)
	in := fake.WaitFollowups(id, 1)
	for _, b := range append(in.Edits, in.Followups...) {
		var m struct{ Content string }
		json.Unmarshal(b, &m)
		if u16len(m.Content) > 2000 {
			t.Errorf("a reply message has %d characters", u16len(m.Content))
		}
	}
	if len(in.Followups) == 0 {
		t.Error("a long reply was not continued in follow-ups")
	}
}

func TestHandlerPanicDoesNotKillTheGateway(t *testing.T) {
	t.Parallel()
	_, fake, rec := start(t, 1)
	rec.setAnswer(func(c bot.Command) bot.Reply {
		if strings.Contains(c.Text, "boom") {
			panic("boom")
		}
		return bot.Reply{Text: "fine"}
	})
	r := fake.WaitReply(fake.Slash(guild, manager, "test", discordtest.Option{Name: "query", Value: "boom"}))
	if !strings.Contains(r.Content, "went wrong") {
		t.Errorf("reply after a panic = %q", r.Content)
	}
	if r := fake.WaitReply(fake.Slash(guild, manager, "list")); r.Content != "fine" {
		t.Errorf("next reply = %q", r.Content)
	}
}

func sampleAlert(target alerts.TargetID, title string) bot.Message {
	return bot.Message{
		Kind: alerts.DeliverAlert,
		Alerts: []alerts.Alert{{
			Target: target, Story: "story-" + title,
			Article: alerts.Article{ID: "a1", URL: "https://news.example/a1", Title: title,
				Summary: "Talks resumed in Istanbul; <@&42> and @here were mentioned.", Source: "news.example",
				Published: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)},
			Matches: []alerts.Match{{Sub: 7, Query: "ceasefire", Terms: []alerts.TermHit{{Term: "ceasefire", Matched: "Ceasefire", Field: alerts.FieldTitle}}}},
			Sources: []string{"news.example"},
		}},
		Buttons: []bot.MessageButton{
			{Action: alerts.ButtonMute, Label: "Mute 8h", Token: "tok-mute"},
			{Action: alerts.ButtonUnsub, Label: "Unsubscribe", Token: "tok-unsub"},
			{Action: alerts.ButtonWhy, Label: "Why?", Token: "tok-why"},
		},
	}
}

func TestAlertArrivesAsOneEmbedThatPingsNobody(t *testing.T) {
	t.Parallel()
	a, fake, _ := start(t, 1)
	ch := "500000000000000009"
	target := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, ch), Kind: alerts.KindChannel}
	id, err := a.Send(context.Background(), target, sampleAlert(target.ID, "@everyone breaking: ceasefire agreed"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages(ch)
	if len(msgs) != 1 || msgs[0].ID != id {
		t.Fatalf("channel holds %d messages (want 1 with ID %s)", len(msgs), id)
	}
	s := msgs[0].Decode(t)
	if len(s.Embeds) != 1 {
		t.Fatalf("%d embeds, want 1", len(s.Embeds))
	}
	if string(s.AllowedMentions) != `{"parse":[],"replied_user":false}` {
		t.Errorf("allowed_mentions = %s, want an empty parse list", s.AllowedMentions)
	}
	if s.Content != "" {
		t.Errorf("content = %q, want none", s.Content)
	}
	e := s.Embeds[0]
	if strings.Contains(e.Title, "@everyone") || strings.Contains(e.Description, "@here") || strings.Contains(e.Description, "<@&42>") {
		t.Errorf("embed carries a live mention: %q / %q", e.Title, e.Description)
	}
	if !strings.Contains(e.Title, "breaking") || e.URL != "https://news.example/a1" || e.Timestamp == "" || e.Color == 0 {
		t.Errorf("embed = %+v", e)
	}
	if e.Footer == nil || e.Footer.Text != "news.example" {
		t.Errorf("footer = %+v", e.Footer)
	}
	if len(e.Fields) == 0 || !strings.Contains(e.Fields[0].Value, "ceasefire") {
		t.Errorf("matched terms missing: %+v", e.Fields)
	}
	if len(s.Nonce) == 0 || len(s.Nonce) > 25 || !s.EnforceNonce {
		t.Errorf("nonce %q enforce_nonce %v", s.Nonce, s.EnforceNonce)
	}
	var ids []string
	for _, row := range s.Components {
		for _, b := range row.Components {
			ids = append(ids, b.CustomID)
		}
	}
	if fmt.Sprint(ids) != "[h:tok-mute h:tok-unsub h:tok-why]" {
		t.Errorf("buttons = %v", ids)
	}
}

func TestMuteButton(t *testing.T) {
	t.Parallel()
	a, fake, rec := start(t, 1)
	target := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, guild.ChannelID), Kind: alerts.KindChannel}
	mid, err := a.Send(context.Background(), target, sampleAlert(target.ID, "Ceasefire"))
	if err != nil {
		t.Fatal(err)
	}
	r := fake.WaitReply(fake.Click(guild, manager, mid, "h:tok-mute"))
	got := rec.last()
	if got.Button != "tok-mute" || got.Text != "" || !got.CanManage || got.Target.ID != target.ID {
		t.Errorf("command = %+v", got)
	}
	if !r.Ephemeral || r.Content != "ok: tok-mute" {
		t.Errorf("reply = %+v", r)
	}
	// A button Herald did not make is answered, not passed on.
	n := rec.count()
	r = fake.WaitReply(fake.Click(guild, manager, mid, "someone-else"))
	if r.Type != 4 || !r.Ephemeral || rec.count() != n {
		t.Errorf("foreign button: reply %+v, %d commands", r, rec.count()-n)
	}
}

func TestEditAddsSources(t *testing.T) {
	t.Parallel()
	a, fake, _ := start(t, 1)
	target := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, guild.ChannelID), Kind: alerts.KindChannel}
	m := sampleAlert(target.ID, "Ceasefire")
	mid, err := a.Send(context.Background(), target, m)
	if err != nil {
		t.Fatal(err)
	}
	m.Alerts[0].Sources = []string{"news.example", "Reuters", "AP"}
	m.Edit, m.Kind = true, alerts.DeliverEdit
	if err := a.Edit(context.Background(), target, mid, m); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages(guild.ChannelID)
	if len(msgs) != 1 || msgs[0].Edits != 1 {
		t.Fatalf("messages %+v", msgs)
	}
	s := msgs[0].Decode(t)
	if string(s.AllowedMentions) != `{"parse":[],"replied_user":false}` {
		t.Errorf("edit allowed_mentions = %s", s.AllowedMentions)
	}
	found := false
	for _, f := range s.Embeds[0].Fields {
		found = found || (f.Name == "Also reported by" && f.Value == "Reuters, AP")
	}
	if !found {
		t.Errorf("edited embed fields = %+v", s.Embeds[0].Fields)
	}
}

// deliver retries a send the way the scheduler does: waiting what a
// RetryAfterError asks, and a little after other transient errors.
func deliver(t *testing.T, a *Adapter, target alerts.Target, m bot.Message, attempts int) (string, []error) {
	t.Helper()
	var errs []error
	for range attempts {
		id, err := a.Send(context.Background(), target, m)
		if err == nil {
			return id, errs
		}
		errs = append(errs, err)
		var ra *alerts.RetryAfterError
		switch {
		case errors.As(err, &ra):
			time.Sleep(ra.After)
		case errors.Is(err, alerts.ErrUnreachable):
			return "", errs
		default:
			time.Sleep(5 * time.Millisecond)
		}
	}
	t.Fatalf("not delivered after %d attempts: %v", attempts, errs)
	return "", nil
}

func TestRateLimitStormDelaysButLosesNothing(t *testing.T) {
	t.Parallel()
	for _, global := range []bool{false, true} {
		t.Run(fmt.Sprintf("global=%v", global), func(t *testing.T) {
			a, fake, _ := start(t, 1)
			ch := fmt.Sprintf("50000000000000010%d", map[bool]int{false: 0, true: 1}[global])
			target := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, ch), Kind: alerts.KindChannel}
			fake.FailChannel(ch, discordtest.RateLimited(30*time.Millisecond, global), 3)
			var ids []string
			var all []error
			for k := range 3 {
				id, errs := deliver(t, a, target, sampleAlert(target.ID, fmt.Sprint("story ", k)), 50)
				ids = append(ids, id)
				all = append(all, errs...)
			}
			if got := len(fake.Messages(ch)); got != 3 {
				t.Errorf("%d messages posted, want 3", got)
			}
			if len(all) == 0 {
				t.Fatal("no send was refused")
			}
			for _, err := range all {
				var ra *alerts.RetryAfterError
				if !errors.As(err, &ra) || ra.After <= 0 {
					t.Errorf("error %v is not a RetryAfterError", err)
				} else if ra.Global != global && strings.Contains(err.Error(), "429") {
					t.Errorf("Global = %v on %v", ra.Global, err)
				}
			}
			// Discord saw exactly the 429s injected: the adapter did not
			// hammer it, nor retry behind the scheduler's back.
			if n := fake.CountStatus(429); n != 3 {
				t.Errorf("%d answers of 429, want 3", n)
			}
		})
	}
}

func TestUnreachableTargets(t *testing.T) {
	t.Parallel()
	a, fake, _ := start(t, 1)
	tests := []struct {
		name        string
		fault       discordtest.Fault
		unreachable bool
	}{
		{"user closed DMs", discordtest.CannotDM(), true},
		{"missing permissions", discordtest.MissingPermissions(), true},
		{"missing access", discordtest.MissingAccess(), true},
		{"channel deleted", discordtest.UnknownChannel(), true},
		{"server error", discordtest.ServerError(), false},
	}
	for k, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fmt.Sprintf("5000000000000002%02d", k)
			target := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, ch), Kind: alerts.KindDM}
			fake.FailChannel(ch, tt.fault, 1)
			_, err := a.Send(context.Background(), target, sampleAlert(target.ID, "x"))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			var ra *alerts.RetryAfterError
			if errors.Is(err, alerts.ErrUnreachable) != tt.unreachable || errors.As(err, &ra) {
				t.Errorf("error %v: unreachable=%v, want %v", err, errors.Is(err, alerts.ErrUnreachable), tt.unreachable)
			}
			if tt.unreachable && !strings.Contains(err.Error(), "code") {
				t.Errorf("error %q does not say why", err)
			}
		})
	}
}

func TestRetryAfterLostResponsePostsOnce(t *testing.T) {
	t.Parallel()
	a, fake, _ := start(t, 1)
	ch := "500000000000000300"
	target := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, ch), Kind: alerts.KindChannel}
	fake.LoseResponses(ch, 1)
	m := sampleAlert(target.ID, "Ceasefire")
	if _, err := a.Send(context.Background(), target, m); err == nil || errors.Is(err, alerts.ErrUnreachable) {
		t.Fatalf("first send: %v, want a transient error", err)
	}
	id, err := a.Send(context.Background(), target, m)
	if err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages(ch)
	if len(msgs) != 1 || msgs[0].ID != id {
		t.Errorf("%d messages after a retry, want the one first posted", len(msgs))
	}
}

func TestTooManyRefusalsHoldSendsBack(t *testing.T) {
	t.Parallel()
	a, fake, _ := start(t, 1)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	a.invalid = newInvalidCounter(10*time.Minute, 3, func() time.Time { return now })
	for k := range 3 {
		ch := fmt.Sprintf("5000000000000004%02d", k)
		fake.FailChannel(ch, discordtest.MissingPermissions(), -1)
		target := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, ch), Kind: alerts.KindChannel}
		if _, err := a.Send(context.Background(), target, sampleAlert(target.ID, "x")); !errors.Is(err, alerts.ErrUnreachable) {
			t.Fatalf("send %d: %v", k, err)
		}
	}
	before := len(fake.Requests())
	target := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, "500000000000000499"), Kind: alerts.KindChannel}
	_, err := a.Send(context.Background(), target, sampleAlert(target.ID, "x"))
	var ra *alerts.RetryAfterError
	if !errors.As(err, &ra) || !ra.Global || ra.After <= 0 {
		t.Fatalf("send after 3 refusals: %v, want a global RetryAfterError", err)
	}
	if len(fake.Requests()) != before {
		t.Error("the held-back send reached Discord")
	}
	now = now.Add(11 * time.Minute)
	if _, err := a.Send(context.Background(), target, sampleAlert(target.ID, "x")); err != nil {
		t.Errorf("send after the window: %v", err)
	}
}

func TestGatewayReconnectResumes(t *testing.T) {
	t.Parallel()
	_, fake, rec := start(t, 1)
	fake.Reconnect(0)
	fake.WaitResumes(1)
	r := fake.WaitReply(fake.Slash(guild, manager, "list"))
	if r.Content != "ok: /list" {
		t.Errorf("reply after resume = %q", r.Content)
	}
	if n := fake.Identifies(); n != 1 {
		t.Errorf("%d identifies, want 1 (a resume, not a new session)", n)
	}
	// An invalid session makes the client identify again; commands flow.
	fake.InvalidSession(0, false)
	fake.WaitIdentifies(2)
	fake.WaitConnected(1)
	if r := fake.WaitReply(fake.Slash(dm, manager, "help")); r.Content != "ok: /help" {
		t.Errorf("reply after re-identify = %q", r.Content)
	}
	if rec.count() != 2 {
		t.Errorf("%d commands handled, want 2", rec.count())
	}
}

func TestShards(t *testing.T) {
	t.Parallel()
	a, fake, rec := start(t, 2)
	if n := fake.Identifies(); n != 2 {
		t.Errorf("%d identifies, want one per shard", n)
	}
	if !a.Ready() {
		t.Error("not Ready with both shards connected")
	}
	// A guild on shard 1 ((id>>22)%2 == 1) and a DM on shard 0.
	g1 := discordtest.Place{GuildID: fmt.Sprint(uint64(1) << 22), ChannelID: "500000000000000600"}
	fake.WaitReply(fake.Slash(g1, manager, "list"))
	fake.WaitReply(fake.Slash(dm, manager, "list"))
	if rec.count() != 2 {
		t.Errorf("%d commands, want 2", rec.count())
	}
}

func TestChannelDeletedIsTargetGone(t *testing.T) {
	t.Parallel()
	_, fake, rec := start(t, 1)
	fake.Dispatch(0, "GUILD_CREATE", map[string]any{"id": guild.GuildID, "name": "g",
		"channels": []map[string]any{{"id": guild.ChannelID, "type": 0}, {"id": "500000000000000701", "type": 0}}})
	fake.Dispatch(0, "CHANNEL_DELETE", map[string]any{"id": "500000000000000701", "guild_id": guild.GuildID, "type": 0})
	fake.Dispatch(0, "GUILD_DELETE", map[string]any{"id": guild.GuildID})
	waitUntil(t, "two targets are gone", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.gone) >= 2
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	got := strings.Join(rec.gone, "|")
	if !strings.Contains(got, "discord:500000000000000701 the channel was deleted") ||
		!strings.Contains(got, "discord:"+guild.ChannelID+" the bot was removed") {
		t.Errorf("targets gone: %q", got)
	}
	// The first GUILD_CREATE was a guild joining (READY listed none), so
	// its channels were reported back.
	if fmt.Sprint(rec.back) != "[discord:"+guild.ChannelID+" discord:500000000000000701]" {
		t.Errorf("targets back: %v", rec.back)
	}
}

func TestRefusedTokenEndsRun(t *testing.T) {
	t.Parallel()
	fake := discordtest.New(t)
	fake.Token = "another-token"
	a, err := New(Options{Token: discordtest.Token, APIBase: fake.APIBase(), Handler: &recorder{}})
	if err != nil {
		t.Fatal(err)
	}
	a.retryBase = time.Millisecond
	err = a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "token was refused") || strings.Contains(err.Error(), discordtest.Token) {
		t.Errorf("Run = %v, want the token refused (and not shown)", err)
	}
	if a.Ready() {
		t.Error("Ready with a refused token")
	}
}

func TestDigestIsOneEmbed(t *testing.T) {
	t.Parallel()
	a, fake, _ := start(t, 1)
	ch := "500000000000000800"
	target := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, ch), Kind: alerts.KindChannel}
	m := bot.Message{Kind: alerts.DeliverDigest}
	for _, title := range []string{"Ceasefire agreed", "@everyone Truce holds", "Talks resume"} {
		m.Alerts = append(m.Alerts, sampleAlert(target.ID, title).Alerts[0])
	}
	if _, err := a.Send(context.Background(), target, m); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages(ch)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	s := msgs[0].Decode(t)
	if len(s.Embeds) != 1 || string(s.AllowedMentions) != `{"parse":[],"replied_user":false}` {
		t.Fatalf("digest %s", msgs[0].Body)
	}
	d := s.Embeds[0].Description
	for _, title := range []string{"Ceasefire agreed", "Truce holds", "Talks resume"} {
		if !strings.Contains(d, title) {
			t.Errorf("digest lacks %q: %q", title, d)
		}
	}
	if strings.Contains(d, "@everyone") {
		t.Errorf("digest can ping: %q", d)
	}
}

func TestRunStopsWhileTheGatewayHangs(t *testing.T) {
	t.Parallel()
	fake := discordtest.New(t)
	fake.StallGateway()
	a, err := New(Options{Token: discordtest.Token, APIBase: fake.APIBase(), Handler: &recorder{}})
	if err != nil {
		t.Fatal(err)
	}
	a.closeWait = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	fake.WaitGatewayConns(1)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run waited for a hung gateway")
	}
	if a.Ready() {
		t.Error("Ready without a gateway session")
	}
}

// A reply waits for its turn in the bot's pacing; when the turn does not
// come within Discord's patience, the interaction is deferred in time and
// the reply edited in once it may go. A slow handler is deferred the same
// way.
func TestReplyPastThePatienceIsDeferred(t *testing.T) {
	t.Parallel()
	a, fake, rec := start(t, 1)
	a.patience = 200 * time.Millisecond
	release := make(chan struct{})
	var asked []alerts.Target
	var mu sync.Mutex
	rec.mu.Lock()
	rec.pace = func(ctx context.Context, tg alerts.Target) (func(), error) {
		mu.Lock()
		asked = append(asked, tg)
		mu.Unlock()
		select {
		case <-release:
			return func() {}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	rec.mu.Unlock()
	id := fake.Slash(guild, manager, "list")
	waitUntil(t, "the interaction is acknowledged", func() bool { return fake.Interaction(id).Callback != nil })
	if in := fake.Interaction(id); len(in.Edits) != 0 {
		t.Fatal("the reply went out before its turn")
	}
	close(release)
	r := fake.WaitReply(id)
	if r.Type != 5 || !r.Ephemeral || r.Content != escape("ok: /list") {
		t.Errorf("reply %+v, want a deferred ephemeral response edited with the reply", r)
	}
	mu.Lock()
	if len(asked) < 2 || asked[0].ID != alerts.NewTargetID(alerts.PlatformDiscord, guild.ChannelID) {
		t.Errorf("turns asked for %+v, want the channel's (once in time, once after deferring)", asked)
	}
	mu.Unlock()

	slow := make(chan struct{})
	rec.setAnswer(func(bot.Command) bot.Reply { <-slow; return bot.Reply{Text: "slow"} })
	id = fake.Slash(guild, manager, "list")
	waitUntil(t, "the interaction is acknowledged", func() bool { return fake.Interaction(id).Callback != nil })
	close(slow)
	if r := fake.WaitReply(id); r.Type != 5 || r.Content != "slow" {
		t.Errorf("slow handler: reply %+v, want deferred then edited", r)
	}
}
