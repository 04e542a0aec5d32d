package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match/bench"
	"github.com/herald-news/herald/storage"
)

// genOptions say what database gendb writes.
type genOptions struct {
	Subs, Targets int
	Seed          uint64
}

// runGenDB is herald gendb [--subs N] [--targets M] [--seed S] FILE: a new
// database with N subscriptions over M chats, to measure start-up on.
func runGenDB(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald gendb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "herald gendb [--subs N] [--targets M] [--seed S] FILE: write a new database with N subscriptions over M chats")
		fs.PrintDefaults()
	}
	var o genOptions
	fs.IntVar(&o.Subs, "subs", 1_000_000, "subscriptions")
	fs.IntVar(&o.Targets, "targets", 100_000, "chats (targets) they belong to, about subs/targets each")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the queries and their chats")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 || o.Subs < 0 || o.Targets <= 0 {
		fs.Usage()
		return 2
	}
	start := time.Now()
	if err := genDB(fs.Arg(0), o); err != nil {
		fmt.Fprintf(stderr, "herald gendb: %v\n", err)
		return 1
	}
	fi, _ := os.Stat(fs.Arg(0))
	fmt.Fprintf(stdout, "%s: %d subscriptions over %d chats, %.1f MB, written in %s\n",
		fs.Arg(0), o.Subs, o.Targets, float64(fi.Size())/1e6, time.Since(start).Round(time.Millisecond))
	return 0
}

// genDB writes a new database at path. The queries are the matcher
// benchmark's seeded mix (alerts/match/bench: single words and phrases,
// alias groups, ANDs, NOTs, some title: and source:); the chats are 70 %
// Telegram DMs, 20 % Telegram groups and 10 % Discord channels, each with
// subs/targets subscriptions, spread so that neighbouring IDs belong to
// different chats, as when many people subscribe at once. One in 100
// subscriptions is muted, and subscriptions were created over the 90 days
// before now. An existing file is refused, not overwritten.
func genDB(path string, o genOptions) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s exists; give a new file", path)
	}
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now().UTC().Truncate(time.Second)
	r := rand.New(rand.NewPCG(o.Seed, 0x9e))
	targets := make([]alerts.Target, o.Targets)
	for i := range targets {
		var t alerts.Target
		switch i % 10 {
		case 0:
			t = alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, fmt.Sprint(900000000000000000+i)), Kind: alerts.KindChannel, Title: fmt.Sprintf("#news-%d", i)}
		case 1, 2:
			t = alerts.Target{ID: alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(-1001000000000-i)), Kind: alerts.KindGroup, Title: fmt.Sprintf("Newsroom %d", i)}
		default:
			t = alerts.Target{ID: alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(5000000000+i)), Kind: alerts.KindDM, Title: fmt.Sprintf("User %d", i)}
		}
		t.Active, t.Created = true, now.Add(-time.Duration(r.IntN(90*24))*time.Hour)
		targets[i] = t
	}
	const chunk = 20_000
	for i := 0; i < len(targets); i += chunk {
		if err := db.PutTargets(targets[i:min(i+chunk, len(targets))]); err != nil {
			return err
		}
	}
	subs := bench.NewWorkload(o.Seed).Subscriptions(o.Subs)
	// A stride coprime with the number of chats visits each of them once
	// per round, in an order that looks random.
	stride := 1
	for _, p := range []int{48271, 16807, 69621, 7, 11, 13} {
		if gcd(p, o.Targets) == 1 {
			stride = p
			break
		}
	}
	for i := range subs {
		subs[i].ID = 0
		subs[i].Target = targets[(i*stride)%o.Targets].ID
		subs[i].Created = now.Add(-time.Duration(r.IntN(90*24*60)) * time.Minute)
		if r.IntN(100) == 0 {
			subs[i].MutedUntil = now.Add(time.Duration(1+r.IntN(72)) * time.Hour)
		}
	}
	for i := 0; i < len(subs); i += chunk {
		if _, err := db.AddSubscriptions(subs[i:min(i+chunk, len(subs))]); err != nil {
			return err
		}
	}
	return db.Close()
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
