package bot_test

import (
	"bytes"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage"
)

// dropFails is a store whose Drop fails a number of times, like a full
// disk.
type dropFails struct {
	*storage.DB
	mu    sync.Mutex
	fails int
}

func (s *dropFails) Drop(dl alerts.Delivery, reason string) error {
	s.mu.Lock()
	fail := s.fails > 0
	if fail {
		s.fails--
	}
	s.mu.Unlock()
	if fail {
		return errors.New("write outbox: no space left on device")
	}
	return s.DB.Drop(dl, reason)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A delivery the store cannot drop is not forgotten: the failure is
// logged, the entry stays queued, and it is dropped (and logged as given
// up) once the store works again.
func TestADropTheStoreRefusesIsLoggedAndTriedAgain(t *testing.T) {
	logs := &syncBuffer{}
	var store *dropFails
	e := newEnv(t, func(o *bot.Options) {
		store = &dropFails{DB: o.Store.(*storage.DB), fails: 1}
		o.Store = store
		o.Log = slog.New(slog.NewTextHandler(logs, nil))
	})
	e.cmd(dm, "/subscribe ceasefire")
	e.sender.fail = func(alerts.Target, int) error {
		return errors.Join(alerts.ErrUnreachable, errors.New("bot was blocked by the user"))
	}
	a := article("Ceasefire", "ceasefire")
	e.ingest(a)
	e.drain()
	if !strings.Contains(logs.String(), "Outbox entry not dropped") || !strings.Contains(logs.String(), "no space left") {
		t.Fatalf("the refused drop was not logged:\n%s", logs)
	}
	if n := e.pending(); n != 1 {
		t.Fatalf("outbox holds %d after a refused drop, want the entry kept", n)
	}
	e.clock.Add(time.Hour) // past the retry's backoff
	e.drain()
	if n := e.pending(); n != 0 {
		t.Fatalf("outbox holds %d once the store works again, want the entry dropped", n)
	}
	s, err := e.db.Sent(dm.ID, alerts.DeliveryKey(dm.ID, a.ID))
	if err != nil || s.Dropped == "" {
		t.Fatalf("the delivery log should say the alert was given up: %+v, %v", s, err)
	}
	if n := len(e.sender.sent()); n != 0 {
		t.Fatalf("%d messages reached a chat that blocked the bot", n)
	}
}

// An alert is timed from when its article arrived (an adapter stamps
// Ingested), not from when the pipeline got to it, in buckets that tell
// 30 ms from 50 ms.
func TestIngestToSendIsTimedFromArrival(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, func(o *bot.Options) { o.Metrics = bot.NewMetrics(reg) })
	e.cmd(dm, "/subscribe ceasefire")
	a := article("Ceasefire", "ceasefire")
	a.Ingested = e.clock.Now().Add(-40 * time.Millisecond) // it waited behind other articles
	e.ingest(a)
	e.drain()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "herald_ingest_to_send_seconds" {
			continue
		}
		// Every platform's series exists from the start; the alert is
		// the chat's platform's.
		var h *dto.Histogram
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "platform" && l.GetValue() == string(dm.ID.Platform()) {
					h = m.GetHistogram()
				}
			}
		}
		if h.GetSampleCount() != 1 || h.GetSampleSum() < 0.039 || h.GetSampleSum() > 0.041 {
			t.Fatalf("observed %d alerts, %.3f s in all; want one of 0.040 s", h.GetSampleCount(), h.GetSampleSum())
		}
		for _, b := range h.GetBucket() {
			if b.GetUpperBound() == 0.03 && b.GetCumulativeCount() != 0 || b.GetUpperBound() == 0.05 && b.GetCumulativeCount() != 1 {
				t.Errorf("bucket le=%g holds %d", b.GetUpperBound(), b.GetCumulativeCount())
			}
		}
		return
	}
	t.Fatal("herald_ingest_to_send_seconds not registered")
}

// Every article ingested is timed in each stage; one the store had seen
// never waits for a commit; and the commits account for every article
// they stored.
func TestIngestStagesAndCommitsAreMeasured(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, func(o *bot.Options) { o.Metrics = bot.NewMetrics(reg) })
	e.cmd(dm, "/subscribe ceasefire")
	first := article("Ceasefire holds", "ceasefire")
	for _, a := range []alerts.Article{first, article("Talks resume", "talks"), first} {
		e.ingest(a)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	var stored float64
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			switch mf.GetName() {
			case "herald_ingest_stage_seconds":
				got[m.GetLabel()[0].GetValue()] = h.GetSampleCount()
			case "herald_ingest_commit_articles":
				stored, got["commits"] = h.GetSampleSum(), h.GetSampleCount()
			case "herald_ingest_commit_seconds":
				got["commit times"] = h.GetSampleCount()
			}
		}
	}
	want := map[string]uint64{"prepare": 3, "turn": 3, "order": 3, "commit": 2, "commits": got["commits"], "commit times": got["commits"]}
	if !reflect.DeepEqual(got, want) || stored != 2 || got["commits"] < 1 {
		t.Errorf("observed %v with %v articles committed; want %v with 2", got, stored, want)
	}
}

// countingReads counts the deliveries the scheduler reads from the outbox.
type countingReads struct {
	*storage.DB
	mu   sync.Mutex
	read int
}

func (c *countingReads) Due(t alerts.TargetID, now time.Time, limit int) ([]alerts.Delivery, alerts.QueueHead, error) {
	ds, h, err := c.DB.Due(t, now, limit)
	c.mu.Lock()
	c.read += len(ds)
	c.mu.Unlock()
	return ds, h, err
}

// A chat with a backlog gets its catch-up digests without its backlog
// being read: each turn reads one digest's worth of deliveries.
func TestABacklogIsReadADigestAtATime(t *testing.T) {
	var store *countingReads
	e := newEnv(t, func(o *bot.Options) {
		store = &countingReads{DB: o.Store.(*storage.DB)}
		o.Store = store
	})
	e.cmd(channel, "/subscribe ceasefire")
	for i := range 200 {
		e.ingest(article("Ceasefire "+itoa(i), "ceasefire"))
	}
	e.drain()
	got := e.sender.sent()
	total := 0
	for _, s := range got {
		total += len(s.msg.Alerts)
	}
	if total != 200 || len(got) != 10 {
		t.Fatalf("%d alerts in %d messages, want all 200 in 10 digests of 20", total, len(got))
	}
	if store.read != 200 {
		t.Errorf("the scheduler read %d deliveries to send 200", store.read)
	}
}
