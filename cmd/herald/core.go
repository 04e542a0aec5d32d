package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
	"github.com/herald-news/herald/alerts/story"
	"github.com/herald-news/herald/alerts/summary"
	"github.com/herald-news/herald/bot"
)

// core is the pure part of Herald every command shares: names, the
// matcher, the query parser, stories and summaries.
type core struct {
	names     *match.Names
	matcher   alerts.Matcher
	parse     bot.QueryParser
	clusterer *story.Clusterer
	summarize func(title, body string) string
}

// summaryLength is the longest summary an alert carries, in characters.
const summaryLength = 320

// storyWindow is how long an article can draw others into its story.
const storyWindow = 48 * time.Hour

// loadNames returns the built-in actors, places and topics extended by
// the operator's files (HERALD_ACTORS, HERALD_TOPICS; "" for none).
func loadNames(actorsPath, topicsPath string) (*match.Names, error) {
	names := match.DefaultNames()
	for _, extra := range []struct {
		env, path string
		load      func(io.Reader, string) (*match.Names, error)
	}{
		{"HERALD_ACTORS", actorsPath, match.LoadActors},
		{"HERALD_TOPICS", topicsPath, match.LoadTopics},
	} {
		if extra.path == "" {
			continue
		}
		f, err := os.Open(extra.path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", extra.env, err)
		}
		more, err := extra.load(f, extra.path)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", extra.env, err)
		}
		names = names.Merge(more)
	}
	return names, nil
}

func newCore(cfg config, log *slog.Logger) (*core, error) {
	names, err := loadNames(cfg.Actors, cfg.Topics)
	if err != nil {
		return nil, err
	}
	c := &core{names: names, matcher: match.NewIndex(names),
		clusterer: story.New(story.Options{Window: storyWindow, Names: names}),
		summarize: func(title, body string) string { return summary.Summarize(title, body, summaryLength) }}
	c.parse = func(q string) (alerts.Query, error) {
		p, err := match.ParseSubscription(q, names)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return c, nil
}

// seedStories rebuilds the story window after a restart from the articles
// of the last 48 hours, so a source that joins after a restart still edits
// the alert instead of posting again.
func (c *core) seedStories(db interface {
	RecentArticles(n int) ([]alerts.Article, error)
	GetStory(id string) (alerts.Story, error)
}, now time.Time) (int, error) {
	recent, err := db.RecentArticles(20000)
	if err != nil {
		return 0, fmt.Errorf("seed stories: %w", err)
	}
	var arts []alerts.Article
	var stories []alerts.Story
	seen := map[string]bool{}
	for _, a := range recent {
		if now.Sub(a.Ingested) > storyWindow {
			break
		}
		arts = append(arts, a)
		if a.StoryID != "" && !seen[a.StoryID] {
			seen[a.StoryID] = true
			if s, err := db.GetStory(a.StoryID); err == nil {
				stories = append(stories, s)
			}
		}
	}
	c.clusterer.Seed(stories, arts)
	return len(arts), nil
}
