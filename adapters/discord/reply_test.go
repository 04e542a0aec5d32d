package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// Every message of a reply waits for a turn of its own in the bot's
// pacing, and leaves while it holds it: the response or the edit of a
// deferred one, the rest of a long reply, /export's file, /format's
// preview, the update a confirmation's button makes, and the refusal of
// a file too large to read. Only the acknowledgements Discord demands
// within 3 s (a deferral) go without one.
func TestEveryReplyMessageTakesATurn(t *testing.T) {
	t.Parallel()
	a, fake, rec := start(t, 1)
	long := strings.Repeat("Subscribed to ceasefire. ", 120) // two messages
	slow := make(chan struct{})
	rec.setAnswer(func(c bot.Command) bot.Reply {
		switch {
		case c.Button == "/unsubscribe all confirm":
			return bot.Reply{Text: "Unsubscribed from the 1 topic."}
		case strings.HasPrefix(c.Text, "/list"):
			<-slow
			return bot.Reply{Text: long}
		}
		ch := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, guild.ChannelID), Kind: alerts.KindChannel}
		return bot.Reply{Text: long, Buttons: []bot.ReplyButton{{Label: "Yes", Command: "/unsubscribe all confirm"}},
			File: &bot.File{Name: "herald.txt", Data: []byte("herald export 1\n")},
			Preview: &bot.Preview{Target: ch, Message: bot.Message{Kind: alerts.DeliverAlert,
				Alerts: []alerts.Alert{{Article: alerts.Article{Title: "Ceasefire", URL: "https://news.example/a"}}}}}}
	})
	// messages counts what a user sees arrive: responses with content
	// (4, 7), edits of a deferred response and follow-ups.
	messages := func() int {
		n := 0
		for _, r := range fake.Requests() {
			switch {
			case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/callback"):
				var cb struct{ Type int }
				json.Unmarshal(r.Body, &cb)
				if cb.Type == 4 || cb.Type == 7 {
					n++
				}
			case strings.HasPrefix(r.Path, "/webhooks/") && (r.Method == http.MethodPost || r.Method == http.MethodPatch):
				n++
			}
		}
		return n
	}
	var mu sync.Mutex
	var inside []int
	rec.mu.Lock()
	rec.pace = func(context.Context, alerts.Target) (func(), error) {
		before := messages()
		return func() {
			mu.Lock()
			inside = append(inside, messages()-before)
			mu.Unlock()
		}, nil
	}
	rec.mu.Unlock()
	// ended waits until n turns ended: a message arrives before its
	// sender hears back and ends its turn.
	ended := func(n int) {
		waitUntil(t, "the turns' end", func() bool { mu.Lock(); defer mu.Unlock(); return len(inside) >= n })
	}

	// In time: the response, the second part with the button, the file,
	// the preview.
	id := fake.Slash(guild, manager, "export")
	fake.WaitFollowups(id, 3)
	if r := fake.WaitReply(id); r.Type != 4 || len(fake.FollowupFiles(id)) != 1 {
		t.Fatalf("/export answered type %d with %d files", r.Type, len(fake.FollowupFiles(id)))
	}
	if in := fake.Interaction(id); !strings.Contains(string(in.Followups[0]), "c:/unsubscribe all confirm") {
		t.Errorf("the button is not under the reply's last part: %s", in.Followups[0])
	}
	ended(4)
	// The confirmation's button updates its message.
	if done := fake.WaitReply(fake.Click(guild, manager, "1", "c:/unsubscribe all confirm")); !done.Updated {
		t.Errorf("the click answered %+v", done)
	}
	ended(5)
	// A file too large to read is refused in a reply of its own.
	big := make([]byte, bot.MaxFileSize+1)
	if r := fake.WaitReply(fake.SlashWithFile(guild, manager, "import", "file", "big.txt", big)); !strings.Contains(r.Content, "KiB") {
		t.Errorf("a file too large: %+v", r)
	}
	ended(6)
	// Past the patience: a deferral, then the edit and the second part.
	a.patience = 100 * time.Millisecond
	id = fake.Slash(guild, manager, "list")
	waitUntil(t, "the interaction is acknowledged", func() bool { return fake.Interaction(id).Callback != nil })
	close(slow)
	if r := fake.WaitReply(id); r.Type != 5 {
		t.Errorf("a slow reply answered %+v", r)
	}
	fake.WaitFollowups(id, 1)
	ended(8)

	mu.Lock()
	defer mu.Unlock()
	if want := 4 + 1 + 1 + 2; len(inside) != want || messages() != want {
		t.Fatalf("%d turns for %d messages, want %d each", len(inside), messages(), want)
	}
	for i, n := range inside {
		if n != 1 {
			t.Errorf("turn %d saw %d messages leave, want 1", i, n)
		}
	}
}
