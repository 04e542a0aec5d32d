package telegram

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/herald-news/herald/adapters/telegram/telegramtest"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// Every message of a reply waits for a turn of its own in the bot's
// pacing, and leaves while it holds it: the text (split when long) with
// its buttons, /export's document, /format's preview, the edit a
// confirmation's button makes, and the answer to a file it could not
// read. The adapter sends nothing outside a turn.
func TestEveryReplyMessageTakesATurn(t *testing.T) {
	srv := telegramtest.New(t)
	rec := newRecorder()
	long := strings.Repeat("Subscribed to ceasefire. ", 300) // two messages
	rec.reply = func(c bot.Command) bot.Reply {
		switch {
		case c.Button == "/unsubscribe all confirm":
			return bot.Reply{Text: "Unsubscribed from the 1 topic."}
		case c.Text == "/unsubscribe all":
			return bot.Reply{Text: "Stop following the 1 topic?",
				Buttons: []bot.ReplyButton{{Label: "Yes", Command: "/unsubscribe all confirm"}}}
		}
		dm := alerts.Target{ID: targetID(alice.ID), Kind: alerts.KindDM}
		return bot.Reply{Text: long, File: &bot.File{Name: "herald.txt", Data: []byte("herald export 1\n")},
			Preview: &bot.Preview{Target: dm, Message: bot.Message{Kind: alerts.DeliverAlert,
				Alerts: []alerts.Alert{{Article: alerts.Article{Title: "Ceasefire", URL: "https://news.example/a"}}}}}}
	}
	sends := func() int {
		n := 0
		for _, r := range srv.Requests("") {
			switch r.Method {
			case "sendMessage", "sendDocument", "editMessageText":
				n++
			}
		}
		return n
	}
	// Each turn notes how many messages had left when it began and when
	// it ended: exactly one leaves inside each.
	var mu sync.Mutex
	var inside []int
	rec.pace = func(context.Context, alerts.Target) (func(), error) {
		before := sends()
		return func() {
			mu.Lock()
			inside = append(inside, sends()-before)
			mu.Unlock()
		}, nil
	}
	start(t, testOptions(srv, rec, newMemStore()))

	srv.UserSays(alice, "/export")
	srv.WaitSent(t, alice.ID, 4, wait) // two parts, the document, the preview
	srv.UserSays(alice, "/unsubscribe all")
	ask := srv.WaitSent(t, alice.ID, 5, wait)[4]
	if len(ask.Buttons) != 1 {
		t.Fatalf("the question has buttons %+v", ask.Buttons)
	}
	srv.WaitAnswer(t, srv.PressButton(alice, alice.ID, ask.MessageID, "/unsubscribe all confirm"), wait)
	srv.WaitRequests(t, "editMessageText", 1, wait)
	// A message arrives before its sender hears back and ends its turn.
	waitUntil(t, "the turns' end", func() bool { mu.Lock(); defer mu.Unlock(); return len(inside) >= 6 })

	mu.Lock()
	defer mu.Unlock()
	if len(inside) != 6 || sends() != 6 {
		t.Fatalf("%d turns for %d messages, want 6 each", len(inside), sends())
	}
	for i, n := range inside {
		if n != 1 {
			t.Errorf("turn %d saw %d messages leave, want 1", i, n)
		}
	}
}
