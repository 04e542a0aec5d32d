package bot_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage"
)

// wordQuery is a tiny query language for bot tests: space-separated words,
// all of which must appear (case-insensitive). The real one lives in
// alerts/match; these tests are about what the bot does with matches.
type wordQuery struct{ words []string }

func parseWords(q string) (alerts.Query, error) {
	w := strings.Fields(strings.ToLower(q))
	if len(w) == 0 || strings.Contains(q, "(") {
		return nil, &alerts.QueryError{Column: max(1, strings.Index(q, "(")+1), Msg: `unexpected "("`}
	}
	return wordQuery{w}, nil
}

func (q wordQuery) String() string       { return strings.Join(q.words, " ") }
func (q wordQuery) Expansions() []string { return nil }
func (q wordQuery) Explain(a *alerts.Article) (bool, []alerts.TermHit) {
	text := strings.Fields(strings.ToLower(a.Title + " " + a.Body))
	var hits []alerts.TermHit
	for _, w := range q.words {
		if !slices.Contains(text, w) {
			return false, nil
		}
		hits = append(hits, alerts.TermHit{Term: w, Matched: w, Field: alerts.FieldBody})
	}
	return true, hits
}

// wordMatcher is a brute-force alerts.Matcher over wordQuery.
type wordMatcher struct {
	mu   sync.Mutex
	subs map[uint64]wordQuery
}

func (m *wordMatcher) Add(s alerts.Subscription) error {
	q, err := parseWords(s.Query)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.subs == nil {
		m.subs = map[uint64]wordQuery{}
	}
	m.subs[s.ID] = q.(wordQuery)
	return nil
}

func (m *wordMatcher) Remove(id uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.subs, id)
}

func (m *wordMatcher) Match(a *alerts.Article) []alerts.Hit {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []alerts.Hit
	for id, q := range m.subs {
		if ok, terms := q.Explain(a); ok {
			out = append(out, alerts.Hit{Sub: id, Terms: terms})
		}
	}
	slices.SortFunc(out, func(a, b alerts.Hit) int { return int(a.Sub) - int(b.Sub) })
	return out
}

// sent is one message a fakeSender received.
type sent struct {
	target alerts.TargetID
	msg    bot.Message
	id     string
	edit   bool
}

// fakeSender records messages; fail, if set, decides an error per call.
type fakeSender struct {
	platform alerts.Platform
	mu       sync.Mutex
	msgs     []sent
	n        int
	fail     func(t alerts.Target, call int) error
}

func (f *fakeSender) Platform() alerts.Platform { return f.platform }

func (f *fakeSender) Send(_ context.Context, t alerts.Target, m bot.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.fail != nil {
		if err := f.fail(t, f.n); err != nil {
			return "", err
		}
	}
	id := "m" + strings.Repeat("x", 0) + itoa(f.n)
	f.msgs = append(f.msgs, sent{target: t.ID, msg: m, id: id})
	return id, nil
}

func (f *fakeSender) Edit(_ context.Context, t alerts.Target, id string, m bot.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.fail != nil {
		if err := f.fail(t, f.n); err != nil {
			return err
		}
	}
	f.msgs = append(f.msgs, sent{target: t.ID, msg: m, id: id, edit: true})
	return nil
}

func (f *fakeSender) sent() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.msgs)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a bot on a real bbolt store with a fake sender.
type env struct {
	t      testing.TB
	db     *storage.DB
	path   string
	bot    *bot.Bot
	sender *fakeSender
	clock  *clock
	opts   bot.Options
}

func newEnv(t testing.TB, mod ...func(*bot.Options)) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "herald.db"), sender: &fakeSender{platform: "test"},
		clock: &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}}
	e.open(mod...)
	return e
}

func (e *env) open(mod ...func(*bot.Options)) {
	e.t.Helper()
	db, err := storage.Open(e.path, storage.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	e.db = db
	e.opts = bot.Options{Store: db, Matcher: &wordMatcher{}, Parse: parseWords, Senders: []bot.Sender{e.sender},
		Now: e.clock.Now, Rates: map[alerts.Platform]bot.Rate{"test": {PerSecond: 1e6, Burst: 1000, Workers: 4}}}
	for _, m := range mod {
		m(&e.opts)
	}
	b, err := bot.New(e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := b.Load(); err != nil {
		e.t.Fatal(err)
	}
	e.bot = b
}

func (e *env) reopen(mod ...func(*bot.Options)) {
	e.t.Helper()
	e.db.Close()
	e.open(mod...)
}

var (
	dm      = alerts.Target{ID: "test:dm1", Kind: alerts.KindDM, Title: "Alice"}
	channel = alerts.Target{ID: "test:chan1", Kind: alerts.KindChannel, Title: "#news"}
)

// cmd runs a command as a manager of the target and returns the reply.
func (e *env) cmd(t alerts.Target, text string) string {
	e.t.Helper()
	return e.bot.HandleCommand(context.Background(), bot.Command{Target: t, UserID: "u-" + string(t.ID), CanManage: true, Text: text}).Text
}

var artN int

func article(title, body string) alerts.Article {
	artN++
	return alerts.Article{ID: "a" + itoa(artN) + "-" + title, URL: "https://news.example/" + itoa(artN),
		Title: title, Body: body, Source: "Example News", ContentHash: "h" + itoa(artN)}
}

func (e *env) ingest(a alerts.Article) bot.IngestResult {
	e.t.Helper()
	_, res, err := e.bot.Ingest(context.Background(), a)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *env) drain() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.bot.Drain(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) pending() int {
	e.t.Helper()
	p, err := e.db.Pending(1 << 20)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(p)
}
