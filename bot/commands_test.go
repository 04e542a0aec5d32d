package bot_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

func TestCommands(t *testing.T) {
	group := alerts.Target{ID: "test:group1", Kind: alerts.KindGroup, Title: "Newsroom"}
	tests := []struct {
		name      string
		target    alerts.Target
		canManage bool
		setup     []string
		text      string
		want      []string // substrings of the reply
		notWant   []string
	}{
		{name: "help", target: dm, text: "/help", want: []string{"/subscribe QUERY", "/digest"}},
		{name: "start is help", target: dm, text: "/start", want: []string{"/subscribe QUERY"}},
		{name: "unknown command", target: dm, text: "/frobnicate", want: []string{"I don't know /frobnicate", "/help"}},
		{name: "not a command", target: dm, text: "hello", want: []string{"Commands start with /"}},
		{name: "bot suffix stripped", target: dm, text: "/subscribe@HeraldBot ceasefire", want: []string{"Subscribed #1: ceasefire"}},
		{name: "subscribe", target: dm, text: "/subscribe ceasefire", want: []string{"Subscribed #1", "/unsubscribe 1"}},
		{name: "subscribe without query", target: dm, text: "/subscribe", want: []string{"Tell me what to follow", "ceasefire"}},
		{name: "subscribe malformed", target: dm, text: "/subscribe (ceasefire", want: []string{"can't read that query", "column 1", "Write queries like"}},
		{name: "subscribe too long", target: dm, text: "/subscribe " + strings.Repeat("a", 301), want: []string{"301 characters", "limit is 300"}},
		{name: "subscribe twice", target: dm, setup: []string{"/subscribe ceasefire"}, text: "/subscribe Ceasefire", want: []string{"Already following that as #1"}},
		{name: "subscribe in group as admin", target: group, canManage: true, text: "/subscribe ceasefire", want: []string{"Subscribed #1"}},
		{name: "subscribe in group refused", target: group, text: "/subscribe ceasefire", want: []string{"Only people who manage this group", "message me directly"}},
		{name: "subscribe in channel refused", target: channel, text: "/subscribe ceasefire", want: []string{"manage this channel"}},
		{name: "list in group allowed to all", target: group, text: "/list", want: []string{"follows nothing yet"}},
		{name: "list", target: dm, setup: []string{"/subscribe ceasefire", "/subscribe geneva"}, text: "/list", want: []string{"#1  ceasefire", "#2  geneva", "Delivery: immediately", "Time zone: UTC"}},
		{name: "unsubscribe by id", target: dm, setup: []string{"/subscribe ceasefire"}, text: "/unsubscribe 1", want: []string{"Unsubscribed #1: ceasefire"}},
		{name: "unsubscribe by hash id", target: dm, setup: []string{"/subscribe ceasefire"}, text: "/unsubscribe #1", want: []string{"Unsubscribed #1"}},
		{name: "unsubscribe by query", target: dm, setup: []string{"/subscribe ceasefire"}, text: "/unsubscribe ceasefire", want: []string{"Unsubscribed #1"}},
		{name: "unsubscribe unknown", target: dm, text: "/unsubscribe 9", want: []string{`doesn't follow "9"`, "/list"}},
		{name: "unsubscribe all asks first", target: dm, setup: []string{"/subscribe a", "/subscribe b"}, text: "/unsubscribe all", want: []string{"Stop following all 2 topics", "Confirm with /unsubscribe all confirm"}, notWant: []string{"Unsubscribed"}},
		{name: "unsubscribe all confirmed", target: dm, setup: []string{"/subscribe a", "/subscribe b"}, text: "/unsubscribe all confirm", want: []string{"Unsubscribed from all 2 topics"}},
		{name: "unsubscribe all of nothing", target: dm, text: "/unsubscribe all", want: []string{"follows nothing"}},
		{name: "unsubscribe all in group refused", target: group, setup: []string{"/subscribe a"}, text: "/unsubscribe all confirm", want: []string{"Only people who manage"}},
		{name: "unsubscribe without arg", target: dm, text: "/unsubscribe", want: []string{"Which one?"}},
		{name: "unsubscribe in group refused", target: group, text: "/unsubscribe 1", want: []string{"Only people who manage"}},
		{name: "mute bad duration", target: dm, setup: []string{"/subscribe ceasefire"}, text: "/mute 1 forever", want: []string{`"forever" is not a duration`}},
		{name: "mute usage", target: dm, text: "/mute", want: []string{"/mute 3 8h"}},
		{name: "mute unknown sub", target: dm, text: "/mute 7 1h", want: []string{"no subscription 7"}},
		{name: "mute all", target: dm, text: "/mute all 2h", want: []string{"Muted everything until"}},
		{name: "mute decimal hours", target: dm, setup: []string{"/subscribe ceasefire"}, text: "/mute 1 1.5h", want: []string{"Muted #1", "until Wed 13:30 UTC"}},
		{name: "mute in words", target: dm, setup: []string{"/subscribe ceasefire"}, text: "/mute 1 2 days", want: []string{"Muted #1", "until Fri 12:00 UTC"}},
		{name: "mute unknown unit", target: dm, setup: []string{"/subscribe ceasefire"}, text: "/mute 1 3y", want: []string{`"y" is not a unit`, "1.5h"}},
		{name: "mute too short", target: dm, setup: []string{"/subscribe ceasefire"}, text: "/mute 1 0.5m", want: []string{"between 1m and 365d"}},
		{name: "unmute", target: dm, setup: []string{"/subscribe ceasefire", "/mute 1 2h"}, text: "/mute 1 off", want: []string{"Unmuted #1"}},
		{name: "digest daily", target: dm, text: "/digest daily 07:30", want: []string{"daily digest", "07:30"}},
		{name: "digest daily default time", target: dm, text: "/digest daily", want: []string{"daily digest", "08:00"}},
		{name: "digest bad time", target: dm, text: "/digest daily 25:00", want: []string{`"25:00" is not a time of day`}},
		{name: "digest bad mode", target: dm, text: "/digest weekly", want: []string{`"weekly" is not a digest mode`}},
		{name: "digest off", target: dm, text: "/digest off", want: []string{"Digest off"}},
		{name: "quiet", target: dm, text: "/quiet 22:00-07:00", want: []string{"Quiet hours 22:00-07:00"}},
		{name: "quiet bad", target: dm, text: "/quiet late", want: []string{"/quiet 22:00-07:00"}},
		{name: "quiet same", target: dm, text: "/quiet 07:00-07:00", want: []string{"different start and end"}},
		{name: "quiet off", target: dm, text: "/quiet off", want: []string{"Quiet hours off"}},
		{name: "timezone", target: dm, text: "/timezone Europe/Kyiv", want: []string{"Time zone set to Europe/Kyiv", "14:00"}},
		{name: "timezone any case", target: dm, text: "/timezone europe/kyiv", want: []string{"Time zone set to Europe/Kyiv", "14:00"}},
		{name: "timezone upper case words", target: dm, text: "/timezone us/eastern", want: []string{"Time zone set to US/Eastern"}},
		{name: "timezone offset", target: dm, text: "/timezone UTC+3", want: []string{"Time zone set to UTC+03:00", "15:00", "daylight saving"}},
		{name: "timezone iso offset", target: dm, text: "/timezone +05:30", want: []string{"Time zone set to UTC+05:30", "17:30"}},
		{name: "timezone gmt minus", target: dm, text: "/timezone GMT-5", want: []string{"Time zone set to UTC-05:00", "07:00"}},
		{name: "timezone offset out of range", target: dm, text: "/timezone UTC+15", want: []string{`don't know the time zone "UTC+15"`}},
		{name: "timezone local refused", target: dm, text: "/timezone local", want: []string{`don't know the time zone`}},
		{name: "timezone unknown", target: dm, text: "/timezone Mars/Olympus", want: []string{`don't know the time zone "Mars/Olympus"`}},
		{name: "timezone show", target: dm, text: "/timezone", want: []string{"time zone is UTC"}},
		{name: "timezone in group refused", target: group, text: "/timezone UTC", want: []string{"Only people who manage"}},
		{name: "why without alerts", target: dm, text: "/why", want: []string{"No alert has been sent here yet"}},
		{name: "test without query", target: dm, text: "/test", want: []string{"Give me a query"}},
		{name: "test malformed", target: dm, text: "/test (x", want: []string{"can't read that query"}},
		{name: "test nothing recent", target: dm, text: "/test ceasefire", want: []string{"None of the last 0 articles"}},
		{name: "previews off", target: dm, text: "/previews off", want: []string{"Link previews off"}},
		{name: "previews bad", target: dm, text: "/previews maybe", want: []string{"/previews off"}},
		{name: "previews in group refused", target: group, text: "/previews off", want: []string{"Only people who manage"}},
		{name: "sources add from a DM refused", target: dm, text: "/sources add https://example.com/feed", want: []string{"only admins of a group or channel"}},
		{name: "sources add in group refused to members", target: group, text: "/sources add https://example.com/feed", want: []string{"Only people who manage"}},
		{name: "sources without feeds", target: dm, text: "/sources", want: []string{"no feeds configured"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			for _, s := range tc.setup {
				e.bot.HandleCommand(context.Background(), bot.Command{Target: tc.target, UserID: "admin", CanManage: true, Text: s})
			}
			got := e.bot.HandleCommand(context.Background(), bot.Command{Target: tc.target, UserID: "u1", CanManage: tc.canManage, Text: tc.text}).Text
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply to %q lacks %q:\n%s", tc.text, w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("reply to %q has %q:\n%s", tc.text, w, got)
				}
			}
		})
	}
}

func TestSubscriptionLimitPerTarget(t *testing.T) {
	e := newEnv(t, func(o *bot.Options) { o.Limits.SubsPerTarget = 2 })
	e.cmd(dm, "/subscribe a")
	e.cmd(dm, "/subscribe b")
	if r := e.cmd(dm, "/subscribe c"); !strings.Contains(r, "the most allowed") {
		t.Fatalf("third subscription: %q", r)
	}
}

func TestCommandsPerMinutePerUser(t *testing.T) {
	e := newEnv(t, func(o *bot.Options) { o.Limits.CommandsPerMinute = 3 })
	c := bot.Command{Target: dm, UserID: "spammer", Text: "/list"}
	for i := 0; i < 3; i++ {
		if r := e.bot.HandleCommand(context.Background(), c).Text; strings.Contains(r, "Slow down") {
			t.Fatalf("command %d refused", i)
		}
	}
	if r := e.bot.HandleCommand(context.Background(), c).Text; !strings.Contains(r, "Slow down") {
		t.Fatalf("fourth command in a minute: %q", r)
	}
	other := bot.Command{Target: dm, UserID: "someone-else", Text: "/list"}
	if r := e.bot.HandleCommand(context.Background(), other).Text; strings.Contains(r, "Slow down") {
		t.Fatal("another user was limited too")
	}
	e.clock.Add(time.Minute)
	if r := e.bot.HandleCommand(context.Background(), c).Text; strings.Contains(r, "Slow down") {
		t.Fatal("still limited a minute later")
	}
}

func TestTestAndWhyExplainMatches(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	e.ingest(article("Ceasefire agreed in Geneva", "a ceasefire was agreed"))
	e.ingest(article("Markets rally", "stocks up"))
	e.drain()
	if r := e.cmd(dm, "/test ceasefire"); !strings.Contains(r, "1 of the last 2 articles") || !strings.Contains(r, "Ceasefire agreed in Geneva") {
		t.Errorf("/test: %q", r)
	}
	if r := e.cmd(dm, "/why"); !strings.Contains(r, "Ceasefire agreed in Geneva") || !strings.Contains(r, "#1 ceasefire") ||
		!strings.Contains(r, "In the article: a «ceasefire» was agreed") {
		t.Errorf("/why: %q", r)
	}
}

func TestAlertButtons(t *testing.T) {
	e := newEnv(t)
	group := alerts.Target{ID: "test:g", Kind: alerts.KindGroup}
	e.cmd(dm, "/subscribe ceasefire")
	e.cmd(group, "/subscribe ceasefire")
	e.ingest(article("Ceasefire", "ceasefire"))
	e.drain()
	var dmButtons, groupButtons []bot.MessageButton
	for _, s := range e.sender.sent() {
		if s.target == dm.ID {
			dmButtons = s.msg.Buttons
		} else {
			groupButtons = s.msg.Buttons
		}
	}
	press := func(t alerts.Target, token string, manage bool) string {
		return e.bot.HandleCommand(context.Background(), bot.Command{Target: t, UserID: "u", CanManage: manage, Button: token}).Text
	}
	for _, b := range dmButtons {
		if len(b.Token) > 16 {
			t.Errorf("button token %q is longer than 16 bytes", b.Token)
		}
	}
	if r := press(dm, dmButtons[2].Token, false); !strings.Contains(r, "was sent because") {
		t.Errorf("why button: %q", r)
	}
	if r := press(dm, "m:forgedtoken", false); !strings.Contains(r, "expired") {
		t.Errorf("forged button: %q", r)
	}
	if r := press(dm, groupButtons[0].Token, true); !strings.Contains(r, "expired") {
		t.Errorf("another chat's button: %q", r)
	}
	if r := press(group, groupButtons[0].Token, false); !strings.Contains(r, "Only people who manage") {
		t.Errorf("non-admin mute in a group: %q", r)
	}
	if r := press(dm, dmButtons[0].Token, false); !strings.Contains(r, "Muted ceasefire for 8 hours") {
		t.Errorf("mute button: %q", r)
	}
	e.ingest(article("Ceasefire 2", "ceasefire"))
	e.drain()
	for _, s := range e.sender.sent()[2:] {
		if s.target == dm.ID {
			t.Errorf("muted DM still got %q", s.msg.Alerts[0].Article.Title)
		}
	}
	if r := press(group, groupButtons[1].Token, true); !strings.Contains(r, "Unsubscribed from ceasefire") {
		t.Errorf("unsubscribe button: %q", r)
	}
	if r := press(group, groupButtons[1].Token, true); !strings.Contains(r, "gone already") {
		t.Errorf("stale unsubscribe button: %q", r)
	}
}

func FuzzHandleCommand(f *testing.F) {
	for _, s := range []string{"/subscribe ceasefire", "/mute all 8h", "/digest daily 08:00", "/quiet 22:00-07:00", "/unsubscribe #1", "/x@y", "/", "/timezone \x00"} {
		f.Add(s)
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, text string) {
		r := e.bot.HandleCommand(context.Background(), bot.Command{Target: dm, CanManage: true, Text: text})
		if r.Text == "" {
			t.Errorf("empty reply to %q", text)
		}
	})
}

// catalog is a fake feeds catalogue that records additions and removals.
type catalog struct{ srcs []bot.SourceStatus }

func (c *catalog) Sources() []bot.SourceStatus { return append([]bot.SourceStatus(nil), c.srcs...) }

func (c *catalog) AddSource(_ context.Context, url string, by alerts.TargetID) (bot.SourceStatus, error) {
	for _, s := range c.srcs {
		if s.URL == url {
			return s, nil // as the poller: the feed as it is
		}
	}
	s := bot.SourceStatus{URL: url, State: "ok", UserAdded: true, AddedBy: by}
	c.srcs = append(c.srcs, s)
	return s, nil
}

func (c *catalog) RemoveSource(_ context.Context, url string, _ alerts.TargetID) error {
	for i, s := range c.srcs {
		if s.URL == url {
			c.srcs = append(c.srcs[:i], c.srcs[i+1:]...)
			return nil
		}
	}
	return errors.New("not there")
}

func TestSourcesAddListRemove(t *testing.T) {
	cat := &catalog{srcs: []bot.SourceStatus{
		{URL: "https://wire.example/rss", Title: "Wire", State: "ok", Notice: "120 new items at once on Dec 1 10:00 UTC"}, // operator's
		{URL: "https://legacy.example/feed", State: "failing", LastError: "HTTP 500", UserAdded: true},                    // added before AddedBy
		{URL: "https://other.example/feed", Title: "Other", State: "ok", UserAdded: true, AddedBy: "test:someone-else"},   // another chat's
	}}
	e := newEnv(t, func(o *bot.Options) { o.Catalog = cat })
	admin := func(text string) string {
		return e.bot.HandleCommand(context.Background(), bot.Command{Target: channel, UserID: "admin", CanManage: true, Text: text}).Text
	}
	member := func(text string) string {
		return e.bot.HandleCommand(context.Background(), bot.Command{Target: channel, UserID: "member", Text: text}).Text
	}
	steps := []struct {
		name string
		do   func(string) string
		text string
		want string
	}{
		{"add", admin, "/sources add https://globe.example/atom", "Added https://globe.example/atom"},
		{"list numbers and marks ours", admin, "/sources", "4. https://globe.example/atom: ok (added here)"},
		{"titles come with their URL", admin, "/sources", "1. Wire (https://wire.example/rss): ok"},
		{"a notice is shown", member, "/sources", "ok [120 new items at once on Dec 1 10:00 UTC]"},
		{"one thing at a time", admin, "/sources add https://a.example/ remove 3", "with one feed's URL"},
		{"list shows failures", member, "/sources", "2. https://legacy.example/feed: failing (HTTP 500)"},
		{"members may not remove", member, "/sources remove 4", "Only people who manage"},
		{"operator feeds stay", admin, "/sources remove 1", "Wire is configured by the operator"},
		{"another chat's feed stays", admin, "/sources remove https://other.example/feed", "added by another chat"},
		{"out of range", admin, "/sources remove 9", "There is no source 9; /sources lists 4"},
		{"unknown URL", admin, "/sources remove https://nowhere.example/", "not among the sources"},
		{"no argument", admin, "/sources remove", "/sources remove N"},
		{"unknown subcommand", admin, "/sources frobnicate", "/sources add URL"},
		{"remove ours by number", admin, "/sources remove 4", "Removed https://globe.example/atom"},
		{"a feed from before AddedBy is the operator's", admin, "/sources remove legacy.example/feed", "only the operator can remove it"},
		{"what is left", admin, "/sources", "3 sources"},
	}
	for _, s := range steps {
		if got := s.do(s.text); !strings.Contains(got, s.want) {
			t.Errorf("%s: reply to %q lacks %q:\n%s", s.name, s.text, s.want, got)
		}
	}
	if len(cat.srcs) != 3 || cat.srcs[0].Title != "Wire" || cat.srcs[2].Title != "Other" {
		t.Errorf("catalogue after the steps: %+v", cat.srcs)
	}
	if r := e.cmd(dm, "/sources remove 1"); !strings.Contains(r, "only admins of a group or channel") {
		t.Errorf("removal from a DM: %q", r)
	}
}

func TestSourcesAddOnlyWhereTheOperatorAllows(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed map[alerts.TargetID]bool
		want    string
	}{
		{"any admin", nil, "Added"},
		{"off", map[alerts.TargetID]bool{}, "operator of this Herald chooses its sources"},
		{"listed", map[alerts.TargetID]bool{channel.ID: true}, "Added"},
		{"not listed", map[alerts.TargetID]bool{"test:elsewhere": true}, "operator of this Herald chooses its sources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := &catalog{}
			e := newEnv(t, func(o *bot.Options) { o.Catalog = cat; o.Limits.ChatSources = tc.allowed })
			got := e.bot.HandleCommand(context.Background(), bot.Command{Target: channel, UserID: "admin", CanManage: true,
				Text: "/sources add https://globe.example/atom"}).Text
			if !strings.Contains(got, tc.want) {
				t.Errorf("reply %q lacks %q", got, tc.want)
			}
		})
	}
}

// Past the first 30 sources, the list still shows the ones this chat
// added, with their numbers, so they can be removed.
func TestSourcesListKeepsOursPastTheCap(t *testing.T) {
	cat := &catalog{}
	for i := range 35 {
		cat.srcs = append(cat.srcs, bot.SourceStatus{URL: fmt.Sprintf("https://op%d.example/rss", i), State: "ok"})
	}
	cat.srcs = append(cat.srcs, bot.SourceStatus{URL: "https://ours.example/feed", State: "ok", UserAdded: true, AddedBy: channel.ID})
	e := newEnv(t, func(o *bot.Options) { o.Catalog = cat })
	got := e.bot.HandleCommand(context.Background(), bot.Command{Target: channel, UserID: "admin", CanManage: true, Text: "/sources"}).Text
	for _, want := range []string{"36 sources", "30. https://op29.example/rss", "36. https://ours.example/feed: ok (added here)", "(5 more sources from the operator"} {
		if !strings.Contains(got, want) {
			t.Errorf("/sources lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "op30.example") {
		t.Errorf("/sources lists past the cap:\n%s", got)
	}
}

// A forum topic belongs to its chat: the operator's allow-list names the
// chat, and a feed added from one topic is the chat's to remove from any.
func TestSourcesInForumTopics(t *testing.T) {
	cat := &catalog{}
	topic := alerts.Target{ID: "test:-100/7", Kind: alerts.KindGroup}
	general := alerts.Target{ID: "test:-100", Kind: alerts.KindGroup}
	e := newEnv(t, func(o *bot.Options) {
		o.Catalog = cat
		o.Limits.ChatSources = map[alerts.TargetID]bool{"test:-100": true, "test:-200": true}
	})
	say := func(tg alerts.Target, text string) string {
		return e.bot.HandleCommand(context.Background(), bot.Command{Target: tg, UserID: "admin", CanManage: true, Text: text}).Text
	}
	if r := say(topic, "/sources add https://globe.example/atom"); !strings.Contains(r, "Added") {
		t.Fatalf("adding from a topic of an allowed forum: %q", r)
	}
	other := alerts.Target{ID: "test:-200", Kind: alerts.KindGroup}
	e.bot.HandleCommand(context.Background(), bot.Command{Target: other, UserID: "x", CanManage: true, Text: "/list"})
	if r := say(other, "/sources add https://globe.example/atom"); !strings.Contains(r, "already among the sources") {
		t.Errorf("another chat adding it: %q", r)
	}
	if r := say(general, "/sources remove 1"); !strings.Contains(r, "Removed") {
		t.Errorf("removing from the forum's General topic: %q", r)
	}
}

// One table drives dispatch, /help and the platforms' menus: every command
// in it answers, /help names each one, its aliases run it, and its names
// and descriptions fit both platforms' rules.
func TestCommandTable(t *testing.T) {
	e := newEnv(t)
	help := e.cmd(dm, "/help")
	name := regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	seen := map[string]bool{}
	for _, sp := range bot.CommandSpecs() {
		for _, n := range append([]string{sp.Name}, sp.Aliases...) {
			if !name.MatchString(n) || seen[n] {
				t.Errorf("/%s: a name Telegram and Discord refuse, or a second command by that name", n)
			}
			seen[n] = true
			if got, ok := bot.FindCommand(n); !ok || got.Name != sp.Name {
				t.Errorf("FindCommand(%q) = %q, %v", n, got.Name, ok)
			}
			if r := e.cmd(dm, "/"+n); strings.Contains(r, "I don't know") || r == "" {
				t.Errorf("/%s: %q", n, r)
			}
		}
		if !strings.Contains(help, "\n/"+sp.Name) {
			t.Errorf("/help does not list /%s:\n%s", sp.Name, help)
		}
		if d := []rune(sp.Description); len(d) == 0 || len(d) > 100 {
			t.Errorf("/%s: description of %d characters, want 1-100", sp.Name, len(d))
		}
		for _, o := range sp.Options {
			if !name.MatchString(o.Name) || len([]rune(o.Description)) > 100 {
				t.Errorf("/%s option %q: a name or description Discord refuses", sp.Name, o.Name)
			}
		}
	}
	sources, _ := bot.FindCommand("sources")
	if got := sources.Line(map[string]string{"remove": " 3 ", "add": "", "other": "x"}); got != "/sources remove 3" {
		t.Errorf("Line = %q", got)
	}
}

// Every setting command saves and replans through one helper: an alert
// held by quiet hours goes out as soon as they are switched off, and /list
// says what is held meanwhile.
func TestQuietOffReleasesHeldAlerts(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	e.cmd(dm, "/timezone Europe/Kyiv") // 12:00 UTC is 14:00 in Kyiv
	e.cmd(dm, "/quiet 13:00-15:30")
	e.ingest(article("Ceasefire one", "ceasefire"))
	e.ingest(article("Ceasefire two", "ceasefire"))
	e.drain()
	if n := len(e.sender.sent()); n != 0 {
		t.Fatalf("sent %d during quiet hours", n)
	}
	if r := e.cmd(dm, "/list"); !strings.Contains(r, "2 alerts held until Wed 15:30 EET") {
		t.Errorf("/list while alerts are held:\n%s", r)
	}
	if r := e.cmd(dm, "/quiet off"); !strings.Contains(r, "Quiet hours off") {
		t.Fatalf("/quiet off: %q", r)
	}
	e.drain()
	got := e.sender.sent()
	if len(got) != 1 || got[0].msg.Kind != alerts.DeliverDigest || len(got[0].msg.Alerts) != 2 {
		t.Fatalf("after /quiet off want the two held alerts as one digest, got %+v", got)
	}
	if r := e.cmd(dm, "/list"); strings.Contains(r, "held") {
		t.Errorf("/list once nothing is held:\n%s", r)
	}
}

// flakyStore fails DeleteSubscription for the subscriptions in fail.
type flakyStore struct {
	bot.Store
	fail map[uint64]bool
}

func (f *flakyStore) DeleteSubscription(id uint64) error {
	if f.fail[id] {
		return errors.New("disk full")
	}
	return f.Store.DeleteSubscription(id)
}

// /unsubscribe all says truthfully what it removed and what it could not,
// and what it could not remove still delivers, as /list still shows it.
func TestUnsubscribeAllReportsWhatFailed(t *testing.T) {
	e := newEnv(t, func(o *bot.Options) { o.Store = &flakyStore{Store: o.Store, fail: map[uint64]bool{2: true}} })
	for _, q := range []string{"alpha", "bravo", "charlie"} {
		e.cmd(dm, "/subscribe "+q)
	}
	r := e.cmd(dm, "/unsubscribe all confirm")
	for _, want := range []string{"Unsubscribed from 2 of 3 topics", "#2 bravo", "try /unsubscribe all confirm again"} {
		if !strings.Contains(r, want) {
			t.Errorf("/unsubscribe all with a failing store lacks %q:\n%s", want, r)
		}
	}
	if l := e.cmd(dm, "/list"); !strings.Contains(l, "#2  bravo") || strings.Contains(l, "alpha") {
		t.Errorf("/list after a partial /unsubscribe all:\n%s", l)
	}
	e.ingest(article("Bravo team wins", "bravo"))
	e.drain()
	if n := len(e.sender.sent()); n != 1 {
		t.Errorf("the subscription that could not be removed delivered %d alerts, want 1", n)
	}
}

// /why N explains the Nth latest alert in the chat, 1 the newest; a number
// past them, or anything else, lists the recent alerts with their numbers.
func TestWhyNExplainsTheNthLatestAlert(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	for _, title := range []string{"Ceasefire one", "Ceasefire two", "Ceasefire three"} {
		e.clock.Add(time.Minute)
		e.ingest(article(title, "the ceasefire holds"))
		e.drain()
	}
	for _, tc := range []struct{ text, want string }{
		{"/why", "“Ceasefire three”"},
		{"/why 1", "“Ceasefire three”"},
		{"/why 2", "“Ceasefire two”"},
		{"/why #3", "“Ceasefire one”"},
	} {
		if r := e.cmd(dm, tc.text); !strings.Contains(r, tc.want) || !strings.Contains(r, "was sent because") {
			t.Errorf("%s: %q, want the alert %s explained", tc.text, r, tc.want)
		}
	}
	for _, text := range []string{"/why 4", "/why 0", "/why latest"} {
		r := e.cmd(dm, text)
		for _, want := range []string{"1. Ceasefire three", "2. Ceasefire two", "3. Ceasefire one", "/why 2"} {
			if !strings.Contains(r, want) {
				t.Errorf("%s lacks %q:\n%s", text, want, r)
			}
		}
	}
	if r := e.cmd(channel, "/why 2"); !strings.Contains(r, "No alert has been sent here yet") {
		t.Errorf("/why 2 where nothing was sent: %q", r)
	}
}
