// Command herald is a news-alert bot: it reads feeds and pushed pages,
// matches every article against what people subscribed to, and posts alerts
// to Telegram, Discord or the terminal.
//
// Usage:
//
//	herald run                 the service (configuration from HERALD_* variables or flags)
//	herald demo                the whole flow offline, on bundled sample feeds
//	herald console             an interactive local user: type /subscribe, :ingest FILE
//	herald match -q QUERY FILE…  try queries on articles and explain each match
//	herald read [--json] FILE|URL…  print the articles of documents as ingest makes them
//	herald bench               the matcher's benchmark against brute force and regexps
//	herald bench --pipeline    the whole service's, through HTTP to a fake platform
//	herald bench startup       herald run's start-up time and memory on a generated database
//	herald gendb FILE          a database of N subscriptions over M chats, to measure on
//	herald backup FILE         a hot copy of the database
//	herald check [--repair] DB bbolt's consistency check; --repair saves what can be read
//	herald migrate --to nats   copy the database into a cluster (HERALD_NATS_URL)
//	herald healthcheck         exit 0 when the local herald answers /healthz
//
// Exit codes: 0 success, 1 failure (for match: nothing matched; for read:
// some document not read), 2 bad usage or configuration.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // /timezone works on minimal images too
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

const usage = `herald: news alerts for Telegram, Discord and the terminal

Usage:
  herald run [flags]               run the service (see herald run -h)
  herald demo                      run the whole flow offline on bundled sample feeds
  herald console [FEED_OR_FILE…]   be a local user: /subscribe ceasefire, :ingest FILE
  herald match [-q QUERY]... [--json] FILE...
                                   try queries on article files and explain each match
  herald read [--json] FILE|URL... print the articles of feeds, pages and texts as ingest makes them
  herald bench [--subs N,N] [--json] [--seed N]
                                   benchmark the matcher
  herald bench --pipeline [--subs N] [--targets M] [--phases LIST]
                                   benchmark the whole service: ingest, alerts, memory
  herald bench startup [--subs N] [--targets M] [--db FILE] [--runs N]
                                   time herald run's start on N subscriptions
  herald gendb [--subs N] [--targets M] [--seed S] FILE
                                   write a database of N subscriptions over M chats
  herald backup [--force] FILE     write a hot copy of the database (HERALD_DB)
  herald check [--repair] [DB]     check the database for damage; --repair saves what
                                   can still be read into a new file
  herald migrate --to nats         copy HERALD_DB into the cluster at HERALD_NATS_URL
  herald healthcheck               exit 0 when the herald at HERALD_HTTP_ADDR answers /healthz
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runService(ctx, rest, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "console":
		return runConsole(ctx, rest, stdin, stdout, stderr)
	case "match":
		return runMatch(rest, stdout, stderr)
	case "read":
		return runRead(ctx, rest, stdout, stderr)
	case "bench":
		if len(rest) > 0 {
			switch rest[0] {
			case "startup":
				return runBenchStartup(ctx, rest[1:], stdout, stderr)
			case "--pipeline", "-pipeline", "pipeline":
				return runBenchPipeline(ctx, rest[1:], stdout, stderr)
			}
		}
		return runBench(rest, stdout, stderr)
	case "gendb":
		return runGenDB(rest, stdout, stderr)
	case "backup":
		return runBackup(ctx, rest, stdout, stderr)
	case "check":
		return runCheck(rest, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "herald: unknown command %q\n\n%s", cmd, usage)
	return 2
}

func runService(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fmt.Fprintln(stdout, "herald run: the service.")
			configUsage(stdout)
			return 0
		}
	}
	if bad := unknownEnv(os.Environ()); len(bad) > 0 {
		fmt.Fprintf(stderr, "herald: unknown configuration variable %s (see herald run -h)\n", strings.Join(bad, ", "))
		return 2
	}
	cfg, err := loadConfig(args, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 2
	}
	log := newLogger(stderr, cfg)
	if err := serve(ctx, cfg, log, nil); err != nil {
		log.Error("Herald failed", "err", err)
		return 1
	}
	return 0
}
