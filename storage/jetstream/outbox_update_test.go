package jetstream_test

import (
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// grown is a story's update: its alert names one more outlet.
func grown(d alerts.Delivery) alerts.Delivery {
	d.Alerts = slices.Clone(d.Alerts)
	d.Alerts[0].Sources = append(slices.Clone(d.Alerts[0].Sources), "Globe")
	return d
}

// A story that gains an outlet while its alert is being sent, in cluster
// mode, as storage's TestAStoryUpdateMeetingItsSendBecomesAnEdit in bbolt:
// the update (from another process) replaces the queued entry mid-send, or
// reaches the outbox after the send was logged. Either way the chat's
// message is edited, once, and nothing is sent twice; an alert sent in a
// digest (no message to edit), a dropped one, or an update that names no
// new outlet leaves nothing queued.
// (A subtest of TestOutboxOnThreeServers, on its cluster.)
func testStoryUpdateMeetingItsSend(t *testing.T, c *natstest.Cluster) {
	sender, planner := openAs(t, c, "sender", "upd"), openAs(t, c, "planner", "upd")
	same := func(d alerts.Delivery) alerts.Delivery { return d }
	const (
		duringSend = iota // the update replaces the entry before CompleteAll
		afterLog          // the update arrives once the send is logged
		afterDrop         // the alert was given up, then the update arrives
		replay            // CompleteAll of duringSend again, after a crash that left its edit and the entry
	)
	for i, tc := range []struct {
		name     string
		msgID    string
		update   func(alerts.Delivery) alerts.Delivery
		when     int
		wantEdit bool
	}{
		{"replaced while sending", "m1", grown, duringSend, true},
		{"enqueued once logged", "m1", grown, afterLog, true},
		{"in a digest", "", grown, duringSend, false},
		{"in a digest, enqueued once logged", "", grown, afterLog, false},
		{"no new outlet", "m1", same, duringSend, false},
		{"no new outlet, enqueued once logged", "m1", same, afterLog, false},
		{"dropped", "m1", grown, afterDrop, false},
		{"replayed after a crash part-way", "m1", grown, replay, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := alerts.TargetID("telegram:" + strconv.Itoa(100+i))
			first := delivery(tg, "s1", time.Time{})
			first.Alerts[0].Sources = []string{"Wire"}
			if err := planner.Enqueue(first); err != nil {
				t.Fatal(err)
			}
			due, _, err := sender.Due(tg, time.Now(), 10)
			if err != nil || len(due) != 1 {
				t.Fatalf("due %+v, %v; want the alert", due, err)
			}
			a := due[0].Alerts[0] // what the sender read and sent
			rec := alerts.Sent{Key: a.Key(), Target: tg, Story: a.Story, MessageID: tc.msgID, At: time.Now(), Sources: a.Sources, Alert: a}
			switch tc.when {
			case replay:
				e, _ := alerts.EditOfSent(rec, tc.update(first))
				if err := sender.Enqueue(e); err != nil {
					t.Fatal(err)
				}
				fallthrough
			case duringSend:
				if err := planner.Enqueue(tc.update(first)); err != nil {
					t.Fatal(err)
				}
				fallthrough
			case afterLog:
				if err := sender.CompleteAll([]alerts.Delivery{first}, []alerts.Sent{rec}); err != nil {
					t.Fatal(err)
				}
			case afterDrop:
				if err := sender.Drop(first, "chat is gone"); err != nil {
					t.Fatal(err)
				}
			}
			if tc.when == afterLog || tc.when == afterDrop {
				// Twice, as a replayed commit would: one edit at most.
				for range 2 {
					if err := planner.Enqueue(tc.update(first)); err != nil {
						t.Fatal(err)
					}
				}
			}

			q, err := sender.Queued(tg)
			if err != nil {
				t.Fatal(err)
			}
			h, err := sender.Head(tg)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.wantEdit {
				if len(q) != 0 || h.Count != 0 {
					t.Fatalf("outbox holds %+v (head counts %d), want nothing", q, h.Count)
				}
				return
			}
			if len(q) != 1 || h.Count != 1 {
				t.Fatalf("outbox holds %d entries (head counts %d), want the one edit: %+v", len(q), h.Count, q)
			}
			checkEdit(t, q[0], rec)
			due, _, err = sender.Due(tg, time.Now(), 10)
			if err != nil || len(due) != 1 || due[0].ID != q[0].ID {
				t.Errorf("due %+v, %v; want the edit", due, err)
			}
			if got, err := planner.Sent(rec.Target, rec.Key); err != nil || got.MessageID != "m1" {
				t.Errorf("the log entry: %+v, %v", got, err)
			}
		})
	}
}

// checkEdit checks that e edits the message rec logged, with the update's
// sources, showing the article the chat was alerted about.
func checkEdit(t *testing.T, e alerts.Delivery, rec alerts.Sent) {
	t.Helper()
	if e.Kind != alerts.DeliverEdit || e.ID != rec.Key+":edit" || e.MessageID != rec.MessageID || e.Target != rec.Target ||
		!slices.Equal(e.Alerts[0].Sources, []string{"Wire", "Globe"}) || e.Alerts[0].Article.Title != rec.Alert.Article.Title {
		t.Errorf("the edit: %+v", e)
	}
}

// The update and the send's completion at the same moment, from two
// processes, many times over: whichever way their reads and writes
// interleave (the update replacing the entry between CompleteAll's read
// and its removal, or created again just after the removal), each chat
// ends with its message's edit queued and nothing else.
func testStoryUpdateRacingItsSend(t *testing.T, c *natstest.Cluster) {
	if testing.Short() {
		t.Skip("randomized")
	}
	sender, planner := openAs(t, c, "sender", "race"), openAs(t, c, "planner", "race")
	const chats = 40
	var firsts []alerts.Delivery
	for i := range chats {
		d := delivery(alerts.TargetID("telegram:"+strconv.Itoa(300+i)), "s1", time.Time{})
		d.Alerts[0].Sources = []string{"Wire"}
		firsts = append(firsts, d)
	}
	if err := planner.Enqueue(firsts...); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	recs := make([]alerts.Sent, chats)
	for i, first := range firsts {
		due, _, err := sender.Due(first.Target, time.Now(), 10)
		if err != nil || len(due) != 1 {
			t.Fatalf("due %+v, %v; want the alert", due, err)
		}
		a := due[0].Alerts[0]
		recs[i] = alerts.Sent{Key: a.Key(), Target: first.Target, Story: a.Story, MessageID: "m" + strconv.Itoa(i), At: time.Now(), Sources: a.Sources, Alert: a}
		wg.Go(func() {
			if err := planner.Enqueue(grown(first)); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if err := sender.CompleteAll([]alerts.Delivery{first}, []alerts.Sent{recs[i]}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, first := range firsts {
		q, err := sender.Queued(first.Target)
		if err != nil || len(q) != 1 {
			t.Fatalf("chat %d: outbox holds %+v, %v; want the one edit", i, q, err)
		}
		checkEdit(t, q[0], recs[i])
	}
}
