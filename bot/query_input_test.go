package bot_test

import (
	"strings"
	"testing"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
	"github.com/herald-news/herald/bot"
)

// withMatcher runs the bot on the real query language and index, as
// herald run wires them.
func withMatcher(o *bot.Options) {
	names := match.DefaultNames()
	o.Matcher = match.NewIndex(names)
	o.Parse = func(q string) (alerts.Query, error) {
		p, err := match.ParseSubscription(q, names)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}

// TestQueryInput: what users type that the query language used to take
// wrongly, through the command handler.
func TestQueryInput(t *testing.T) {
	tests := []struct {
		name    string
		setup   []string
		text    string
		want    []string
		notWant []string
	}{
		{name: "lowercase or is refused", text: "/subscribe or",
			want: []string{`"or" is a word nearly every article contains`, "operators only in capitals", "ceasefire OR truce"}},
		{name: "a stop word alone is refused", text: "/subscribe the",
			want: []string{`"the" is a word nearly every article contains`}},
		{name: "a stop word beside a specific word is fine", text: "/subscribe the ceasefire", want: []string{"Subscribed #1"}},
		{name: "actor in another script is already followed", setup: []string{"/subscribe Zelensky"}, text: "/subscribe Зеленский",
			want: []string{"Already following that as #1"}},
		{name: "actor by another alias is already followed", setup: []string{"/subscribe Зеленский"}, text: "/subscribe Zelenskyy",
			want: []string{"Already following that as #1"}},
		{name: "compound is already followed", setup: []string{"/subscribe ceasefire"}, text: "/subscribe cease-fire",
			want: []string{"Already following that as #1"}},
		{name: "terms in another order are already followed", setup: []string{"/subscribe Kyiv drone"}, text: "/subscribe drones Kiev",
			want: []string{"Already following that as #1"}},
		{name: "a quoted word is not the bare one", setup: []string{"/subscribe Zelensky"}, text: `/subscribe "Zelensky"`,
			want: []string{"Subscribed #2"}},
		{name: "unsubscribe by another spelling", setup: []string{"/subscribe Zelensky"}, text: "/unsubscribe Зеленский",
			want: []string{"Unsubscribed"}, notWant: []string{"doesn't follow"}},
		{name: "dash after a field negates", text: "/subscribe title:-ceasefire",
			want: []string{"no positive term"}},
		{name: "dash after a field, with a positive term", text: "/subscribe truce title:-ceasefire",
			want: []string{"Subscribed #1: truce AND NOT title:ceasefire"}},
		{name: "negative alternative names the problem", text: "/subscribe a OR -b",
			want: []string{`"-b" cannot be an alternative of OR`, `leave out the OR: "a -b"`}, notWant: []string{"only NOT terms"}},
		{name: "invisible characters are not stored", text: "/subscribe \u2067cease\u200bfire\u2069 talks\u202e",
			want: []string{"Subscribed #1: ceasefire AND talks"}, notWant: []string{"\u2067", "\u200b", "\u2069", "\u202e"}},
		{name: "list shows the query without them", setup: []string{"/subscribe \u202eeriftesaec\u202c"}, text: "/list",
			want: []string{"#1  eriftesaec"}, notWant: []string{"\u202e", "\u202c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withMatcher)
			for _, s := range tt.setup {
				e.cmd(dm, s)
			}
			got := e.cmd(dm, tt.text)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s: reply %q lacks %q", tt.text, got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("%s: reply %q has %q", tt.text, got, w)
				}
			}
		})
	}
}

// TestExplanationsNameTheTopic: /test and /why show the form that fired
// and the topic it belongs to.
func TestExplanationsNameTheTopic(t *testing.T) {
	e := newEnv(t, withMatcher)
	if r := e.cmd(dm, "/subscribe ceasefire"); !strings.Contains(r, "ceasefire → topic ceasefire:") || !strings.Contains(r, "перемирие") {
		t.Fatalf("/subscribe does not say what the topic expanded to: %q", r)
	}
	e.ingest(article("Стороны договорились о соблюдении перемирия", "Переговоры в Женеве завершились."))
	e.drain()
	if r := e.cmd(dm, "/test ceasefire"); !strings.Contains(r, "перемирия → ceasefire in title") {
		t.Errorf("/test: %q", r)
	}
	if r := e.cmd(dm, "/why"); !strings.Contains(r, "#1 ceasefire: matched перемирия → ceasefire in title") {
		t.Errorf("/why: %q", r)
	}
}

// TestLoadStreamsIntoTheIndex: at start-up the stored subscriptions are
// streamed into the index in bulk; one that no longer parses is skipped
// and the rest match.
func TestLoadStreamsIntoTheIndex(t *testing.T) {
	e := newEnv(t, withMatcher)
	e.cmd(dm, "/subscribe Zelensky")
	e.cmd(channel, "/subscribe ceasefire")
	if _, err := e.db.AddSubscription(alerts.Subscription{Target: dm.ID, Query: "(broken"}); err != nil {
		t.Fatal(err)
	}
	e.cmd(dm, "/subscribe drone")
	e.reopen(withMatcher)
	if r := e.cmd(dm, "/list"); !strings.Contains(r, "Zelensky") || !strings.Contains(r, "drone") {
		t.Fatalf("/list after restart: %q", r)
	}
	e.ingest(article("Перемирие и беспилотники", "Зеленский заявил о перемирии."))
	e.drain()
	got := map[alerts.TargetID]int{}
	for _, m := range e.sender.sent() {
		got[m.target]++
	}
	if got[dm.ID] != 1 || got[channel.ID] != 1 {
		t.Errorf("alerts after restart: %v, want one to the DM (Zelensky, drone) and one to the channel (ceasefire)", got)
	}
}
