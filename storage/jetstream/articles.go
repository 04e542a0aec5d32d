package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-news/herald/alerts"
)

// articleBodyCap bounds the stored body of an article (for /test).
const articleBodyCap = 16 << 10

// articleKey is where an article is stored: written first by Commit,
// since the outbox entries refer to it, and so not proof of a commit.
func articleKey(id string) string { return "a." + enc(id) }

// articleKeys are the keys that make a committed article seen: its ID, GUID,
// canonical URL and content hash, each naming the article's ID. Commit
// writes them last.
func articleKeys(a *alerts.Article) []string {
	var out []string
	for _, k := range []string{"i:" + a.ID, alerts.GUIDKey(a), "u:" + a.URL, "h:" + a.ContentHash} {
		if len(k) > 2 {
			out = append(out, "k."+hashKey(k))
		}
	}
	return out
}

// Seen reports whether the article, or one with the same GUID, canonical
// URL or content hash, was committed before, by any process.
func (s *Store) Seen(a *alerts.Article) (alerts.Article, bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var prev alerts.Article
	// The keys are read side by side (most articles are new: all miss),
	// and looked at in their order.
	ks := articleKeys(a)
	ids := make([]string, len(ks))
	err := parallel(len(ks), func(i int) error {
		e, err := s.articles.Get(ctx, ks[i])
		if isMissing(err) {
			return nil
		}
		if err == nil {
			ids[i] = string(e.Value())
		}
		return err
	})
	if err != nil {
		return prev, false, fmt.Errorf("seen: %w", err)
	}
	for _, id := range ids {
		if id == "" {
			continue
		}
		_, err = getJSON(ctx, s.articles, articleKey(id), &prev)
		if errors.Is(err, alerts.ErrNotFound) {
			continue // expired: forgotten
		}
		if err != nil {
			return prev, false, fmt.Errorf("seen: %w", err)
		}
		return prev, true, nil
	}
	return alerts.Article{}, false, nil
}

// GetArticle returns a stored article.
func (s *Store) GetArticle(id string) (alerts.Article, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var a alerts.Article
	if _, err := getJSON(ctx, s.articles, articleKey(id), &a); err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return a, notFound("article", id)
		}
		return a, err
	}
	return a, nil
}

// GetStory returns a stored story.
func (s *Store) GetStory(id string) (alerts.Story, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var st alerts.Story
	if _, err := getJSON(ctx, s.stories, enc(id), &st); err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return st, notFound("story", id)
		}
		return st, err
	}
	return st, nil
}

func capBody(a alerts.Article) alerts.Article {
	if len(a.Body) > articleBodyCap {
		cut := articleBodyCap
		for cut > 0 && !utf8.RuneStart(a.Body[cut]) {
			cut--
		}
		a.Body = a.Body[:cut]
	}
	return a
}

// Commit records an article, its story and its planned deliveries, in
// the order bot.Articles.Commit asks of a store without transactions: the
// article's record (which the deliveries refer to, and which Seen does not
// look at), the deliveries, the story (merged with what another process
// wrote meanwhile), and last the keys that make the article seen. Then the
// article goes on the articles stream for the other processes' story
// windows. A crash part-way is replayed by the article's next ingest.
func (s *Store) Commit(a alerts.Article, st alerts.Story, planned []alerts.Delivery) error {
	if a.ID == "" {
		return errors.New("commit article: empty ID")
	}
	ctx, cancel := s.ctx()
	defer cancel()
	var prev alerts.Article
	_, err := getJSON(ctx, s.articles, articleKey(a.ID), &prev)
	isNew := errors.Is(err, alerts.ErrNotFound)
	switch {
	case err == nil:
		a.Ingested = prev.Ingested
	case isNew:
		if a.Ingested.IsZero() {
			a.Ingested = time.Now()
		}
	default:
		return fmt.Errorf("commit article %s: %w", a.ID, err)
	}
	a = capBody(a)
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if _, err := s.articles.Put(ctx, articleKey(a.ID), raw); err != nil {
		return fmt.Errorf("commit article %s: %w", a.ID, err)
	}
	if err := s.enqueue(s.refs(a.ID), planned); err != nil {
		return fmt.Errorf("commit article %s: %w", a.ID, err)
	}
	if st.ID != "" {
		if err := s.mergeStory(ctx, st); err != nil {
			return fmt.Errorf("commit article %s: story: %w", a.ID, err)
		}
	}
	ks := articleKeys(&a)
	err = parallel(len(ks), func(i int) error {
		// A key claimed by an earlier article keeps pointing there.
		if _, err := s.articles.Create(ctx, ks[i], []byte(a.ID)); err != nil && !conflict(err) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("commit article %s: %w", a.ID, err)
	}
	msg := &nats.Msg{Subject: s.opts.Prefix + ".articles." + enc(a.ID), Data: raw, Header: nats.Header{}}
	msg.Header.Set(originHeader, s.opts.Name)
	opts := []jetstream.PublishOpt{}
	if isNew {
		opts = append(opts, jetstream.WithMsgID(a.ID))
	}
	if _, err := s.js.PublishMsg(ctx, msg, opts...); err != nil {
		// The article is stored and deduplicated; only the other
		// processes' story windows miss it.
		s.log.Warn("Article not announced to the other processes", "id", a.ID, "err", err)
	}
	return nil
}

// CommitAll commits each of cs as Commit does, one after another in the
// order given. Key-value writes have no transaction to share, so there is
// no flush to save by writing them together; only the order matters (a
// later article of a story replaces the story and the queued alerts the
// earlier one wrote).
func (s *Store) CommitAll(cs []alerts.ArticleCommit) []error {
	errs := make([]error, len(cs))
	for i, c := range cs {
		errs[i] = s.Commit(c.Article, c.Story, c.Planned)
	}
	return errs
}

// mergeStory stores a story, keeping what another process stored under
// its ID meanwhile (two reports of one event committed at once by two
// processes): the sources of both, the first article and creation of the
// first, the latest update.
func (s *Store) mergeStory(ctx context.Context, st alerts.Story) error {
	key := enc(st.ID)
	if _, err := updateJSON(ctx, s.stories, key, st, 0); err == nil || !conflict(err) {
		return err // a new story (most are), or a failure
	}
	for range 50 {
		var cur alerts.Story
		rev, err := getJSON(ctx, s.stories, key, &cur)
		if err != nil && !errors.Is(err, alerts.ErrNotFound) {
			return err
		}
		w := st
		if rev != 0 {
			w = cur
			have := map[string]bool{}
			for _, src := range cur.Sources {
				have[strings.ToLower(src)] = true
			}
			for _, src := range st.Sources {
				if !have[strings.ToLower(src)] {
					have[strings.ToLower(src)] = true
					w.Sources = append(w.Sources, src)
				}
			}
			if st.Updated.After(w.Updated) {
				w.Updated = st.Updated
			}
		}
		if _, err := updateJSON(ctx, s.stories, key, w, rev); conflict(err) {
			continue
		} else if err != nil {
			return err
		}
		return nil
	}
	return errors.New("too much contention")
}

// originHeader names the process that committed an article.
const originHeader = "Herald-Origin"

// RecentArticles returns up to n of the most recently committed articles,
// newest first, from the articles stream.
func (s *Store) RecentArticles(n int) ([]alerts.Article, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	st, err := s.js.Stream(ctx, s.articleStream)
	if err != nil {
		return nil, fmt.Errorf("recent articles: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("recent articles: %w", err)
	}
	var out []alerts.Article
	seen := map[string]bool{}
	for seq := info.State.LastSeq; seq >= info.State.FirstSeq && seq > 0 && len(out) < n; seq-- {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("recent articles: %w", err)
		}
		var a alerts.Article
		if json.Unmarshal(m.Data, &a) != nil || seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		out = append(out, a)
	}
	return out, nil
}

// FollowArticles calls fn with the batches of articles other processes
// commit from since on, until ctx ends: what this process's story window
// must learn so that a report reaching another process joins the story.
// Articles arriving together are handed over together, every few
// milliseconds.
func (s *Store) FollowArticles(ctx context.Context, since time.Time, fn func([]alerts.Article)) error {
	cons, err := s.js.OrderedConsumer(ctx, s.articleStream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &since,
	})
	if err != nil {
		return fmt.Errorf("follow articles: %w", err)
	}
	var mu sync.Mutex
	var buf []alerts.Article
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if md, err := m.Metadata(); err == nil {
			s.articlesLag.Store(md.NumPending)
		}
		if m.Headers().Get(originHeader) == s.opts.Name {
			return
		}
		var a alerts.Article
		if json.Unmarshal(m.Data(), &a) == nil {
			mu.Lock()
			buf = append(buf, a)
			mu.Unlock()
		}
	})
	if err != nil {
		return fmt.Errorf("follow articles: %w", err)
	}
	defer cc.Stop()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		mu.Lock()
		arts := buf
		buf = nil
		mu.Unlock()
		if len(arts) > 0 {
			fn(arts)
		}
	}
}

// Prune has nothing to do: articles, stories, the log and buttons expire
// by their buckets' age limit, which is the retention.
func (s *Store) Prune(before time.Time) (int, error) { return 0, nil }

// ArticlesLag is how many committed articles this process's story window
// has yet to take in (the articles consumer's pending count).
func (s *Store) ArticlesLag() uint64 { return s.articlesLag.Load() }

// SubscriptionsLag is how many subscription changes the watch had yet to
// deliver when it last delivered one.
func (s *Store) SubscriptionsLag() uint64 { return s.subsLag.Load() }
