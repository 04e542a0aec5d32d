package telegram

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/telegram/telegramtest"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// newSender builds an adapter that only sends (no Run).
func newSender(t *testing.T, srv *telegramtest.Server) *Adapter {
	t.Helper()
	a, err := New(testOptions(srv, newRecorder(), newMemStore()))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSendAlert(t *testing.T) {
	srv := telegramtest.New(t)
	a := newSender(t, srv)
	al := alertFor("<b>Breaking</b> & more: ceasefire", "Talks in Doha & Cairo.")
	msg := single(al)
	msg.Buttons = []bot.MessageButton{
		{Action: alerts.ButtonMute, Label: "Mute 8h", Token: "m0123456789abcde"},
		{Action: alerts.ButtonUnsub, Label: "Unsubscribe", Token: "u0123456789abcde"},
		{Action: alerts.ButtonWhy, Label: "Why?", Token: "w0123456789abcde"},
	}
	target := alerts.Target{ID: "telegram:42", Kind: alerts.KindDM, Settings: alerts.TargetSettings{NoPreviews: true}}

	id, err := a.Send(context.Background(), target, msg)
	if err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent(42)
	if len(sent) != 1 || id != "1" {
		t.Fatalf("id %q, sent %+v", id, sent)
	}
	m := sent[0]
	if !strings.HasPrefix(m.Visible, "<b>Breaking</b> & more: ceasefire\n") {
		t.Errorf("the user sees %q", m.Visible)
	}
	if !strings.Contains(m.Text, "&lt;b&gt;Breaking&lt;/b&gt; &amp; more") || m.ParseMode != "HTML" {
		t.Errorf("sent %q in mode %q", m.Text, m.ParseMode)
	}
	if !m.NoPreview {
		t.Error("link preview not turned off")
	}
	if len(m.Buttons) != 1 || len(m.Buttons[0]) != 3 || m.Buttons[0][0].CallbackData != "m0123456789abcde" || m.Buttons[0][2].Text != "Why?" {
		t.Errorf("buttons = %+v", m.Buttons)
	}

	// The story gained a source: the alert is edited in place.
	al.Sources = []string{"example.com", "Reuters"}
	msg.Alerts = []alerts.Alert{al}
	msg.Edit = true
	if err := a.Edit(context.Background(), target, id, msg); err != nil {
		t.Fatal(err)
	}
	if err := a.Edit(context.Background(), target, id, msg); err != nil {
		t.Errorf("an edit that changes nothing: %v", err)
	}
	m = srv.Sent(42)[0]
	if m.Edits != 1 || !strings.Contains(m.Visible, "Also reported by Reuters") {
		t.Errorf("after edit: %d edits, %q", m.Edits, m.Visible)
	}
	if len(srv.Sent(42)) != 1 {
		t.Error("edit posted a new message")
	}
}

func TestSendStaysWithinLimit(t *testing.T) {
	srv := telegramtest.New(t)
	a := newSender(t, srv)
	al := alertFor(strings.Repeat("Long title ", 100), strings.Repeat("Ceasefire talks continue 😀 & more. ", 500))
	if _, err := a.Send(context.Background(), alerts.Target{ID: "telegram:42"}, single(al)); err != nil {
		t.Fatalf("Telegram refused the alert: %v", err)
	}
	m := srv.Sent(42)[0]
	if n := telegramtest.UTF16Len(m.Visible); n > MaxMessageLen || !strings.Contains(m.Visible, "…\n\n🔎") {
		t.Errorf("visible length %d, summary not cut: %q", n, m.Visible)
	}
	if !strings.Contains(m.Visible, "🔎 ceasefire") {
		t.Error("matched terms cut off")
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault telegramtest.Fault
		check func(t *testing.T, err error)
	}{
		{"429 waits retry_after", telegramtest.Fault{Code: 429, Description: "Too Many Requests: retry after 7", RetryAfter: 7}, func(t *testing.T, err error) {
			var ra *alerts.RetryAfterError
			if !errors.As(err, &ra) || ra.After != 7*time.Second {
				t.Errorf("err = %v, want RetryAfterError of 7s", err)
			}
		}},
		{"403 blocked is unreachable", telegramtest.Blocked, func(t *testing.T, err error) {
			if !errors.Is(err, alerts.ErrUnreachable) || !strings.Contains(err.Error(), "bot was blocked by the user") {
				t.Errorf("err = %v", err)
			}
		}},
		{"403 kicked is unreachable", telegramtest.Kicked, func(t *testing.T, err error) {
			if !errors.Is(err, alerts.ErrUnreachable) {
				t.Errorf("err = %v", err)
			}
		}},
		{"400 chat not found is unreachable", telegramtest.ChatNotFound, func(t *testing.T, err error) {
			if !errors.Is(err, alerts.ErrUnreachable) || !strings.Contains(err.Error(), "chat not found") {
				t.Errorf("err = %v", err)
			}
		}},
		{"400 migrate moves the target", telegramtest.Migrated(-1009), func(t *testing.T, err error) {
			var me *alerts.MigratedError
			if !errors.As(err, &me) || me.NewChatID != "-1009" {
				t.Errorf("err = %v", err)
			}
		}},
		{"500 is retried", telegramtest.Internal, func(t *testing.T, err error) {
			var ra *alerts.RetryAfterError
			var me *alerts.MigratedError
			if err == nil || errors.Is(err, alerts.ErrUnreachable) || errors.As(err, &ra) || errors.As(err, &me) {
				t.Errorf("err = %v, want a plain error", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.New(t)
			a := newSender(t, srv)
			f := tt.fault
			f.Method, f.ChatID = "sendMessage", 42
			srv.Fail(f)
			_, err := a.Send(context.Background(), alerts.Target{ID: "telegram:42"}, single(alertFor("t", "s")))
			tt.check(t, err)
			// Edits are classified the same way.
			f.Method = "editMessageText"
			srv.Fail(f)
			tt.check(t, a.Edit(context.Background(), alerts.Target{ID: "telegram:42"}, "1", single(alertFor("t", "s"))))
			// Other chats are unaffected.
			if _, err := a.Send(context.Background(), alerts.Target{ID: "telegram:43"}, single(alertFor("t", "s"))); err != nil {
				t.Errorf("other chat: %v", err)
			}
		})
	}
	t.Run("a slow answer gives up with the context", func(t *testing.T) {
		srv := telegramtest.New(t)
		a := newSender(t, srv)
		srv.Fail(telegramtest.Fault{Method: "sendMessage", Delay: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			srv.WaitRequests(t, "sendMessage", 1, wait)
			cancel()
		}()
		_, err := a.Send(ctx, alerts.Target{ID: "telegram:42"}, single(alertFor("t", "s")))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("not a Telegram target", func(t *testing.T) {
		a := newSender(t, telegramtest.New(t))
		if _, err := a.Send(context.Background(), alerts.Target{ID: "discord:1"}, single(alertFor("t", "s"))); err == nil {
			t.Error("sent to a Discord target")
		}
	})
}

func TestPerChatLimits(t *testing.T) {
	srv := telegramtest.New(t)
	var now atomic.Int64
	srv.Now = func() time.Time { return time.Unix(now.Load(), 0) }
	srv.EnforceLimits(true)
	a := newSender(t, srv)
	ctx := context.Background()
	if _, err := a.Send(ctx, alerts.Target{ID: "telegram:42"}, single(alertFor("one", ""))); err != nil {
		t.Fatal(err)
	}
	_, err := a.Send(ctx, alerts.Target{ID: "telegram:42"}, single(alertFor("two", "")))
	var ra *alerts.RetryAfterError
	if !errors.As(err, &ra) {
		t.Errorf("second message in the same second: %v", err)
	}
	now.Add(1)
	if _, err := a.Send(ctx, alerts.Target{ID: "telegram:42"}, single(alertFor("three", ""))); err != nil {
		t.Errorf("a second later: %v", err)
	}
	if v := srv.Violations(42); v != 1 {
		t.Errorf("violations = %d", v)
	}
}

func TestWebhook(t *testing.T) {
	srv := telegramtest.New(t)
	rec := newRecorder()
	var handler atomic.Pointer[http.Handler]
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*handler.Load()).ServeHTTP(w, r)
	}))
	defer hook.Close()
	opts := testOptions(srv, rec, newMemStore())
	opts.WebhookURL = hook.URL + "/telegram/webhook"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h := a.WebhookHandler()
	handler.Store(&h)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitUntil(t, "ready", a.Ready)

	url, secret := srv.Webhook()
	if url != opts.WebhookURL || len(secret) < 32 {
		t.Fatalf("webhook %q with secret %q", url, secret)
	}
	// Telegram delivers an update with the secret.
	srv.UserSays(alice, "/list")
	if c := rec.waitCommands(t, 1)[0]; c.Text != "/list" {
		t.Errorf("command %+v", c)
	}
	srv.WaitSent(t, alice.ID, 1, wait)

	// Anyone else is refused.
	body := `{"update_id":999,"message":{"message_id":1,"date":1,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"Eve"},"text":"/subscribe x","entities":[{"type":"bot_command","offset":0,"length":10}]}}`
	for _, secret := range []string{"", "wrong"} {
		req, _ := http.NewRequest("POST", hook.URL, strings.NewReader(body))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("secret %q: status %d", secret, resp.StatusCode)
		}
	}
	// A resent update is handled once.
	for range 2 {
		req, _ := http.NewRequest("POST", hook.URL, strings.NewReader(body))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// The handler answers after handling, so both are done by now.
	if cmds := rec.waitCommands(t, 2); len(cmds) != 2 {
		t.Errorf("commands = %+v", cmds)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
