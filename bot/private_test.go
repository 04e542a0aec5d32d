package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

func TestAllowedChats(t *testing.T) {
	allowed := map[alerts.TargetID]bool{"test:chan1": true, "test:forum": true, "test:guild7": true, "test:u1": true}
	tests := []struct {
		name string
		cmd  bot.Command
		ok   bool
	}{
		{"listed channel", bot.Command{Target: channel, UserID: "u9", CanManage: true}, true},
		{"topic of a listed forum", bot.Command{Target: alerts.Target{ID: "test:forum/12", Kind: alerts.KindGroup}, UserID: "u9", CanManage: true}, true},
		{"channel of a listed server", bot.Command{Target: alerts.Target{ID: "test:chan5", Kind: alerts.KindChannel}, Guild: "guild7", UserID: "u9", CanManage: true}, true},
		{"DM of a listed user", bot.Command{Target: alerts.Target{ID: "test:dm-of-u1", Kind: alerts.KindDM}, UserID: "u1"}, true},
		{"listed user in an unlisted group", bot.Command{Target: alerts.Target{ID: "test:g2", Kind: alerts.KindGroup}, UserID: "u1", CanManage: true}, false},
		{"unlisted DM", bot.Command{Target: dm, UserID: "u2"}, false},
		{"unlisted server", bot.Command{Target: alerts.Target{ID: "test:chan6", Kind: alerts.KindChannel}, Guild: "guild8", UserID: "u1", CanManage: true}, false},
		{"the operator at the console", bot.Command{Target: dm, UserID: "local", Operator: true}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *bot.Options) { o.Limits.AllowedChats = allowed })
			tc.cmd.Text = "/subscribe ceasefire"
			r := e.bot.HandleCommand(context.Background(), tc.cmd).Text
			if got := strings.Contains(r, "Subscribed"); got != tc.ok {
				t.Fatalf("allowed = %v, want %v: %q", got, tc.ok, r)
			}
			if tc.ok {
				return
			}
			if !strings.Contains(r, "HERALD_ALLOWED_CHATS") {
				t.Errorf("the refusal does not say what to do: %q", r)
			}
			// Told once: nothing more to the same chat, by anyone, for
			// any command or button.
			for _, again := range []bot.Command{tc.cmd, {Target: tc.cmd.Target, Guild: tc.cmd.Guild, UserID: "other", Text: "/help"},
				{Target: tc.cmd.Target, Guild: tc.cmd.Guild, UserID: "other", Button: "m:abc"}} {
				if r := e.bot.HandleCommand(context.Background(), again).Text; r != "" {
					t.Errorf("refused again: %q", r)
				}
			}
			if _, err := e.db.GetTarget(tc.cmd.Target.ID); err == nil {
				t.Errorf("a target was stored for %s", tc.cmd.Target.ID)
			}
		})
	}
}

func TestRefusedChatsForgetsTheOldest(t *testing.T) {
	r := bot.NewRefusedChatsForTest(2)
	for _, id := range []alerts.TargetID{"a", "b"} {
		if !r(id) {
			t.Fatalf("%s not new", id)
		}
	}
	if r("a") {
		t.Fatal("a told twice")
	}
	r("c") // forgets a
	if !r("a") {
		t.Fatal("the oldest was not forgotten: the set grows without bound")
	}
}

func TestRepliesInTheChatsLanguage(t *testing.T) {
	e := newEnv(t)
	say := func(lang, text string) string {
		return e.bot.HandleCommand(context.Background(), bot.Command{Target: dm, UserID: "u1", Lang: lang, Text: text}).Text
	}
	if r := say("ru-RU", "/subscribe ceasefire"); !strings.Contains(r, "Подписка №1: ceasefire") {
		t.Errorf("a Russian speaker: %q", r)
	}
	if r := say("uk", "/help"); !strings.Contains(r, "Herald надсилає новини") || !strings.Contains(r, "/subscribe ЗАПИТ: стежити за темою") {
		t.Errorf("/help to a Ukrainian speaker:\n%s", r)
	}
	if r := say("de", "/list"); !strings.Contains(r, "Цей чат стежить за 1 темою") {
		t.Errorf("a language Herald does not speak: the chat's last one: %q", r)
	}
	other := alerts.Target{ID: "test:dm9", Kind: alerts.KindDM}
	if r := e.bot.HandleCommand(context.Background(), bot.Command{Target: other, UserID: "u9", Lang: "de", Text: "/list"}).Text; !strings.Contains(r, "follows nothing yet") {
		t.Errorf("a new chat in a language Herald does not speak: English: %q", r)
	}
	// /language wins over whoever speaks.
	if r := say("en", "/language uk"); !strings.Contains(r, "Тепер Herald говорить тут: українська") {
		t.Errorf("/language uk: %q", r)
	}
	if r := say("ru", "/mute 1 3y"); !strings.Contains(r, "не одиниця") {
		t.Errorf("after /language uk, a Russian speaker: %q", r)
	}
	if r := say("ru", "/unsubscribe all"); !strings.Contains(r, "Видалити 1 тему") {
		t.Errorf("plural: %q", r)
	}
	if r := say("en", "/language auto"); !strings.Contains(r, "in their own language (English for you)") {
		t.Errorf("/language auto: %q", r)
	}
	if r := say("en", "/language de"); !strings.Contains(r, `I don't speak "de"`) {
		t.Errorf("/language de: %q", r)
	}
}
