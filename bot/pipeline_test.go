package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage"
)

func TestOneAlertPerTargetNamingEverySubscriptionThatMatched(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	e.cmd(dm, "/subscribe geneva")
	e.cmd(channel, "/subscribe ceasefire")
	e.ingest(article("Ceasefire talks resume", "envoys meet in geneva to discuss a ceasefire"))
	e.drain()
	got := e.sender.sent()
	if len(got) != 2 {
		t.Fatalf("got %d messages, want one per target (2): %+v", len(got), got)
	}
	for _, s := range got {
		if s.target == dm.ID && len(s.msg.Alerts[0].Matches) != 2 {
			t.Errorf("DM alert names %d subscriptions, want both that matched", len(s.msg.Alerts[0].Matches))
		}
		if len(s.msg.Buttons) != 3 {
			t.Errorf("alert has %d buttons, want mute, unsubscribe and why", len(s.msg.Buttons))
		}
	}
}

func TestSameArticleTwiceRaisesOneAlert(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	a := article("Ceasefire agreed", "a ceasefire was agreed")
	if res := e.ingest(a); res != bot.Ingested {
		t.Fatalf("first ingest: %v", res)
	}
	if res := e.ingest(a); res != bot.Duplicate {
		t.Fatalf("second ingest = %v, want Duplicate", res)
	}
	b := a
	b.ID, b.GUID = "other-id", "" // same canonical URL, found again by another path
	if res := e.ingest(b); res != bot.Duplicate {
		t.Fatalf("same URL under another ID = %v, want Duplicate", res)
	}
	e.drain()
	if n := len(e.sender.sent()); n != 1 {
		t.Fatalf("got %d alerts, want 1", n)
	}
}

func TestEditedHeadlineIsAnUpdateNotANewAlert(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	a := article("Ceasefire agreed", "a ceasefire was agreed")
	e.ingest(a)
	a.Title = "Ceasefire agreed, officials say"
	if res := e.ingest(a); res != bot.Updated {
		t.Fatalf("edited headline = %v, want Updated", res)
	}
	e.drain()
	if n := len(e.sender.sent()); n != 1 {
		t.Fatalf("got %d alerts, want 1", n)
	}
	got, err := e.db.GetArticle(a.ID)
	if err != nil || got.Title != a.Title {
		t.Fatalf("stored title = %q (%v), want the edited one", got.Title, err)
	}
}

func TestMutedSubscriptionAndTargetPlanNothing(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	if r := e.cmd(dm, "/mute 1 8h"); !strings.Contains(r, "Muted #1") {
		t.Fatalf("mute reply: %q", r)
	}
	e.ingest(article("Ceasefire", "ceasefire"))
	e.cmd(channel, "/subscribe ceasefire")
	e.cmd(channel, "/mute all 1d")
	e.ingest(article("Ceasefire again", "ceasefire"))
	e.drain()
	if n := len(e.sender.sent()); n != 0 {
		t.Fatalf("muted: got %d alerts, want none", n)
	}
	e.clock.Add(25 * time.Hour)
	e.ingest(article("Ceasefire holds", "ceasefire"))
	e.drain()
	if n := len(e.sender.sent()); n != 2 {
		t.Fatalf("after the mutes expired: got %d alerts, want 2", n)
	}
}

// joinStories puts every article whose title starts with the same word into
// one story, with the article's source as a new source.
type joinStories struct{ stories map[string]*alerts.Story }

func (j *joinStories) Assign(a *alerts.Article) (alerts.Story, bool) {
	key, _, _ := strings.Cut(a.Title, " ")
	if s, ok := j.stories[key]; ok {
		s.Sources = append(s.Sources, a.Source)
		return *s, true
	}
	s := &alerts.Story{ID: "story-" + key, FirstArticle: a.ID, Title: a.Title, Sources: []string{a.Source}}
	j.stories[key] = s
	return *s, false
}

func TestStoryThatGainsASourceEditsTheAlert(t *testing.T) {
	e := newEnv(t, func(o *bot.Options) { o.Clusterer = &joinStories{stories: map[string]*alerts.Story{}} })
	e.cmd(dm, "/subscribe ceasefire")
	a := article("Geneva: ceasefire talks resume", "ceasefire talks resume")
	a.Source = "Wire"
	e.ingest(a)
	e.drain()
	b := article("Geneva: negotiators meet again", "ceasefire negotiators meet again")
	b.Source = "Globe"
	e.ingest(b)
	e.drain()
	got := e.sender.sent()
	if len(got) != 2 || got[0].edit || !got[1].edit {
		t.Fatalf("want an alert then an edit, got %+v", got)
	}
	if got[1].id != got[0].id {
		t.Errorf("edit targets message %q, want the alert's %q", got[1].id, got[0].id)
	}
	if src := got[1].msg.Alerts[0].Sources; len(src) != 2 || src[1] != "Globe" {
		t.Errorf("edited sources = %v, want [Wire Globe]", src)
	}
	if title := got[1].msg.Alerts[0].Article.Title; title != a.Title {
		t.Errorf("edited alert shows %q, want the story's first article", title)
	}
	// After the edit window the story raises nothing more for this target.
	e.clock.Add(25 * time.Hour)
	c := article("Geneva: third outlet", "ceasefire")
	c.Source = "Courier"
	e.ingest(c)
	e.drain()
	if n := len(e.sender.sent()); n != 2 {
		t.Errorf("a late source after 24 h sent %d messages, want none more", n-2)
	}
}

func TestHourlyDigestCollectsAlerts(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	if r := e.cmd(dm, "/digest hourly"); !strings.Contains(r, "hourly digest") {
		t.Fatalf("digest reply %q", r)
	}
	for i := 0; i < 3; i++ {
		e.ingest(article("Ceasefire update "+itoa(i), "ceasefire"))
	}
	e.drain()
	if n := len(e.sender.sent()); n != 0 {
		t.Fatalf("sent %d before the digest hour", n)
	}
	e.clock.Add(time.Hour)
	e.drain()
	got := e.sender.sent()
	if len(got) != 1 || got[0].msg.Kind != alerts.DeliverDigest || len(got[0].msg.Alerts) != 3 {
		t.Fatalf("want one digest of 3 alerts, got %+v", got)
	}
	if e.pending() != 0 {
		t.Fatalf("outbox not empty after the digest")
	}
}

func TestQuietHoursHoldAlertsUntilTheyEnd(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	e.cmd(dm, "/timezone Europe/Kyiv") // 12:00 UTC is 14:00 in Kyiv
	if r := e.cmd(dm, "/quiet 13:00-15:30"); !strings.Contains(r, "Quiet hours 13:00-15:30") {
		t.Fatalf("quiet reply %q", r)
	}
	e.ingest(article("Ceasefire one", "ceasefire"))
	e.ingest(article("Ceasefire two", "ceasefire"))
	e.drain()
	if n := len(e.sender.sent()); n != 0 {
		t.Fatalf("sent %d during quiet hours", n)
	}
	e.clock.Add(90 * time.Minute)
	e.drain()
	got := e.sender.sent()
	if len(got) != 1 || got[0].msg.Kind != alerts.DeliverDigest {
		t.Fatalf("after quiet hours want one digest, got %+v", got)
	}
}

func TestUnreachableTargetIsDeactivatedAndComesBack(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	e.sender.fail = func(alerts.Target, int) error {
		return errors.Join(alerts.ErrUnreachable, errors.New("bot was blocked by the user"))
	}
	e.ingest(article("Ceasefire", "ceasefire"))
	e.drain()
	tg, err := e.db.GetTarget(dm.ID)
	if err != nil || tg.Active || !strings.Contains(tg.InactiveReason, "blocked") {
		t.Fatalf("target after a permanent failure: %+v %v", tg, err)
	}
	if e.pending() != 0 {
		t.Fatal("undeliverable alert still in the outbox")
	}
	subs, _ := e.db.ListSubscriptions(dm.ID)
	if len(subs) != 1 {
		t.Fatalf("subscriptions after deactivation = %d, want kept", len(subs))
	}
	e.ingest(article("Ceasefire 2", "ceasefire"))
	e.drain()
	e.sender.fail = nil
	// The person comes back: any command reactivates.
	e.cmd(dm, "/list")
	e.ingest(article("Ceasefire 3", "ceasefire"))
	e.drain()
	got := e.sender.sent()
	if len(got) != 1 || got[0].msg.Alerts[0].Article.Title != "Ceasefire 3" {
		t.Fatalf("after returning want only the new alert, got %+v", got)
	}
	if err := e.bot.TargetGone(context.Background(), dm.ID, "kicked"); err != nil {
		t.Fatal(err)
	}
	if err := e.bot.TargetBack(context.Background(), dm.ID); err != nil {
		t.Fatal(err)
	}
	if tg, _ := e.db.GetTarget(dm.ID); !tg.Active {
		t.Fatal("TargetBack did not reactivate")
	}
}

func TestTransientFailuresRetryWithBackoffAndDeliverOnce(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	e.sender.fail = func(_ alerts.Target, call int) error {
		if call <= 2 {
			return errors.New("HTTP 502 bad gateway")
		}
		return nil
	}
	e.ingest(article("Ceasefire", "ceasefire"))
	for i := 0; i < 5; i++ {
		e.drain()
		e.clock.Add(10 * time.Second)
	}
	if n := len(e.sender.sent()); n != 1 {
		t.Fatalf("delivered %d times, want exactly once", n)
	}
}

func TestRateLimitWaitsAndLosesNothing(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	e.sender.fail = func(_ alerts.Target, call int) error {
		if call == 1 {
			return &alerts.RetryAfterError{After: time.Second, Err: errors.New("429")}
		}
		return nil
	}
	e.ingest(article("Ceasefire", "ceasefire"))
	e.drain()
	if n := len(e.sender.sent()); n != 0 {
		t.Fatalf("delivered %d before the platform's Retry-After passed", n)
	}
	e.clock.Add(2 * time.Second) // the platform's wait passes
	e.drain()
	if n := len(e.sender.sent()); n != 1 {
		t.Fatalf("delivered %d, want 1 after the rate limit", n)
	}
}

func TestMigratedChatMovesWithItsSubscriptions(t *testing.T) {
	e := newEnv(t)
	group := alerts.Target{ID: "test:-100", Kind: alerts.KindGroup}
	e.cmd(group, "/subscribe ceasefire")
	e.sender.fail = func(t alerts.Target, call int) error {
		if t.ID == "test:-100" {
			return &alerts.MigratedError{NewChatID: "-100200"}
		}
		return nil
	}
	e.ingest(article("Ceasefire", "ceasefire"))
	e.drain()
	got := e.sender.sent()
	if len(got) != 1 || got[0].target != "test:-100200" {
		t.Fatalf("want the alert resent to the new chat, got %+v", got)
	}
	subs, _ := e.db.ListSubscriptions("test:-100200")
	if len(subs) != 1 {
		t.Fatalf("subscriptions did not move: %v", subs)
	}
}

func TestOutboxResumesAfterRestartWithNothingLostOrTwice(t *testing.T) {
	noDigest := func(o *bot.Options) { o.Limits.Backlog = 1000 }
	e := newEnv(t, noDigest)
	e.cmd(dm, "/subscribe ceasefire")
	e.cmd(channel, "/subscribe ceasefire")
	for i := 0; i < 20; i++ {
		e.ingest(article("Ceasefire news "+itoa(i), "ceasefire"))
	}
	// Send only a part, then "crash": the process ends mid-pipeline.
	e.sender.fail = func(_ alerts.Target, call int) error {
		if call > 15 {
			return errors.New("process killed")
		}
		return nil
	}
	e.drain()
	first := len(e.sender.sent())
	if first != 15 {
		t.Fatalf("sent %d before the crash, want 15", first)
	}
	e.sender.fail = nil
	e.reopen(noDigest)
	e.clock.Add(time.Hour) // past any backoff
	e.drain()
	seen := map[string]int{}
	for _, s := range e.sender.sent() {
		for _, a := range s.msg.Alerts {
			seen[a.Key()]++
		}
	}
	if len(seen) != 40 {
		t.Fatalf("delivered %d distinct alerts, want all 40", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("alert %s delivered %d times", k, n)
		}
	}
}

func TestFairnessADMIsNotHeldBackByABusyChannel(t *testing.T) {
	e := newEnv(t, func(o *bot.Options) {
		o.Rates = map[alerts.Platform]bot.Rate{"test": {PerSecond: 1e6, Burst: 1000, Workers: 1}}
		o.Limits.Backlog = 1000
	})
	e.cmd(channel, "/subscribe ceasefire")
	for i := 0; i < 50; i++ {
		e.ingest(article("Ceasefire "+itoa(i), "ceasefire"))
	}
	e.cmd(dm, "/subscribe geneva")
	e.ingest(article("Geneva", "geneva"))
	e.drain()
	got := e.sender.sent()
	pos := -1
	for i, s := range got {
		if s.target == dm.ID {
			pos = i
		}
	}
	if pos < 0 || pos > 2 {
		t.Fatalf("the DM's alert went out at position %d of %d, want among the first", pos, len(got))
	}
}

func TestBacklogBecomesOneCatchUpDigest(t *testing.T) {
	e := newEnv(t, func(o *bot.Options) { o.Limits.Backlog = 5 })
	e.cmd(channel, "/subscribe ceasefire")
	for i := 0; i < 12; i++ {
		e.ingest(article("Ceasefire "+itoa(i), "ceasefire"))
	}
	e.drain()
	got := e.sender.sent()
	total := 0
	for _, s := range got {
		total += len(s.msg.Alerts)
	}
	if total != 12 {
		t.Fatalf("delivered %d alerts, want all 12 (never a silent drop)", total)
	}
	if len(got) > 3 {
		t.Fatalf("a backlog of 12 went out as %d messages, want a catch-up digest", len(got))
	}
}

// hangingSender never answers until its context ends, like a platform that
// stopped responding.
type hangingSender struct{ started chan struct{} }

func (h *hangingSender) Platform() alerts.Platform { return "test" }
func (h *hangingSender) Send(ctx context.Context, _ alerts.Target, _ bot.Message) (string, error) {
	close(h.started)
	<-ctx.Done()
	return "", ctx.Err()
}
func (h *hangingSender) Edit(ctx context.Context, _ alerts.Target, _ string, _ bot.Message) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestShutdownCutsOffAHangingSendAndKeepsTheAlert(t *testing.T) {
	hs := &hangingSender{started: make(chan struct{})}
	e := newEnv(t, func(o *bot.Options) { o.Senders = []bot.Sender{hs}; o.Now = time.Now })
	e.cmd(dm, "/subscribe ceasefire")
	e.ingest(article("Ceasefire", "ceasefire"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.bot.Run(ctx, nil); close(done) }()
	<-hs.started
	cancel()
	select {
	case <-done:
	case <-time.After(bot.ShutdownGrace + 5*time.Second):
		t.Fatal("Run did not return after its context ended: a hanging send held shutdown")
	}
	if n := e.pending(); n != 1 {
		t.Fatalf("outbox holds %d after the cut-off send, want the alert kept for the next start", n)
	}
}

func TestDeliveryThatNeverSucceedsIsGivenUpLoudly(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	e.sender.fail = func(alerts.Target, int) error { return errors.New("400 Bad Request: can't parse entities") }
	a := article("Ceasefire", "ceasefire")
	e.ingest(a)
	for i := 0; i < bot.MaxAttempts+2; i++ {
		e.drain()
		e.clock.Add(time.Hour)
	}
	if n := e.pending(); n != 0 {
		t.Fatalf("outbox still holds %d after %d attempts", n, bot.MaxAttempts)
	}
	s, err := e.db.Sent(dm.ID, alerts.DeliveryKey(dm.ID, a.ID))
	if err != nil || !strings.Contains(s.Dropped, "gave up after 24 attempts") || !strings.Contains(s.Dropped, "can't parse entities") {
		t.Fatalf("the delivery log should say why the alert was given up: %+v, %v", s, err)
	}
	tg, _ := e.db.GetTarget(dm.ID)
	if !tg.Active {
		t.Fatal("a message error deactivated the chat")
	}
}

func TestQueuedAlertsFollowLaterCommands(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	e.cmd(dm, "/subscribe geneva")
	e.cmd(dm, "/digest daily 18:00")
	e.ingest(article("Ceasefire in Geneva", "ceasefire geneva"))
	e.ingest(article("Ceasefire only", "ceasefire"))
	e.drain()
	if n := len(e.sender.sent()); n != 0 {
		t.Fatalf("sent %d before the digest", n)
	}
	// Unsubscribing from ceasefire, then switching the digest off: what
	// waited for the digest goes now, without the removed subscription.
	e.cmd(dm, "/unsubscribe ceasefire")
	if r := e.cmd(dm, "/digest off"); !strings.Contains(r, "Digest off") {
		t.Fatal(r)
	}
	e.drain()
	got := e.sender.sent()
	if len(got) != 1 {
		t.Fatalf("after /digest off want one message, got %d", len(got))
	}
	if as := got[0].msg.Alerts; len(as) != 1 || as[0].Article.Title != "Ceasefire in Geneva" || len(as[0].Matches) != 1 || as[0].Matches[0].Query != "geneva" {
		t.Fatalf("want only the Geneva alert naming only geneva, got %+v", as)
	}
	// A chat muted as a whole gets nothing that was queued before the mute.
	e.cmd(dm, "/digest hourly")
	e.ingest(article("Geneva again", "geneva"))
	e.cmd(dm, "/mute all 1d")
	e.clock.Add(2 * time.Hour)
	e.drain()
	if n := len(e.sender.sent()); n != 1 {
		t.Fatalf("a muted chat got %d more messages", n-1)
	}
	if e.pending() != 0 {
		t.Fatal("the muted alert is still queued")
	}
}

func TestDigestAlertsAreNeverEditedIntoOneAlert(t *testing.T) {
	e := newEnv(t, func(o *bot.Options) { o.Clusterer = &joinStories{stories: map[string]*alerts.Story{}} })
	e.cmd(dm, "/subscribe ceasefire")
	e.cmd(dm, "/digest hourly")
	a := article("Geneva: talks", "ceasefire")
	a.Source = "Wire"
	e.ingest(a)
	e.ingest(article("Kyiv: other news", "ceasefire"))
	e.clock.Add(time.Hour)
	e.drain()
	b := article("Geneva: second outlet", "ceasefire")
	b.Source = "Globe"
	e.ingest(b)
	e.drain()
	for _, s := range e.sender.sent() {
		if s.edit {
			t.Fatalf("a story update edited the digest message %s into one alert", s.id)
		}
	}
}

func TestAFailedEditNeverDeactivatesTheChat(t *testing.T) {
	e := newEnv(t, func(o *bot.Options) { o.Clusterer = &joinStories{stories: map[string]*alerts.Story{}} })
	e.cmd(dm, "/subscribe ceasefire")
	a := article("Geneva: talks", "ceasefire")
	a.Source = "Wire"
	e.ingest(a)
	e.drain()
	e.sender.fail = func(alerts.Target, int) error {
		return errors.Join(alerts.ErrUnreachable, errors.New("message to edit not found"))
	}
	b := article("Geneva: more", "ceasefire")
	b.Source = "Globe"
	e.ingest(b)
	e.drain()
	if tg, _ := e.db.GetTarget(dm.ID); !tg.Active {
		t.Fatal("a deleted alert that could not be edited deactivated the chat")
	}
	if e.pending() != 0 {
		t.Fatal("the failed edit is still queued")
	}
}

// A chat sent to just before a restart is not sent to again sooner than
// its interval allows: the new process starts its pacing from the
// delivery log.
func TestPacingSurvivesARestart(t *testing.T) {
	paced := func(o *bot.Options) {
		o.Rates = map[alerts.Platform]bot.Rate{"test": {PerSecond: 1e6, Burst: 1000, Workers: 4,
			DMEvery: time.Minute, GroupEvery: time.Minute}}
	}
	e := newEnv(t, paced)
	e.cmd(dm, "/subscribe ceasefire")
	e.ingest(article("Ceasefire agreed", "ceasefire"))
	e.drain()
	if n := len(e.sender.sent()); n != 1 {
		t.Fatalf("sent %d alerts, want 1", n)
	}
	e.reopen(paced)
	e.clock.Add(10 * time.Second)
	e.ingest(article("Ceasefire holds", "ceasefire"))
	e.drain()
	if n := len(e.sender.sent()); n != 1 {
		t.Fatalf("the restarted process sent to the chat 10 s after the last alert (interval 1 min): %d sent", n)
	}
	e.clock.Add(time.Minute)
	e.drain()
	if n := len(e.sender.sent()); n != 2 {
		t.Fatalf("after the interval: %d sent, want 2", n)
	}

	// A DM waits out the DM interval, not the longer group one.
	dmPaced := func(o *bot.Options) {
		o.Rates = map[alerts.Platform]bot.Rate{"test": {PerSecond: 1e6, Burst: 1000, Workers: 4,
			DMEvery: time.Second, GroupEvery: time.Hour}}
	}
	e.reopen(dmPaced)
	e.ingest(article("Ceasefire extended", "ceasefire"))
	e.clock.Add(2 * time.Second)
	e.drain()
	if n := len(e.sender.sent()); n != 3 {
		t.Fatalf("a DM after a restart waited longer than its interval: %d sent, want 3", n)
	}
}

// The topics of one forum share its chat's pace: two topics with an alert
// each get them one interval apart, as the group's limit counts both.
func TestTopicsOfAChatSharePacing(t *testing.T) {
	paced := func(o *bot.Options) {
		o.Rates = map[alerts.Platform]bot.Rate{"test": {PerSecond: 1e6, Burst: 1000, Workers: 4,
			DMEvery: time.Minute, GroupEvery: time.Minute}}
	}
	e := newEnv(t, paced)
	ukraine := alerts.Target{ID: "test:-100/7", Kind: alerts.KindGroup, Title: "Newsroom (topic 7)"}
	markets := alerts.Target{ID: "test:-100/9", Kind: alerts.KindGroup, Title: "Newsroom (topic 9)"}
	other := alerts.Target{ID: "test:-200", Kind: alerts.KindGroup, Title: "Elsewhere"}
	e.cmd(ukraine, "/subscribe ceasefire")
	e.cmd(markets, "/subscribe ceasefire")
	e.cmd(other, "/subscribe ceasefire")
	e.ingest(article("Ceasefire agreed", "ceasefire"))
	e.drain()
	sentTo := func() map[alerts.TargetID]int {
		n := map[alerts.TargetID]int{}
		for _, s := range e.sender.sent() {
			n[s.target]++
		}
		return n
	}
	if got := sentTo(); got[other.ID] != 1 || got[ukraine.ID]+got[markets.ID] != 1 {
		t.Fatalf("first round: %v, want the other chat and one of the two topics", got)
	}
	e.clock.Add(time.Minute)
	e.drain()
	if got := sentTo(); got[ukraine.ID] != 1 || got[markets.ID] != 1 {
		t.Fatalf("after the interval: %v, want both topics", got)
	}
}

// refusingStore fails the first commits as a full disk does.
type refusingStore struct {
	*storage.DB
	refuse atomic.Int32
}

func (s *refusingStore) CommitAll(cs []alerts.ArticleCommit) []error {
	if s.refuse.Add(-1) >= 0 {
		errs := make([]error, len(cs))
		for i, c := range cs {
			errs[i] = errors.New("commit article " + c.Article.ID + ": file resize error: truncate herald.db: no space left on device")
		}
		return errs
	}
	return s.DB.CommitAll(cs)
}

// An article from a feed that the store cannot take (a full disk) is held
// and tried again: its feed counts it as seen, and would not bring it
// again.
func TestRunHoldsAnArticleTheStoreRefused(t *testing.T) {
	logged := &syncBuffer{}
	store := &refusingStore{}
	e := newEnv(t, func(o *bot.Options) {
		store.DB = o.Store.(*storage.DB)
		store.refuse.Store(1)
		o.Store = store
		o.Log = slog.New(slog.NewTextHandler(logged, nil))
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := make(chan alerts.Article, 1)
	done := make(chan struct{})
	go func() { e.bot.Run(ctx, in); close(done) }()
	a := article("Ceasefire", "talks resume")
	in <- a
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := e.db.GetArticle(a.ID); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the refused article was never stored")
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(in)
	cancel()
	<-done
	if !strings.Contains(logged.String(), "no space left on device") || strings.Contains(logged.String(), "Article not ingested") {
		t.Errorf("log: %s", logged.String())
	}
}
