package main

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/herald-news/herald/bot"
)

//go:embed demodata
var demoData embed.FS

var demoQueries = []string{
	`ceasefire`,
	`Zelensky`,
	`"peace deal"`,
	`Kharkiv OR Odesa`,
	`Putin`,
	`war -film`,
}

// runDemo runs the whole flow offline: a temporary database, a console user
// with a few subscriptions, the bundled feeds ingested one by one, and every
// alert printed as the user would see it.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: herald demo")
		return 2
	}
	dir, err := os.MkdirTemp("", "herald-demo-")
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l, err := newLocal(filepath.Join(dir, "herald.db"), stdout, log, false, nil)
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 1
	}
	defer l.Close()

	fmt.Fprintln(stdout, "Herald demo: a console user follows a few topics; bundled feeds arrive one by one.")
	fmt.Fprintln(stdout, "Everything runs offline with a temporary database.")
	for _, q := range demoQueries {
		fmt.Fprintf(stdout, "\n> /subscribe %s\n%s\n", q, l.command(ctx, "/subscribe "+q))
	}
	files, err := fs.Glob(demoData, "demodata/*")
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 1
	}
	sort.Strings(files)
	var fresh, seen int
	for _, f := range files {
		data, err := demoData.ReadFile(f)
		if err != nil {
			fmt.Fprintln(stderr, "herald:", err)
			return 1
		}
		arts, err := readArticles(filepath.Base(f), data)
		if err != nil {
			fmt.Fprintln(stderr, "herald:", err)
			return 1
		}
		fmt.Fprintf(stdout, "\n═══ %s: %s\n", filepath.Base(f), countArticles(len(arts)))
		for _, a := range arts {
			_, res, err := l.bot.Ingest(ctx, a)
			if err != nil {
				fmt.Fprintln(stderr, "herald:", err)
				return 1
			}
			switch res {
			case bot.Ingested:
				fresh++
				fmt.Fprintf(stdout, "· %s\n", a.Title)
			default:
				seen++
				fmt.Fprintf(stdout, "· %s (seen before: no alert)\n", a.Title)
			}
			if err := l.bot.Drain(ctx); err != nil {
				fmt.Fprintln(stderr, "herald:", err)
				return 1
			}
		}
	}
	fmt.Fprintf(stdout, "\n> /why\n%s\n", l.command(ctx, "/why"))
	fmt.Fprintf(stdout, "\n> /test drone\n%s\n", l.command(ctx, "/test drone"))
	n := len(l.sender.Sent())
	fmt.Fprintf(stdout, "\nDone: %d new articles, %d seen before, %d messages to the console user.\n", fresh, seen, n)
	fmt.Fprintln(stdout, "Try it yourself: go run ./cmd/herald console")
	return 0
}
