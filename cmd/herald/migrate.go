package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage"
	"github.com/herald-news/herald/storage/jetstream"
)

// runMigrate is herald migrate --to nats: it copies the bbolt database at
// HERALD_DB into the cluster store at HERALD_NATS_URL, so a single-node
// deployment moves without losing a subscription or sending an alert
// again. It needs the bbolt file to itself (stop herald run first), and
// can be run again: every copy is idempotent.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "--to" || args[1] != "nats" {
		fmt.Fprintln(stderr, "usage: herald migrate --to nats   (copies HERALD_DB into HERALD_NATS_URL)")
		return 2
	}
	cfg, err := loadConfig(nil, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 2
	}
	if cfg.NATSURL == "" {
		fmt.Fprintln(stderr, "herald: HERALD_NATS_URL is not set: say which NATS to copy the database into")
		return 2
	}
	if _, err := os.Stat(cfg.DB); err != nil {
		fmt.Fprintf(stderr, "herald: no database at HERALD_DB=%s: %v\n", cfg.DB, err)
		return 1
	}
	n, err := migrate(ctx, cfg, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "herald: migrate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Copied %s into NATS (prefix %s): %d records. Start herald run with HERALD_NATS_URL now.\n", cfg.DB, cfg.NATSPrefix, n)
	return 0
}

// migrateRecentArticles is how many of the newest articles are copied, so
// that the cluster's dedupe and story window know what was just alerted.
const migrateRecentArticles = 20000

func migrate(ctx context.Context, cfg config, progress io.Writer) (int, error) {
	db, err := storage.Open(cfg.DB, storage.Options{LockTimeout: 300 * time.Millisecond})
	if errors.Is(err, storage.ErrInUse) {
		return 0, fmt.Errorf("%w: stop herald run before migrating", err)
	}
	if err != nil {
		return 0, err
	}
	defer db.Close()
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := jetstream.Open(octx, jetstream.Options{URL: cfg.NATSURL, Creds: cfg.NATSCreds, Prefix: cfg.NATSPrefix, Name: "migrate"})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	n := 0
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		fmt.Fprintf(progress, "  %-28s done (%d records so far)\n", what, n)
		return nil
	}
	targets, err := db.ListTargets()
	if err == nil {
		for _, t := range targets {
			if err = st.PutTarget(t); err != nil {
				break
			}
			n++
		}
	}
	if err := step("targets and their settings", err); err != nil {
		return n, err
	}
	err = db.ForEachSubscription(func(s alerts.Subscription) error {
		n++
		return st.ImportSubscription(s)
	})
	if err := step("subscriptions", err); err != nil {
		return n, err
	}
	err = db.ForEachMeta(func(k string, v []byte) error {
		n++
		return st.PutMeta(k, v)
	})
	if err := step("feed state and offsets", err); err != nil {
		return n, err
	}
	// The log before the outbox, oldest first, so that each target's
	// newest entry is its LastSent and an alert already sent is never
	// queued again.
	var log []alerts.Sent
	if err := db.ForEachSent(func(s alerts.Sent) error { log = append(log, s); return nil }); err != nil {
		return n, fmt.Errorf("delivery log: %w", err)
	}
	slices.SortFunc(log, func(a, b alerts.Sent) int { return a.At.Compare(b.At) })
	for _, s := range log {
		if err := st.ImportSent(s); err != nil {
			return n, err
		}
		n++
	}
	if err := step("delivery log and buttons", nil); err != nil {
		return n, err
	}
	// One target's queue at a time, in Seq order, which the cluster keeps.
	heads, err := db.Heads()
	for _, h := range heads {
		var queued []alerts.Delivery
		if queued, err = db.Queued(h.Target); err != nil {
			break
		}
		if err = st.Enqueue(queued...); err != nil {
			break
		}
		n += len(queued)
	}
	if err := step("outbox", err); err != nil {
		return n, err
	}
	recent, err := db.RecentArticles(migrateRecentArticles)
	if err == nil {
		slices.Reverse(recent)
		for _, a := range recent {
			s, serr := db.GetStory(a.StoryID)
			if serr != nil {
				s = alerts.Story{}
			}
			if err = st.Commit(a, s, nil); err != nil {
				break
			}
			n++
		}
	}
	return n, step("recent articles and stories", err)
}
