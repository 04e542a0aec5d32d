package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-news/herald/alerts"
)

// Two reports of one event that reach two processes at nearly the same
// moment must form one story, yet each process assigns stories from its
// own window, which learns the other processes' articles only once they
// are committed. So before a process assigns an article's story it
// announces the article on the intents stream, whose sequence orders every
// process's ingest: the article then waits for each article announced
// before it, by another process, that is not committed yet and that could
// be the same story, and joins that story once it is committed. An article
// waits only for earlier ones (never the other way round), so two
// processes never wait for each other, and an unrelated article never
// waits at all.

// intentsAge is how long announced articles are kept, in the stream and in
// memory: long past any ingest's commit.
const intentsAge = 2 * time.Minute

// intent is an article announced by another process.
type intent struct {
	seq uint64
	art alerts.Article
	at  time.Time
}

// intents follows the intents stream.
type intents struct {
	mu      sync.Mutex
	changed chan struct{}
	last    uint64   // the highest sequence delivered
	recent  []intent // announced by other processes, oldest first
}

func (s *Store) intentSubject(id string) string { return s.opts.Prefix + ".intents." + enc(id) }

// FollowIntents follows the articles other processes announce, from now
// until ctx ends; Announce and Before work once it runs.
func (s *Store) FollowIntents(ctx context.Context) error {
	cons, err := s.js.OrderedConsumer(ctx, s.intentStream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverNewPolicy,
	})
	if err != nil {
		return fmt.Errorf("follow intents: %w", err)
	}
	in := s.intents
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			return
		}
		now := time.Now()
		in.mu.Lock()
		defer in.mu.Unlock()
		in.last = max(in.last, md.Sequence.Stream)
		var a alerts.Article
		if m.Headers().Get(originHeader) != s.opts.Name && json.Unmarshal(m.Data(), &a) == nil {
			in.recent = append(in.recent, intent{seq: md.Sequence.Stream, art: a, at: now})
		}
		for len(in.recent) > 0 && now.Sub(in.recent[0].at) > intentsAge {
			in.recent = in.recent[1:]
		}
		close(in.changed)
		in.changed = make(chan struct{})
	})
	if err != nil {
		return fmt.Errorf("follow intents: %w", err)
	}
	s.following.Store(true)
	<-ctx.Done()
	s.following.Store(false)
	cc.Stop()
	return nil
}

// Announce tells the other processes that this one is about to assign the
// article's story, and returns its place in the deployment's order (0
// when nothing follows the intents stream, or the announcement failed:
// then nothing waits).
func (s *Store) Announce(a alerts.Article) uint64 {
	if !s.following.Load() {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), attemptTimeout)
	defer cancel()
	a = capBody(a)
	raw, err := json.Marshal(a)
	if err != nil {
		return 0
	}
	msg := &nats.Msg{Subject: s.intentSubject(a.ID), Data: raw, Header: nats.Header{}}
	msg.Header.Set(originHeader, s.opts.Name)
	ack, err := s.js.PublishMsg(ctx, msg)
	if err != nil {
		s.log.Warn("Article not announced before its story was assigned", "id", a.ID, "err", err)
		return 0
	}
	return ack.Sequence
}

// Before returns the articles other processes announced before seq, once
// this process has seen every announcement up to it (or after wait).
func (s *Store) Before(seq uint64, wait time.Duration) []alerts.Article {
	if seq == 0 {
		return nil
	}
	in := s.intents
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	in.mu.Lock()
	for in.last < seq {
		ch := in.changed
		in.mu.Unlock()
		select {
		case <-ch:
			in.mu.Lock()
			continue
		case <-deadline.C:
		}
		in.mu.Lock()
		s.log.Warn("Announcements not followed in time; a story may split", "seq", seq, "followed", in.last)
		break
	}
	var out []alerts.Article
	for _, it := range in.recent {
		if it.seq < seq {
			out = append(out, it.art)
		}
	}
	in.mu.Unlock()
	return out
}

// Committed waits up to wait for another process to commit an article,
// and returns it as stored (with its story).
func (s *Store) Committed(id string, wait time.Duration) (alerts.Article, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	probe := alerts.Article{ID: id}
	key := articleKeys(&probe)[0]
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if _, err := s.articles.Get(ctx, key); err == nil {
			var a alerts.Article
			if _, err := getJSON(ctx, s.articles, articleKey(id), &a); err == nil {
				return a, true
			}
		} else if !isMissing(err) && !errors.Is(err, context.DeadlineExceeded) {
			s.log.Warn("Announced article unreadable", "id", id, "err", err)
		}
		select {
		case <-ctx.Done():
			return alerts.Article{}, false
		case <-t.C:
		}
	}
}
