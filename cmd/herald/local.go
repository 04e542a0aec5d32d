package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/herald-news/herald/adapters/console"
	"github.com/herald-news/herald/adapters/feeds"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage"
)

// local is Herald with the console as its only platform, for demo and
// console.
type local struct {
	db     *storage.DB
	bot    *bot.Bot
	sender *console.Sender
	// poller polls the console's feeds, and those its user adds with
	// /sources add; nil for the demo.
	poller *feeds.Poller
}

// newLocal opens Herald on dbPath for the terminal. With withFeeds, it
// polls feedURLs (possibly none) and /sources lists and extends them.
func newLocal(dbPath string, out io.Writer, log *slog.Logger, withFeeds bool, feedURLs []string) (*local, error) {
	db, err := storage.Open(dbPath, storage.Options{Log: log})
	if err != nil {
		return nil, err
	}
	core, err := newCore(config{Actors: os.Getenv("HERALD_ACTORS"), Topics: os.Getenv("HERALD_TOPICS")}, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	var poller *feeds.Poller
	var catalog bot.Catalog
	if withFeeds {
		// The console's user is the operator: the feeds they name may be
		// on this machine or their network.
		poller = feeds.NewPoller(feeds.PollerOptions{Feeds: feedURLs, AllowPrivate: true}, db, log)
		catalog = poller
	}
	snd := console.NewSender(out)
	b, err := bot.New(bot.Options{Store: db, Matcher: core.matcher, Parse: core.parse, Clusterer: core.clusterer,
		Summarize: core.summarize, Senders: []bot.Sender{snd}, Log: log, Catalog: catalog})
	if err != nil {
		db.Close()
		return nil, err
	}
	if _, err := b.Load(); err != nil {
		db.Close()
		return nil, err
	}
	return &local{db: db, bot: b, sender: snd, poller: poller}, nil
}

func (l *local) Close() error { return l.db.Close() }

func (l *local) command(ctx context.Context, text string) string {
	return l.bot.HandleCommand(ctx, console.Command(text)).Text
}

// readArticleFile reads a file of articles as `herald match` and ingest do.
func readArticleFile(path string) ([]alerts.Article, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return readArticles(filepath.Base(path), data)
}

func readArticles(name string, data []byte) ([]alerts.Article, error) {
	return feeds.ReadArticles(name, data)
}

// ingestFile ingests every article of a file and reports what became of them.
func (l *local) ingestFile(ctx context.Context, path string) (string, error) {
	arts, err := readArticleFile(path)
	if err != nil {
		return "", err
	}
	var fresh, dup int
	for _, a := range arts {
		_, res, err := l.bot.Ingest(ctx, a)
		if err != nil {
			return "", fmt.Errorf("%s: %q: %w", path, a.Title, err)
		}
		if res == bot.Ingested {
			fresh++
		} else {
			dup++
		}
	}
	parts := []string{fmt.Sprintf("%d new", fresh)}
	if dup > 0 {
		parts = append(parts, fmt.Sprintf("%d seen before", dup))
	}
	return fmt.Sprintf("Read %s from %s: %s.", countArticles(len(arts)), filepath.Base(path), strings.Join(parts, ", ")), nil
}

func countArticles(n int) string {
	if n == 1 {
		return "1 article"
	}
	return fmt.Sprintf("%d articles", n)
}
