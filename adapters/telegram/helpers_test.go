package telegram

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/telegram/telegramtest"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// wait is how long a test waits for something that should happen at once;
// generous because the machine is shared.
const wait = 20 * time.Second

var (
	alice = telegramtest.User{ID: 42, FirstName: "Alice", UserName: "alice"}
	bob   = telegramtest.User{ID: 43, FirstName: "Bob"}
	group = telegramtest.Chat{ID: -1001, Type: "supergroup", Title: "Analysts"}
	chan1 = telegramtest.Chat{ID: -1002, Type: "channel", Title: "Ceasefire watch"}
)

// memStore is an in-memory Store.
type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemStore() *memStore { return &memStore{m: map[string][]byte{}} }

func (s *memStore) GetMeta(k string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	if !ok {
		return nil, fmt.Errorf("meta %s: %w", k, alerts.ErrNotFound)
	}
	return append([]byte(nil), v...), nil
}

func (s *memStore) PutMeta(k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = append([]byte(nil), v...)
	return nil
}

// recorder is a Handler that records what it gets and answers with reply.
type recorder struct {
	mu       sync.Mutex
	changed  chan struct{}
	cmds     []bot.Command
	gone     map[alerts.TargetID]string
	back     []alerts.TargetID
	migrated [][2]alerts.TargetID
	reply    func(bot.Command) bot.Reply
	// after runs after each command (outside the lock).
	after func(bot.Command)
	// turns counts ReplyTurn calls.
	turns int
	// pace, when set, answers ReplyTurn.
	pace func(context.Context, alerts.Target) (func(), error)
}

func newRecorder() *recorder {
	return &recorder{changed: make(chan struct{}), gone: map[alerts.TargetID]string{}}
}

func (r *recorder) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) HandleCommand(ctx context.Context, c bot.Command) bot.Reply {
	r.mu.Lock()
	r.cmds = append(r.cmds, c)
	reply := r.reply
	after := r.after
	r.notify()
	r.mu.Unlock()
	if after != nil {
		defer after(c)
	}
	if reply != nil {
		return reply(c)
	}
	return bot.Reply{Text: "ok: " + c.Text + c.Button}
}

func (r *recorder) TargetGone(ctx context.Context, id alerts.TargetID, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gone[id] = reason
	r.notify()
	return nil
}

func (r *recorder) TargetBack(ctx context.Context, id alerts.TargetID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.back = append(r.back, id)
	r.notify()
	return nil
}

func (r *recorder) TargetMigrated(ctx context.Context, from, to alerts.TargetID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.migrated = append(r.migrated, [2]alerts.TargetID{from, to})
	r.notify()
	return nil
}

// ReplyTurn counts the turns replies asked for; none waits unless pace
// is set.
func (r *recorder) ReplyTurn(ctx context.Context, t alerts.Target) (func(), error) {
	r.mu.Lock()
	r.turns++
	pace := r.pace
	r.mu.Unlock()
	if pace != nil {
		return pace(ctx, t)
	}
	return func() {}, nil
}

// waitFor waits until cond (called with the lock held) holds.
func (r *recorder) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(wait)
	for {
		r.mu.Lock()
		ok := cond()
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (r *recorder) waitCommands(t *testing.T, n int) []bot.Command {
	t.Helper()
	r.waitFor(t, fmt.Sprintf("%d commands", n), func() bool { return len(r.cmds) >= n })
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Command(nil), r.cmds...)
}

func testOptions(srv *telegramtest.Server, h bot.Handler, st Store) Options {
	return Options{
		Token:       telegramtest.Token,
		APIBase:     srv.URL,
		PollTimeout: 5 * time.Second,
		Handler:     h,
		Store:       st,
		RetryDelay:  10 * time.Millisecond,
		Log:         slog.New(slog.DiscardHandler),
	}
}

// running is an adapter whose Run goroutine the test controls.
type running struct {
	*Adapter
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error
}

// stop cancels Run and waits for it to return.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("Run: %v", r.err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel")
	}
}

func start(t *testing.T, opts Options) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(opts)
	if err != nil {
		cancel()
		t.Fatalf("New: %v", err)
	}
	r := &running{Adapter: a, cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = a.Run(ctx)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	waitUntil(t, "ready", a.Ready)
	return r
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
