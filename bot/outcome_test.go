package bot_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

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

func (s *dropFails) Drop(id, reason string) error {
	s.mu.Lock()
	fail := s.fails > 0
	if fail {
		s.fails--
	}
	s.mu.Unlock()
	if fail {
		return errors.New("write outbox: no space left on device")
	}
	return s.DB.Drop(id, reason)
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
	s, err := e.db.Sent(alerts.DeliveryKey(dm.ID, a.ID))
	if err != nil || s.Dropped == "" {
		t.Fatalf("the delivery log should say the alert was given up: %+v, %v", s, err)
	}
	if n := len(e.sender.sent()); n != 0 {
		t.Fatalf("%d messages reached a chat that blocked the bot", n)
	}
}
