package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage/jetstream"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// clusterBot is a bot on the cluster store with the subscription watch
// feeding its matcher, as serve wires it: one process of a deployment,
// without platforms.
type clusterBot struct {
	b       *bot.Bot
	matcher alerts.Matcher
	store   *jetstream.Store
}

func newClusterBot(t *testing.T, natsURL, name string) *clusterBot {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := jetstream.Open(ctx, jetstream.Options{URL: natsURL, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	core, err := newCore(config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Options{Store: st, Matcher: core.matcher, Parse: core.parse, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.WatchSubscriptions(ctx, b.ApplySubscription, b.ForgetSubscription)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Load(); err != nil {
		t.Fatal(err)
	}
	go run()
	return &clusterBot{b: b, matcher: core.matcher, store: st}
}

// within waits up to 2 s, the contract's bound, for cond, and returns how
// long it took.
func within2s(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 2*time.Second {
			t.Fatalf("not within 2 s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// TestClusterSettingsEverywhereWithin2s: a subscription, a mute, a digest
// and an unsubscribe made through one process take effect in another
// within 2 s: the other's matcher index gains and loses the subscription
// (its incremental Add/Remove, fed by the watch), and its planning follows
// the mute and the digest.
func TestClusterSettingsEverywhereWithin2s(t *testing.T) {
	nc := natstest.Start(t, 3)
	one, two := newClusterBot(t, nc.URL(), "one"), newClusterBot(t, nc.URL(), "two")
	ctx := context.Background()
	me := alerts.Target{ID: "telegram:777", Kind: alerts.KindDM, Title: "Me"}
	say := func(text string) string {
		return one.b.HandleCommand(ctx, bot.Command{Target: me, UserID: "777", Text: text}).Text
	}
	art := func(n string) alerts.Article {
		return alerts.Article{ID: "a" + n, URL: "https://x.example/" + n, Title: "Ceasefire talks " + n,
			Body: "Talks on a ceasefire resumed " + n, Source: "X", ContentHash: "h" + n}
	}
	probe := art("probe")
	if r := say("/subscribe ceasefire"); !strings.Contains(r, "Subscribed") {
		t.Fatalf("subscribe: %q", r)
	}
	took := within2s(t, "the other process matches the new subscription", func() bool { return len(two.matcher.Match(&probe)) == 1 })
	t.Logf("subscription reached the other process in %s", took)

	planned := func() int {
		p, err := two.store.Queued(me.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(p)
	}
	if r := say("/mute 1 8h"); !strings.Contains(strings.ToLower(r), "mute") {
		t.Fatalf("mute: %q", r)
	}
	n := 0
	took = within2s(t, "the other process honours the mute", func() bool {
		// The articles ingested before the mute arrived stay queued (no
		// platform sends them): what counts is whether this one joins them.
		n++
		before := planned()
		two.b.Ingest(ctx, art("mute"+itoaInt(n)))
		return planned() == before
	})
	t.Logf("mute reached the other process in %s", took)
	if r := say("/mute 1 off"); r == "" {
		t.Fatal("no reply to /mute off")
	}
	if r := say("/digest daily 08:00"); !strings.Contains(strings.ToLower(r), "digest") {
		t.Fatalf("digest: %q", r)
	}
	took = within2s(t, "the other process holds alerts for the digest", func() bool {
		n++
		two.b.Ingest(ctx, art("digest"+itoaInt(n)))
		p, _ := two.store.Queued(me.ID)
		return len(p) > 0 && p[len(p)-1].Held
	})
	t.Logf("digest reached the other process in %s", took)
	if r := say("/unsubscribe 1"); !strings.Contains(strings.ToLower(r), "unsubscribed") {
		t.Fatalf("unsubscribe: %q", r)
	}
	took = within2s(t, "the other process forgets the subscription", func() bool { return len(two.matcher.Match(&probe)) == 0 })
	t.Logf("unsubscribe reached the other process in %s", took)
}
