package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/telegram"
	"github.com/herald-news/herald/adapters/telegram/telegramtest"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage"
)

// Command replies share Telegram's limits with alerts, as the fake Bot API
// sees them (every request timestamped on arrival): 300 users subscribing
// at once get their replies at most 30 a second; a reply to a private chat
// comes at least a second after the alert before it; a group's reply waits
// out the group's pace (20 messages a minute, one every 3 s).
func TestRepliesStayWithinTelegramsLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end, about 15 s: 300 replies at Telegram's pace")
	}
	srv := telegramtest.New(t)
	db, err := storage.Open(filepath.Join(t.TempDir(), "herald.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.DiscardHandler)
	core, err := newCore(config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := telegram.New(telegram.Options{Token: telegramtest.Token, APIBase: srv.URL, Store: db,
		PollTimeout: time.Second, RetryDelay: 10 * time.Millisecond, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Options{Store: db, Matcher: core.matcher, Parse: core.parse, Senders: []bot.Sender{tg},
		Log: log, Limits: bot.Limits{Backlog: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	tg.SetHandler(b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { b.Run(ctx, nil); done <- struct{}{} }()
	go func() { tg.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })

	alice := telegramtest.User{ID: 42, FirstName: "Alice"}
	admin := telegramtest.User{ID: 43, FirstName: "Dana"}
	group := telegramtest.Chat{ID: -1001, Type: "supergroup", Title: "Analysts"}
	srv.SetMember(group.ID, admin.ID, "administrator")
	srv.UserSays(alice, "/subscribe ceasefire")
	srv.GroupMessage(group, admin, "/subscribe ceasefire")
	srv.WaitSent(t, alice.ID, 1, time.Minute)
	srv.WaitSent(t, group.ID, 1, time.Minute)

	// An alert, and right after it a command in each chat.
	if _, _, err := b.Ingest(ctx, alerts.Article{ID: "a1", URL: "https://news.example/1", Title: "Ceasefire agreed",
		Body: "A ceasefire was agreed.", Source: "Wire"}); err != nil {
		t.Fatal(err)
	}
	srv.WaitSent(t, alice.ID, 2, time.Minute)
	srv.UserSays(alice, "/list")
	srv.WaitSent(t, group.ID, 2, time.Minute)
	srv.GroupMessage(group, admin, "/list")
	// 300 people subscribe at once.
	for i := range 300 {
		srv.UserSays(telegramtest.User{ID: int64(10000 + i), FirstName: "User " + strconv.Itoa(i)}, "/subscribe ceasefire")
	}
	for i := range 300 {
		srv.WaitSent(t, int64(10000+i), 1, time.Minute)
	}
	srv.WaitSent(t, alice.ID, 3, time.Minute)
	srv.WaitSent(t, group.ID, 3, time.Minute)

	var all []time.Time
	byChat := map[int64][]time.Time{}
	for _, r := range append(srv.Requests("sendMessage"), srv.Requests("editMessageText")...) {
		chat, _ := strconv.ParseInt(r.Params.Get("chat_id"), 10, 64)
		all = append(all, r.At)
		byChat[chat] = append(byChat[chat], r.At)
	}
	if n := maxInWindow(all, time.Second); n > 30 {
		t.Errorf("%d messages within one second; Telegram allows 30 a second per bot", n)
	}
	for chat, at := range byChat {
		sortTimes(at)
		every, perMinute := time.Second, 60
		if chat < 0 {
			every, perMinute = 3*time.Second, 20
		}
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap < every {
				t.Errorf("chat %d: two messages %v apart, want at least %v (replies count toward the chat's pace)", chat, gap.Round(time.Millisecond), every)
			}
		}
		if n := maxInWindow(at, time.Minute); n > perMinute {
			t.Errorf("chat %d: %d messages within a minute, want at most %d", chat, n, perMinute)
		}
	}
}

func sortTimes(ts []time.Time) { sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) }) }

// maxInWindow is the most times that fall within any window of length w.
func maxInWindow(ts []time.Time, w time.Duration) int {
	ts = append([]time.Time(nil), ts...)
	sortTimes(ts)
	most, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}
