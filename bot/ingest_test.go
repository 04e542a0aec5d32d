package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// gatedStore holds each CommitAll until the test lets it go on (with an
// error to fail it, or nil), and tells the test which articles asked to
// be seen.
type gatedStore struct {
	bot.Store
	entered chan []alerts.ArticleCommit
	proceed chan error
	mu      sync.Mutex
	seen    map[string]chan struct{} // closed when Seen is asked about the ID
}

func newGatedStore(s bot.Store) *gatedStore {
	return &gatedStore{Store: s, entered: make(chan []alerts.ArticleCommit), proceed: make(chan error), seen: map[string]chan struct{}{}}
}

func (g *gatedStore) CommitAll(cs []alerts.ArticleCommit) []error {
	g.entered <- cs
	if err := <-g.proceed; err != nil {
		errs := make([]error, len(cs))
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	return g.Store.CommitAll(cs)
}

func (g *gatedStore) Seen(a *alerts.Article) (alerts.Article, bool, error) {
	ch := g.asked(a.ID)
	g.mu.Lock()
	select {
	case <-ch:
	default:
		close(ch)
	}
	g.mu.Unlock()
	return g.Store.Seen(a)
}

// asked returns the channel closed once Seen is asked about id.
func (g *gatedStore) asked(id string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	ch, ok := g.seen[id]
	if !ok {
		ch = make(chan struct{})
		g.seen[id] = ch
	}
	return ch
}

// waitAsked returns once Seen was asked about id: its Ingest has its
// place in line.
func (g *gatedStore) waitAsked(id string) { <-g.asked(id) }

// gatedEnv is an env whose commits wait for the test. The commit of a
// first article passes, so that copies of it are duplicates at once.
func gatedEnv(t *testing.T) (*env, *gatedStore, alerts.Article) {
	var g *gatedStore
	e := newEnv(t, func(o *bot.Options) { g = newGatedStore(o.Store); o.Store = g })
	e.cmd(dm, "/subscribe ceasefire")
	stored := article("Ceasefire holds", "the ceasefire holds")
	done := goIngest(e, stored)
	<-g.entered
	g.proceed <- nil
	<-done
	return e, g, stored
}

type ingested struct {
	id  string
	res bot.IngestResult
	err error
}

func goIngest(e *env, a alerts.Article) chan ingested {
	ch := make(chan ingested, 1)
	go func() {
		id, res, err := e.bot.Ingest(context.Background(), a)
		ch <- ingested{id, res, err}
	}()
	return ch
}

func TestAnArticleIsAcknowledgedOnlyOnceStored(t *testing.T) {
	e, g, _ := gatedEnv(t)
	a := article("Ceasefire agreed", "a ceasefire was agreed")
	first := goIngest(e, a)
	<-g.entered
	copyOf := goIngest(e, a) // pushed again while the first is being written
	select {
	case r := <-first:
		t.Fatalf("Ingest returned %+v before its commit was written", r)
	default:
	}
	if _, seen, _ := e.db.Seen(&a); seen {
		t.Fatal("the article is stored before its commit")
	}
	g.proceed <- nil
	if r := <-first; r.err != nil || r.res != bot.Ingested {
		t.Fatalf("first push: %+v, want Ingested", r)
	}
	if r := <-copyOf; r.err != nil || r.res != bot.Duplicate || r.id != a.ID {
		t.Fatalf("second push: %+v, want Duplicate of %s", r, a.ID)
	}
	e.drain()
	if n := len(e.sender.sent()); n != 2 {
		t.Fatalf("got %d alerts, want 2 (the first article's and this one's)", n)
	}
}

func TestArticlesArrivingDuringACommitShareTheNext(t *testing.T) {
	e, g, stored := gatedEnv(t)
	first := goIngest(e, article("Ceasefire agreed", "a ceasefire was agreed"))
	<-g.entered
	var rest []chan ingested
	for i := range 20 {
		a := article(fmt.Sprintf("Ceasefire talks, day %d", i), "ceasefire talks go on")
		rest = append(rest, goIngest(e, a))
		g.waitAsked(a.ID) // it has its place in line
	}
	// A copy of a stored article is answered in its turn, which comes
	// after the 20: by then they all wait for the commit.
	if _, res, err := e.bot.Ingest(context.Background(), stored); err != nil || res != bot.Duplicate {
		t.Fatalf("copy of a stored article: %v, %v", res, err)
	}
	g.proceed <- nil
	if batch := <-g.entered; len(batch) != 20 {
		t.Fatalf("the next commit holds %d articles, want the 20 that waited", len(batch))
	}
	g.proceed <- nil
	for _, ch := range append(rest, first) {
		if r := <-ch; r.err != nil || r.res != bot.Ingested {
			t.Fatalf("push: %+v", r)
		}
	}
	e.drain()
	n := 0
	for _, m := range e.sender.sent() {
		n += len(m.msg.Alerts) // 20 to one chat at once go out as a digest
	}
	if n != 22 {
		t.Fatalf("got %d alerts, want 22", n)
	}
}

func TestAFailedCommitLosesNoCopy(t *testing.T) {
	e, g, stored := gatedEnv(t)
	a := article("Ceasefire agreed", "a ceasefire was agreed")
	first := goIngest(e, a)
	<-g.entered
	again := a
	again.ID = "again" // the same URL, pushed again: a copy
	copyOf := goIngest(e, again)
	g.waitAsked(again.ID)
	if _, res, err := e.bot.Ingest(context.Background(), stored); err != nil || res != bot.Duplicate {
		t.Fatalf("copy of a stored article: %v, %v", res, err)
	}
	// The copy now waits for the first, whose commit fails.
	g.proceed <- errors.New("disk full")
	if r := <-first; r.err == nil {
		t.Fatalf("first push: %+v, want the commit's error", r)
	}
	<-g.entered
	g.proceed <- nil
	if r := <-copyOf; r.err != nil || r.res != bot.Ingested || r.id != again.ID {
		t.Fatalf("the copy: %+v, want it Ingested in the first one's place", r)
	}
	e.drain()
	if n := len(e.sender.sent()); n != 2 {
		t.Fatalf("got %d alerts, want 2", n)
	}
}

func TestConcurrentCopiesRaiseOneAlert(t *testing.T) {
	e := newEnv(t)
	e.cmd(dm, "/subscribe ceasefire")
	a := article("Ceasefire agreed", "a ceasefire was agreed")
	var wg sync.WaitGroup
	results := make([]bot.IngestResult, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := a
			c.ID = fmt.Sprint("copy-", i) // found by URL and content hash
			_, res, err := e.bot.Ingest(context.Background(), c)
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		}()
	}
	wg.Wait()
	if n := len(slices.DeleteFunc(results, func(r bot.IngestResult) bool { return r != bot.Ingested })); n != 1 {
		t.Fatalf("%d copies ingested as new, want 1", n)
	}
	e.drain()
	if n := len(e.sender.sent()); n != 1 {
		t.Fatalf("got %d alerts, want 1", n)
	}
}

// orderedStories records the order articles are assigned to stories in.
type orderedStories struct {
	mu  sync.Mutex
	ids []string
}

func (o *orderedStories) Assign(a *alerts.Article) (alerts.Story, bool) {
	o.mu.Lock()
	o.ids = append(o.ids, a.ID)
	o.mu.Unlock()
	return alerts.Story{ID: "s-" + a.ID, FirstArticle: a.ID, Title: a.Title, Sources: []string{a.Source}}, false
}

func TestFeedArticlesKeepTheirOrder(t *testing.T) {
	stories := &orderedStories{}
	e := newEnv(t, func(o *bot.Options) { o.Clusterer = stories })
	e.cmd(dm, "/subscribe ceasefire")
	in := make(chan alerts.Article)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.bot.Run(ctx, in) }()
	var want []string
	for i := range 200 {
		a := article(fmt.Sprintf("Ceasefire report %d", i), "ceasefire")
		want = append(want, a.ID)
		in <- a
	}
	close(in)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stories.ids, want) {
		t.Fatalf("stories assigned in another order than the feed gave the articles:\n%v", stories.ids)
	}
	n := 0
	for _, id := range want {
		a := alerts.Article{ID: id}
		if _, seen, _ := e.db.Seen(&a); seen {
			n++
		}
	}
	if n != len(want) {
		t.Fatalf("%d of %d articles stored when Run returned", n, len(want))
	}
}
