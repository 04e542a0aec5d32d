package storage

import (
	"slices"
	"testing"

	"github.com/herald-news/herald/alerts"
)

// A story that gains an outlet while its alert is being sent: the update
// replaces the queued entry mid-send (CompleteAll then finds it changed),
// or reaches the outbox after the send was logged (Enqueue finds the
// alert sent). Either way the chat's message is edited, once; nothing is
// sent twice, and a digest's alert (no message to edit) or an update that
// names no new outlet leaves nothing.
func TestAStoryUpdateMeetingItsSendBecomesAnEdit(t *testing.T) {
	grown := func(d alerts.Delivery) alerts.Delivery {
		d.Alerts = slices.Clone(d.Alerts)
		d.Alerts[0].Sources = append(slices.Clone(d.Alerts[0].Sources), "Globe")
		return d
	}
	for _, tc := range []struct {
		name     string
		msgID    string
		update   func(alerts.Delivery) alerts.Delivery
		afterLog bool // the update arrives after the send was logged
		wantEdit bool
	}{
		{"replaced while sending", "m1", grown, false, true},
		{"enqueued once logged", "m1", grown, true, true},
		{"in a digest", "", grown, false, false},
		{"no new outlet", "m1", func(d alerts.Delivery) alerts.Delivery { return d }, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := openTest(t)
			first := alertDelivery(tgA, "s1")
			if err := d.Enqueue(first); err != nil {
				t.Fatal(err)
			}
			sent := sentFor(first, tc.msgID, t0) // what the sender read and sent
			if !tc.afterLog {
				if err := d.Enqueue(tc.update(first)); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.CompleteAll([]alerts.Delivery{first}, []alerts.Sent{sent}); err != nil {
				t.Fatal(err)
			}
			if tc.afterLog {
				if err := d.Enqueue(tc.update(first)); err != nil {
					t.Fatal(err)
				}
			}
			ds, err := d.Pending(10)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.wantEdit {
				if len(ds) != 0 {
					t.Fatalf("outbox holds %+v, want nothing", ds)
				}
				return
			}
			if len(ds) != 1 {
				t.Fatalf("outbox holds %d entries, want the one edit", len(ds))
			}
			e := ds[0]
			if e.Kind != alerts.DeliverEdit || e.ID != sent.Key+":edit" || e.MessageID != "m1" || e.Target != tgA ||
				!slices.Equal(e.Alerts[0].Sources, grown(first).Alerts[0].Sources) || e.Alerts[0].Article.ID != sent.Alert.Article.ID {
				t.Errorf("the edit: %+v", e)
			}
			if got, err := d.Sent(sent.Target, sent.Key); err != nil || got.MessageID != "m1" {
				t.Errorf("the log entry: %+v, %v", got, err)
			}
		})
	}
}
