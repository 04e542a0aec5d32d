package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// A story's update that arrives while its first alert is on the way (sent,
// its record not yet written) is not lost: once the send is recorded it
// edits that message, and the delivery log, which /why reads, names every
// outlet the chat was shown.
func TestAnUpdateDuringTheFirstSendBecomesItsEdit(t *testing.T) {
	e := newEnv(t, func(o *bot.Options) { o.Clusterer = &joinStories{stories: map[string]*alerts.Story{}} })
	updateDuringTheFirstSend(t, e, e.db)
}

// updateDuringTheFirstSend runs TestAnUpdateDuringTheFirstSendBecomesItsEdit
// on e, whose bot keeps its state in st.
func updateDuringTheFirstSend(t *testing.T, e *env, st bot.Store) {
	t.Helper()
	e.cmd(dm, "/subscribe ceasefire")
	sending, release := make(chan struct{}), make(chan struct{})
	e.sender.fail = func(_ alerts.Target, call int) error {
		if call == 1 {
			close(sending)
			<-release
		}
		return nil
	}
	a := article("Geneva: ceasefire talks resume", "ceasefire talks resume")
	a.Source = "Wire"
	e.ingest(a)
	drained := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		drained <- e.bot.Drain(ctx)
	}()
	<-sending
	b := article("Geneva: negotiators meet again", "ceasefire negotiators meet again")
	b.Source = "Globe"
	e.ingest(b)
	close(release)
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	e.drain()

	got := e.sender.sent()
	if len(got) != 2 || got[0].edit || !got[1].edit || got[1].id != got[0].id {
		t.Fatalf("want the alert, then an edit of it; got %+v", got)
	}
	if src := got[1].msg.Alerts[0].Sources; !slices.Equal(src, []string{"Wire", "Globe"}) {
		t.Errorf("the edit names %v, want [Wire Globe]", src)
	}
	if title := got[1].msg.Alerts[0].Article.Title; title != a.Title {
		t.Errorf("the edit shows %q, want the article the chat was alerted about", title)
	}
	s, err := st.Sent(dm.ID, alerts.DeliveryKey(dm.ID, "story-Geneva:"))
	if err != nil || !slices.Equal(s.Sources, []string{"Wire", "Globe"}) || s.MessageID != got[0].id {
		t.Errorf("the delivery log: %+v, %v", s, err)
	}
	if why := e.cmd(dm, "/why"); !strings.Contains(why, "Globe") {
		t.Errorf("/why does not name the second outlet:\n%s", why)
	}
	if h, err := st.Head(dm.ID); err != nil || h.Count != 0 {
		t.Errorf("%d deliveries left in the outbox (%v)", h.Count, err)
	}
}

// An update that arrives while the first alert still waits in the outbox
// is merged into it: the chat has seen nothing yet, so one message in the
// story's latest state beats an alert followed at once by its edit (an
// "edited" mark, and a second message against the chat's pace). The
// delivery log records what was sent, so /why explains the message the
// chat got.
func TestAnUpdateBeforeTheFirstSendIsMergedIntoIt(t *testing.T) {
	e := newEnv(t, func(o *bot.Options) { o.Clusterer = &joinStories{stories: map[string]*alerts.Story{}} })
	e.cmd(dm, "/subscribe ceasefire")
	a := article("Geneva: ceasefire talks resume", "ceasefire talks resume")
	a.Source = "Wire"
	e.ingest(a)
	b := article("Geneva: negotiators meet again", "ceasefire negotiators meet again")
	b.Source = "Globe"
	e.ingest(b)
	e.drain()
	got := e.sender.sent()
	if len(got) != 1 || got[0].edit || !slices.Equal(got[0].msg.Alerts[0].Sources, []string{"Wire", "Globe"}) {
		t.Fatalf("want one alert naming both outlets; got %+v", got)
	}
	s, err := e.db.Sent(dm.ID, alerts.DeliveryKey(dm.ID, "story-Geneva:"))
	if err != nil || !slices.Equal(s.Sources, got[0].msg.Alerts[0].Sources) || s.Alert.Article.Title != got[0].msg.Alerts[0].Article.Title {
		t.Errorf("the delivery log differs from the message: %+v, %v", s, err)
	}
	if why := e.cmd(dm, "/why"); !strings.Contains(why, "Globe") || !strings.Contains(why, got[0].msg.Alerts[0].Article.Title) {
		t.Errorf("/why does not explain the message sent:\n%s", why)
	}
}
