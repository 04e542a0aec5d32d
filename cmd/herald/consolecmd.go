package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/herald-news/herald/adapters/console"
	"github.com/herald-news/herald/alerts"
)

// runConsole is an interactive local user. Arguments are article files to
// ingest at start or feed URLs to poll.
func runConsole(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "keep the database in this file (default: a temporary one)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	path := *dbPath
	if path == "" {
		dir, err := os.MkdirTemp("", "herald-console-")
		if err != nil {
			fmt.Fprintln(stderr, "herald:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "herald.db")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var feedURLs, files []string
	for _, a := range fs.Args() {
		if strings.Contains(a, "://") {
			feedURLs = append(feedURLs, a)
		} else {
			files = append(files, a)
		}
	}
	l, err := newLocal(path, stdout, log, true, feedURLs)
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 1
	}
	defer l.Close()
	for _, f := range files {
		msg, err := l.ingestFile(ctx, f)
		if err != nil {
			fmt.Fprintln(stderr, "herald:", err)
			return 1
		}
		fmt.Fprintln(stdout, msg)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // damage found in use ends the session
		select {
		case <-l.db.Damaged():
			cancel()
		case <-ctx.Done():
		}
	}()
	articles := make(chan alerts.Article, 64)
	done := make(chan struct{})
	go func() { defer close(done); l.bot.Run(ctx, articles) }()
	// The poller runs even without feeds: /sources add starts one.
	go func() { defer close(articles); l.poller.Run(ctx, articles) }()
	switch n := len(feedURLs); n {
	case 0:
	case 1:
		fmt.Fprintln(stdout, "Polling 1 feed; its current items are the baseline, and new ones will alert.")
	default:
		fmt.Fprintf(stdout, "Polling %d feeds; their current items are the baseline, and new ones will alert.\n", n)
	}
	fmt.Fprintln(stdout, "Herald console. Try: /subscribe ceasefire, then :ingest FILE. /help lists commands, :quit leaves.")
	err = console.REPL(ctx, stdin, stdout, l.bot, func(ctx context.Context, path string) (string, error) {
		msg, err := l.ingestFile(ctx, path)
		l.bot.Settle(ctx) // the alerts print before the prompt
		return msg, err
	})
	cancel()
	<-done
	if derr := l.db.Err(); derr != nil {
		err = derr
	}
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 1
	}
	return 0
}
