package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
	"github.com/herald-news/herald/bot"
)

// core is the pure part of Herald every command shares: actors, the
// matcher, the query parser, stories and summaries.
type core struct {
	actors    *match.Actors
	matcher   alerts.Matcher
	parse     bot.QueryParser
	clusterer bot.Clusterer
	summarize func(title, body string) string
}

func loadActors(path string) (*match.Actors, error) {
	actors := match.DefaultActors()
	if path == "" {
		return actors, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("HERALD_ACTORS: %w", err)
	}
	defer f.Close()
	extra, err := match.LoadActors(f, path)
	if err != nil {
		return nil, fmt.Errorf("HERALD_ACTORS: %w", err)
	}
	return actors.Merge(extra), nil
}

func newCore(cfg config, log *slog.Logger) (*core, error) {
	actors, err := loadActors(cfg.Actors)
	if err != nil {
		return nil, err
	}
	c := &core{actors: actors, matcher: match.NewIndex(actors)}
	c.parse = func(q string) (alerts.Query, error) {
		p, err := match.Parse(q, actors)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return c, nil
}
