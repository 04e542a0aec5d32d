// Package bottest has the pieces the delivery benchmarks are built of, for
// the bot's own benchmarks and for a whole-pipeline benchmark around the
// real binary's parts: a fake platform that times every alert it receives
// (Sender), a generator of outbox backlogs (Backlog), and the process's
// memory as the operating system counts it (RSS).
package bottest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// Sender is a fake platform: it answers every send at once (after Delay)
// and records, for each alert it receives, how long ago its article
// arrived (Article.Ingested). Safe for concurrent use.
type Sender struct {
	// Name is the platform it stands for.
	Name alerts.Platform
	// Delay is the platform's answer time.
	Delay time.Duration

	mu        sync.Mutex
	messages  int
	alerts    int
	latencies []time.Duration
	first     time.Time
	last      time.Time
}

var _ bot.Sender = (*Sender)(nil)

// Platform is Name.
func (s *Sender) Platform() alerts.Platform { return s.Name }

// Send records a message and its alerts' latencies.
func (s *Sender) Send(ctx context.Context, _ alerts.Target, m bot.Message) (string, error) {
	if s.Delay > 0 {
		t := time.NewTimer(s.Delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		case <-t.C:
		}
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.messages == 0 {
		s.first = now
	}
	s.messages++
	s.last = now
	for _, a := range m.Alerts {
		s.alerts++
		if !a.Article.Ingested.IsZero() {
			s.latencies = append(s.latencies, now.Sub(a.Article.Ingested))
		}
	}
	return strconv.Itoa(s.messages), nil
}

// Edit answers at once.
func (s *Sender) Edit(context.Context, alerts.Target, string, bot.Message) error { return nil }

// Counts returns the messages and alerts received so far.
func (s *Sender) Counts() (messages, alerts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messages, s.alerts
}

// Rate is the alerts received per second between the first message and
// the last.
func (s *Sender) Rate() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.last.Sub(s.first).Seconds(); d > 0 {
		return float64(s.alerts) / d
	}
	return 0
}

// Latencies returns the arrival-to-send time of every alert received, in
// order.
func (s *Sender) Latencies() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.latencies)
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// BacklogStore is what Backlog writes through.
type BacklogStore interface {
	PutTarget(t alerts.Target) error
	AddSubscription(s alerts.Subscription) (alerts.Subscription, error)
	Commit(a alerts.Article, s alerts.Story, planned []alerts.Delivery) error
}

// Backlog fills a store with articles × len(targets) queued alerts: each
// target (created active, as a DM, with a subscription to query) has one
// alert for each article, as ingest would have planned it. The bot must
// Load afterwards, so the subscriptions count when the alerts are checked
// again before sending. It returns the targets.
func Backlog(st BacklogStore, platform alerts.Platform, targets, articles int, query string, now time.Time) ([]alerts.TargetID, error) {
	ids := make([]alerts.TargetID, targets)
	subs := make([]alerts.Subscription, targets)
	for i := range targets {
		ids[i] = alerts.NewTargetID(platform, fmt.Sprintf("backlog%d", i))
		if err := st.PutTarget(alerts.Target{ID: ids[i], Kind: alerts.KindDM, Active: true, Created: now}); err != nil {
			return nil, err
		}
		s, err := st.AddSubscription(alerts.Subscription{Target: ids[i], Query: query, Created: now})
		if err != nil {
			return nil, err
		}
		subs[i] = s
	}
	summary := strings.Repeat("What happened, in a few sentences, as the alert shows it. ", 5)
	for n := range articles {
		a := alerts.Article{ID: fmt.Sprintf("backlog-article-%d", n), URL: fmt.Sprintf("https://news.example/backlog/%d", n),
			Title: fmt.Sprintf("Backlog story %d: %s", n, query), Summary: summary, Source: "Backlog Wire",
			Ingested: now, ContentHash: fmt.Sprintf("backlog-%d", n), StoryID: fmt.Sprintf("backlog-story-%d", n)}
		story := alerts.Story{ID: a.StoryID, FirstArticle: a.ID, Title: a.Title, Sources: []string{a.Source}, Created: now, Updated: now}
		shown := a
		shown.Body = ""
		planned := make([]alerts.Delivery, 0, targets)
		for i, id := range ids {
			al := alerts.Alert{Target: id, Story: story.ID, Article: shown, Sources: story.Sources,
				Matches: []alerts.Match{{Sub: subs[i].ID, Query: query, Terms: []alerts.TermHit{{Term: query, Matched: query, Field: alerts.FieldTitle}}}}}
			planned = append(planned, alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: id, Alerts: []alerts.Alert{al}, Created: now})
		}
		if err := st.Commit(a, story, planned); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// RSS returns the process's resident memory in bytes (Linux; 0 elsewhere).
func RSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
