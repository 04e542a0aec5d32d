package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/herald-news/herald/adapters/feeds"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
)

type queryFlags []string

func (q *queryFlags) String() string     { return strings.Join(*q, ", ") }
func (q *queryFlags) Set(v string) error { *q = append(*q, v); return nil }

// matchLine is one article and query of herald match --json.
type matchLine struct {
	File      string           `json:"file"`
	Article   int              `json:"article"`
	Title     string           `json:"title"`
	Query     string           `json:"query"`
	Canonical string           `json:"canonical"`
	Matched   bool             `json:"matched"`
	Terms     []alerts.TermHit `json:"terms,omitempty"`
}

// runMatch is herald match [-q QUERY]... [--json] FILE...: it tries the
// queries against the articles of each file and explains each match. Exit
// 0 when any query matched, 1 when none did, 2 on an error.
func runMatch(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald match", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var queries queryFlags
	fs.Var(&queries, "q", "a query (repeatable)")
	asJSON := fs.Bool("json", false, "one JSON line per article and query")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: herald match [-q QUERY]... [--json] FILE...")
		fmt.Fprintln(stderr, "Reads articles (scraped text with the title first, HTML pages, feeds) and says which queries match and why.")
		fs.PrintDefaults()
	}
	files, code, done := parseMixed(fs, args)
	if done {
		return code
	}
	if len(queries) == 0 || len(files) == 0 {
		fs.Usage()
		return 2
	}
	actors, err := loadNames(os.Getenv("HERALD_ACTORS"), os.Getenv("HERALD_TOPICS"))
	if err != nil {
		fmt.Fprintf(stderr, "herald match: %v\n", err)
		return 2
	}
	parsed := make([]*match.Query, len(queries))
	for i, q := range queries {
		p, err := match.Parse(q, actors)
		if err != nil {
			fmt.Fprintf(stderr, "herald match: query %q: %v\n", q, err)
			return 2
		}
		parsed[i] = p
	}
	if !*asJSON {
		for i, p := range parsed {
			fmt.Fprintf(stdout, "query %d: %s\n", i+1, p)
			for _, e := range p.Expansions() {
				fmt.Fprintf(stdout, "  %s\n", e)
			}
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	any := false
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "herald match: %v\n", err)
			return 2
		}
		arts, err := feeds.ReadArticles(name, data)
		if err != nil {
			fmt.Fprintf(stderr, "herald match: %v\n", err)
			return 2
		}
		for ai := range arts {
			a := &arts[ai]
			d := match.NewDoc(a)
			if !*asJSON {
				label := name
				if len(arts) > 1 {
					label = fmt.Sprintf("%s #%d", name, ai+1)
				}
				fmt.Fprintf(stdout, "\n%s: %s\n", label, a.Title)
			}
			for qi, p := range parsed {
				ok, terms := p.ExplainDoc(d)
				any = any || ok
				if *asJSON {
					enc.Encode(matchLine{File: name, Article: ai + 1, Title: a.Title, Query: queries[qi], Canonical: p.String(), Matched: ok, Terms: terms})
					continue
				}
				verdict := "no match"
				if ok {
					verdict = "MATCH"
				}
				fmt.Fprintf(stdout, "  query %d %-8s %s\n", qi+1, verdict, p)
				if ok {
					for _, t := range terms {
						fired := fmt.Sprintf("%q", t.Matched)
						if t.Entry != "" {
							fired = t.Matched + " → " + t.Entry
						}
						fmt.Fprintf(stdout, "      %-20s %-6s %s\n", t.Term, t.Field, fired)
					}
				}
			}
		}
	}
	if any {
		return 0
	}
	return 1
}
