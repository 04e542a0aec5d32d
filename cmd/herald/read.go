package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/adapters/feeds"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/summary"
)

// readLine is one article of herald read --json, with the field names the
// README gives; file is the path or URL exactly as given.
type readLine struct {
	File      string `json:"file"`
	Title     string `json:"title"`
	URL       string `json:"url"`
	GUID      string `json:"guid"`
	Source    string `json:"source"`
	Published string `json:"published"`
	Language  string `json:"language"`
	Image     string `json:"image"`
	Summary   string `json:"summary"`
	Body      string `json:"body"`
}

// readError is the line for a document herald read could not read.
type readError struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// runRead is herald read [--json] FILE|URL...: it prints the articles of
// each document exactly as ingest makes them, and on stderr what the
// tolerant parse of a damaged feed read past. URLs go through the fetcher
// of feeds added from chat, with its guard against private addresses
// (HERALD_ALLOW_PRIVATE_FEEDS lifts it). Exit 0 when every document was
// read, 1 when some were not, 2 on a usage error.
func runRead(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald read", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, `one JSON line per article: "file", "title", "url", "guid", "source", "published", "language", "image", "summary", "body"; one {"file","error"} line per document not read`)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: herald read [--json] FILE|URL...")
		fmt.Fprintln(stderr, "Prints the articles of feeds, pages and text files exactly as Herald's ingest makes them.")
		fs.PrintDefaults()
	}
	sources, code, done := parseMixed(fs, args)
	if done {
		return code
	}
	if len(sources) == 0 {
		fs.Usage()
		return 2
	}
	allowPrivate := false
	if v := os.Getenv("HERALD_ALLOW_PRIVATE_FEEDS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fmt.Fprintf(stderr, "herald read: HERALD_ALLOW_PRIVATE_FEEDS=%q is not true or false\n", v)
			return 2
		}
		allowPrivate = b
	}
	reader := feeds.NewDocumentReader(feeds.ReaderOptions{AllowPrivate: allowPrivate})
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	failed := 0
	for _, src := range sources {
		doc, err := reader.ReadDocument(ctx, src)
		arts := doc.Articles
		if err != nil {
			failed++
			if *asJSON {
				enc.Encode(readError{File: src, Error: err.Error()})
			} else {
				fmt.Fprintf(stderr, "herald read: %s: %v\n", src, err)
			}
			continue
		}
		for _, d := range doc.Damage {
			// Read past, not failed: said on stderr, so that --json
			// stays one line per article.
			fmt.Fprintf(stderr, "herald read: %s: read past: %s\n", src, d)
		}
		for i, a := range arts {
			if *asJSON {
				enc.Encode(lineOf(src, a))
				continue
			}
			printArticle(stdout, src, i+1, len(arts), a)
		}
		if !*asJSON && len(arts) == 0 {
			fmt.Fprintf(stdout, "%s: no articles\n", src)
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func lineOf(src string, a alerts.Article) readLine {
	if a.Summary == "" {
		// Ingest summarises only the articles that reach a chat; herald
		// read shows the summary an alert would carry.
		a.Summary = summary.Summarize(a.Title, a.Body, summaryLength)
	}
	l := readLine{File: src, Title: a.Title, URL: a.URL, GUID: a.GUID, Source: a.Source, Language: a.Lang,
		Image: a.Image, Summary: a.Summary, Body: a.Body}
	if !a.Published.IsZero() {
		l.Published = a.Published.UTC().Format(time.RFC3339)
	}
	return l
}

// printArticle writes one article for a person to read.
func printArticle(w io.Writer, src string, n, of int, a alerts.Article) {
	l := lineOf(src, a)
	fmt.Fprintf(w, "%s #%d of %d\n", src, n, of)
	for _, f := range [][2]string{{"title", l.Title}, {"url", l.URL}, {"guid", l.GUID}, {"source", l.Source},
		{"published", l.Published}, {"language", l.Language}, {"image", l.Image}, {"summary", l.Summary}} {
		if f[1] != "" {
			fmt.Fprintf(w, "  %-10s %s\n", f[0]+":", f[1])
		}
	}
	if l.Body != "" {
		fmt.Fprintln(w, "  body:")
		for _, line := range strings.Split(l.Body, "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
	fmt.Fprintln(w)
}
