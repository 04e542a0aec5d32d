package telegram

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/herald-news/herald/adapters/telegram/telegramtest"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

func TestCommandInPrivateChat(t *testing.T) {
	srv := telegramtest.New(t)
	rec := newRecorder()
	rec.reply = func(c bot.Command) bot.Reply {
		return bot.Reply{Text: "Subscribed to <ceasefire> & friends"}
	}
	start(t, testOptions(srv, rec, newMemStore()))

	srv.UserSays(alice, "/subscribe ceasefire")
	cmds := rec.waitCommands(t, 1)
	want := bot.Command{
		Target:    alerts.Target{ID: "telegram:42", Kind: alerts.KindDM, Title: "Alice"},
		UserID:    "42",
		UserName:  "alice",
		CanManage: true,
		Text:      "/subscribe ceasefire",
	}
	if got := cmds[0]; got != want {
		t.Errorf("command = %+v, want %+v", got, want)
	}
	sent := srv.WaitSent(t, alice.ID, 1, wait)
	if got := sent[0].Visible; got != "Subscribed to <ceasefire> & friends" {
		t.Errorf("reply shows %q", got)
	}
	if sent[0].ReplyTo == 0 {
		t.Error("reply does not quote the command")
	}

	// Plain words in a private chat get an answer too.
	srv.UserSays(alice, "hello?")
	if c := rec.waitCommands(t, 2)[1]; c.Text != "hello?" {
		t.Errorf("plain text passed as %q", c.Text)
	}
}

func TestCommandsInGroupsAndChannels(t *testing.T) {
	srv := telegramtest.New(t)
	rec := newRecorder()
	start(t, testOptions(srv, rec, newMemStore()))

	broken := telegramtest.Chat{ID: -1003, Type: "group", Title: "Broken"}
	srv.SetMember(group.ID, alice.ID, "administrator")
	srv.SetMember(group.ID, bob.ID, "member")
	srv.Fail(telegramtest.Fault{Method: "getChatMember", ChatID: broken.ID, Code: 500, Description: "Internal Server Error"})

	srv.GroupMessage(group, alice, "/subscribe@HeraldBot ceasefire")
	srv.GroupMessage(group, alice, "/list@OtherBot") // another bot's: ignored
	srv.GroupMessage(group, alice, "just chatting")  // not a command: ignored
	srv.Push("message", map[string]any{              // a channel post copied to the group: ignored
		"message_id": 99, "date": 1, "chat": group, "text": "/subscribe spam",
		"from": map[string]any{"id": 777000, "first_name": "Telegram"}, "sender_chat": chan1,
		"is_automatic_forward": true, "entities": []map[string]any{{"type": "bot_command", "offset": 0, "length": 10}},
	})
	srv.GroupMessage(group, bob, "/subscribe@heraldbot truce") // not an admin
	srv.GroupMessage(broken, alice, "/subscribe peace")        // admin status unknown
	srv.AnonymousAdminMessage(group, "/mute all 8h")
	srv.ChannelPost(chan1, "/subscribe@HeraldBot Zelensky")
	srv.GroupMessage(group, alice, "/list") // admin, from the cache

	cmds := rec.waitCommands(t, 6)
	tests := []struct {
		target    alerts.Target
		user      string
		canManage bool
		text      string
	}{
		{alerts.Target{ID: "telegram:-1001", Kind: alerts.KindGroup, Title: "Analysts"}, "42", true, "/subscribe ceasefire"},
		{alerts.Target{ID: "telegram:-1001", Kind: alerts.KindGroup, Title: "Analysts"}, "43", false, "/subscribe truce"},
		{alerts.Target{ID: "telegram:-1003", Kind: alerts.KindGroup, Title: "Broken"}, "42", false, "/subscribe peace"},
		{alerts.Target{ID: "telegram:-1001", Kind: alerts.KindGroup, Title: "Analysts"}, "-1001", true, "/mute all 8h"},
		{alerts.Target{ID: "telegram:-1002", Kind: alerts.KindChannel, Title: "Ceasefire watch"}, "-1002", true, "/subscribe Zelensky"},
		{alerts.Target{ID: "telegram:-1001", Kind: alerts.KindGroup, Title: "Analysts"}, "42", true, "/list"},
	}
	if len(cmds) != len(tests) {
		t.Fatalf("got %d commands, want %d: %+v", len(cmds), len(tests), cmds)
	}
	// Chats are handled side by side, each chat's commands in order.
	byChat := map[alerts.TargetID][]bot.Command{}
	for _, c := range cmds {
		byChat[c.Target.ID] = append(byChat[c.Target.ID], c)
	}
	for i, tt := range tests {
		c := byChat[tt.target.ID][0]
		byChat[tt.target.ID] = byChat[tt.target.ID][1:]
		if c.Target != tt.target || c.UserID != tt.user || c.CanManage != tt.canManage || c.Text != tt.text {
			t.Errorf("command %d = %+v, want target %+v user %s canManage %v text %q", i, c, tt.target, tt.user, tt.canManage, tt.text)
		}
	}
	// Replies go to the chat the command came from.
	srv.WaitSent(t, chan1.ID, 1, wait)
	srv.WaitSent(t, broken.ID, 1, wait)
	if n := len(srv.Requests("getChatMember")); n != 3 {
		t.Errorf("getChatMember called %d times, want 3 (alice cached)", n)
	}
}

func TestCallbackQueriesAreAlwaysAnswered(t *testing.T) {
	srv := telegramtest.New(t)
	rec := newRecorder()
	long := strings.Repeat("Matched ceasefire in the title. ", 20)
	rec.reply = func(c bot.Command) bot.Reply {
		switch c.Button {
		case "mute1":
			return bot.Reply{Text: "Muted for 8 hours."}
		case "why1":
			return bot.Reply{Text: long}
		}
		return bot.Reply{}
	}
	start(t, testOptions(srv, rec, newMemStore()))
	srv.SetMember(group.ID, bob.ID, "member")

	mute := srv.PressButton(alice, alice.ID, 7, "mute1")
	if got := srv.WaitAnswer(t, mute, wait); got != "Muted for 8 hours." {
		t.Errorf("mute answered %q", got)
	}
	silent := srv.PressButton(bob, group.ID, 8, "nothing")
	srv.WaitAnswer(t, silent, wait)
	why := srv.PressButton(alice, alice.ID, 9, "why1")
	got := srv.WaitAnswer(t, why, wait)
	if n := utf8.RuneCountInString(got); n > 200 || !strings.HasPrefix(got, "Matched ceasefire") {
		t.Errorf("long answer: %d runes %q", n, got)
	}
	// The full text is posted, replying to the alert.
	sent := srv.WaitSent(t, alice.ID, 1, wait)
	if sent[0].Visible != long || sent[0].ReplyTo != 9 {
		t.Errorf("long reply posted as %+v", sent[0])
	}

	cmds := rec.waitCommands(t, 3)
	if c := cmds[1]; c.Button != "nothing" || c.Text != "" || c.CanManage || c.Target.ID != "telegram:-1001" {
		t.Errorf("group button press = %+v", c)
	}

	// Even when the chat is unknown (an inline message), the press is answered.
	id := "cq-inline"
	srv.Push("callback_query", map[string]any{"id": id, "from": alice, "chat_instance": "x", "inline_message_id": "im1", "data": "mute1"})
	if got := srv.WaitAnswer(t, id, wait); got == "" {
		t.Error("an unusable button got an empty answer")
	}
}

func TestOffsetSurvivesRestart(t *testing.T) {
	srv := telegramtest.New(t)
	st := newMemStore()

	first := newRecorder()
	r1 := start(t, testOptions(srv, first, st))
	// Stop right after the second update is handled, before getUpdates
	// could confirm it: only the stored offset prevents a replay.
	first.mu.Lock()
	first.after = func(c bot.Command) {
		if c.Text == "/two" {
			r1.cancel()
		}
	}
	first.mu.Unlock()
	srv.UserSays(alice, "/one")
	srv.UserSays(alice, "/two")
	first.waitCommands(t, 2)
	r1.stop(t)

	srv.UserSays(alice, "/three") // while Herald is down

	second := newRecorder()
	start(t, testOptions(srv, second, st))
	srv.UserSays(alice, "/four")
	cmds := second.waitCommands(t, 2)
	var texts []string
	for _, c := range cmds {
		texts = append(texts, c.Text)
	}
	if got := strings.Join(texts, " "); got != "/three /four" {
		t.Errorf("after restart handled %q, want \"/three /four\"", got)
	}
	b, err := st.GetMeta(offsetKey)
	if err != nil || string(b) == "" {
		t.Fatalf("offset not stored: %q %v", b, err)
	}
	if allowed := strings.Join(srv.AllowedUpdates(), ","); allowed != "message,channel_post,callback_query,my_chat_member" {
		t.Errorf("allowed_updates = %s", allowed)
	}
}

func TestMembershipChanges(t *testing.T) {
	srv := telegramtest.New(t)
	rec := newRecorder()
	start(t, testOptions(srv, rec, newMemStore()))

	srv.BlockBot(alice)
	rec.waitFor(t, "blocked DM gone", func() bool { return rec.gone["telegram:42"] != "" })
	srv.MyChatMember(telegramtest.PrivateChat(alice), alice, "kicked", "member")
	rec.waitFor(t, "unblocked DM back", func() bool { return len(rec.back) == 1 })
	srv.MyChatMember(group, bob, "member", "administrator") // promoted: nothing changes
	srv.MyChatMember(group, bob, "administrator", "kicked")
	rec.waitFor(t, "group gone", func() bool { return rec.gone["telegram:-1001"] != "" })
	srv.MyChatMember(chan1, alice, "left", "administrator")
	rec.waitFor(t, "channel back", func() bool { return len(rec.back) == 2 })
	srv.Push("message", map[string]any{
		"message_id": 5, "date": 1, "chat": map[string]any{"id": -5, "type": "group", "title": "Old"},
		"from": bob, "migrate_to_chat_id": -1005,
	})
	rec.waitFor(t, "migration", func() bool { return len(rec.migrated) == 1 })

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := rec.gone["telegram:42"]; got != "bot was blocked by the user" {
		t.Errorf("blocked reason %q", got)
	}
	if got := rec.gone["telegram:-1001"]; !strings.Contains(got, "kicked") {
		t.Errorf("kicked reason %q", got)
	}
	if rec.back[0] != "telegram:42" || rec.back[1] != "telegram:-1002" {
		t.Errorf("back = %v", rec.back)
	}
	if rec.migrated[0] != [2]alerts.TargetID{"telegram:-5", "telegram:-1005"} {
		t.Errorf("migrated = %v", rec.migrated)
	}
}

func TestStartup(t *testing.T) {
	t.Run("setMyCommands failing does not hold readiness", func(t *testing.T) {
		srv := telegramtest.New(t)
		srv.Fail(telegramtest.Fault{Method: "setMyCommands", Code: 500, Description: "Internal Server Error"})
		rec := newRecorder()
		start(t, testOptions(srv, rec, newMemStore())) // waits for Ready
		srv.UserSays(alice, "/help")
		rec.waitCommands(t, 1)
	})
	t.Run("commands registered", func(t *testing.T) {
		srv := telegramtest.New(t)
		start(t, testOptions(srv, newRecorder(), newMemStore()))
		srv.WaitRequests(t, "setMyCommands", 1, wait)
		waitUntil(t, "commands", func() bool { return srv.Commands() != "" })
		var cmds []struct{ Command, Description string }
		if err := json.Unmarshal([]byte(srv.Commands()), &cmds); err != nil {
			t.Fatal(err)
		}
		if len(cmds) != len(bot.CommandSpecs()) || cmds[0].Command != "subscribe" {
			t.Errorf("commands = %+v", cmds)
		}
	})
	t.Run("getMe failing at start is retried", func(t *testing.T) {
		srv := telegramtest.New(t)
		srv.Fail(telegramtest.Fault{Method: "getMe", Code: 502, Description: "Bad Gateway", Times: 3})
		start(t, testOptions(srv, newRecorder(), newMemStore()))
	})
	t.Run("a rejected token fails without showing it", func(t *testing.T) {
		srv := telegramtest.New(t)
		opts := testOptions(srv, newRecorder(), newMemStore())
		opts.Token = "999:wrong-secret"
		a, err := New(opts)
		if err != nil {
			t.Fatalf("New = %v; it makes no call, so it cannot know", err)
		}
		err = a.Run(context.Background())
		if err == nil || strings.Contains(err.Error(), "wrong-secret") || !strings.Contains(err.Error(), "rejected the token") {
			t.Errorf("Run = %v", err)
		}
	})
	t.Run("network errors do not show the token", func(t *testing.T) {
		srv := telegramtest.New(t)
		srv.Close()
		opts := testOptions(srv, newRecorder(), newMemStore())
		a, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Send(context.Background(), alerts.Target{ID: "telegram:42"}, single(alertFor("t", "s")))
		if err == nil || strings.Contains(err.Error(), telegramtest.Token) || !strings.Contains(err.Error(), "<token>") {
			t.Errorf("Send error = %v", err)
		}
	})
	t.Run("cancel ends a long poll at once", func(t *testing.T) {
		srv := telegramtest.New(t)
		opts := testOptions(srv, newRecorder(), newMemStore())
		opts.PollTimeout = time.Hour
		r := start(t, opts)
		srv.WaitRequests(t, "getUpdates", 1, wait)
		r.stop(t) // fails if Run waits for the poll
	})
}

func TestAdminAnswersExpire(t *testing.T) {
	srv := telegramtest.New(t)
	rec := newRecorder()
	var now atomic.Int64
	opts := testOptions(srv, rec, newMemStore())
	opts.AdminTTL = time.Minute
	opts.Now = func() time.Time { return time.Unix(now.Load(), 0) }
	start(t, opts)

	srv.SetMember(group.ID, alice.ID, "administrator")
	srv.GroupMessage(group, alice, "/list")
	rec.waitCommands(t, 1)
	// Demoted: the cached answer holds for a minute, then Telegram is asked
	// again.
	srv.SetMember(group.ID, alice.ID, "member")
	srv.GroupMessage(group, alice, "/list")
	rec.waitCommands(t, 2)
	now.Add(61)
	srv.GroupMessage(group, alice, "/list")
	cmds := rec.waitCommands(t, 3)
	if !cmds[0].CanManage || !cmds[1].CanManage || cmds[2].CanManage {
		t.Errorf("CanManage = %v %v %v, want true true false", cmds[0].CanManage, cmds[1].CanManage, cmds[2].CanManage)
	}
}

func TestDecodeUpdateTopics(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want updateTopics
	}{
		{"a message in a forum topic",
			`{"update_id":1,"message":{"message_id":5,"date":1,"chat":{"id":-100,"type":"supergroup"},"text":"/list","message_thread_id":7,"is_topic_message":true}}`,
			updateTopics{message: 7}},
		{"a reply thread in a group without topics is the group",
			`{"update_id":2,"message":{"message_id":6,"date":1,"chat":{"id":-100,"type":"supergroup"},"text":"/list","message_thread_id":3}}`,
			updateTopics{}},
		{"the General topic is the group",
			`{"update_id":3,"message":{"message_id":7,"date":1,"chat":{"id":-100,"type":"supergroup"},"text":"/list"}}`,
			updateTopics{}},
		{"a button under an alert in a topic",
			`{"update_id":4,"callback_query":{"id":"q","from":{"id":1,"is_bot":false,"first_name":"A"},"chat_instance":"c","data":"m:x","message":{"message_id":8,"date":1,"chat":{"id":-100,"type":"supergroup"},"message_thread_id":9,"is_topic_message":true}}}`,
			updateTopics{callback: 9}},
		{"a topic closed",
			`{"update_id":5,"message":{"message_id":9,"date":1,"chat":{"id":-100,"type":"supergroup"},"message_thread_id":7,"is_topic_message":true,"forum_topic_closed":{}}}`,
			updateTopics{message: 7, closed: true}},
		{"a topic reopened",
			`{"update_id":6,"message":{"message_id":10,"date":1,"chat":{"id":-100,"type":"supergroup"},"message_thread_id":7,"is_topic_message":true,"forum_topic_reopened":{}}}`,
			updateTopics{message: 7, reopened: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := decodeUpdate([]byte(tt.raw))
			if err != nil || got != tt.want {
				t.Errorf("decodeUpdate = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if id := topicTargetID(-100, 7); id != "telegram:-100/7" || id.Chat() != "telegram:-100" {
		t.Errorf("topic target %q, chat %q", id, id.Chat())
	}
	if c, th, err := chatOf("telegram:-100/7"); c != -100 || th != 7 || err != nil {
		t.Errorf("chatOf = %d, %d, %v", c, th, err)
	}
	if _, _, err := chatOf("telegram:-100/x"); err == nil {
		t.Error("a bad topic ID was accepted")
	}
}

// FuzzDecodeUpdate: any bytes from the Bot API decode or fail, never panic,
// and a topic is never claimed without a thread.
func FuzzDecodeUpdate(f *testing.F) {
	f.Add([]byte(`{"update_id":1,"message":{"message_id":5,"date":1,"chat":{"id":-100,"type":"supergroup"},"text":"/list","message_thread_id":7,"is_topic_message":true,"forum_topic_closed":{}}}`))
	f.Add([]byte(`{"update_id":4,"callback_query":{"id":"q","message":{"message_thread_id":9,"is_topic_message":true}}}`))
	f.Add([]byte(`{"message":null,"callback_query":{"message":null}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, tp, err := decodeUpdate(raw)
		if err == nil && (tp.closed || tp.reopened) && tp.message == 0 {
			t.Fatalf("closed/reopened without a topic: %+v", tp)
		}
	})
}
