package main

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/herald-news/herald/adapters/feeds"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
	"github.com/herald-news/herald/alerts/match/bench"
	"github.com/herald-news/herald/storage"
)

// benchDB fills a new database at path with subs generated subscriptions
// over targets chats (70 % Telegram DMs, 20 % Telegram groups, 10 %
// Discord channels; the queries are alerts/match/bench's seeded mix), and
// the probe subscriptions of herald bench --pipeline: flowProbes words
// followed by flowChats of those DMs each, and latencyChats and burstChats
// new DM chats. It returns the number of subscriptions stored.
func benchDB(path string, subs, targets int, seed uint64) (int, error) {
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	now := time.Now().UTC()
	r := rand.New(rand.NewPCG(seed, 0x9e))
	ts := make([]alerts.Target, targets)
	var dms []alerts.TargetID
	for i := range ts {
		var t alerts.Target
		switch i % 10 {
		case 0:
			t = alerts.Target{ID: alerts.NewTargetID(alerts.PlatformDiscord, fmt.Sprint(900000000000000000+i)), Kind: alerts.KindChannel}
		case 1, 2:
			t = alerts.Target{ID: alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(-1001000000000-i)), Kind: alerts.KindGroup}
		default:
			t = alerts.Target{ID: alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(5000000000+i)), Kind: alerts.KindDM}
			dms = append(dms, t.ID)
		}
		t.Active, t.Created = true, now.Add(-time.Duration(r.IntN(90*24))*time.Hour)
		ts[i] = t
	}
	if len(dms) < flowChats {
		return 0, fmt.Errorf("%d chats are too few: the bench needs %d Telegram DMs among them", targets, flowChats)
	}
	var all []alerts.Subscription
	for i, s := range bench.NewWorkload(seed).Subscriptions(subs) {
		s.ID, s.Target = 0, ts[(i*7919)%targets].ID
		s.Created = now.Add(-time.Duration(r.IntN(90*24*60)) * time.Minute)
		all = append(all, s)
	}
	for k := range flowProbes {
		for j := range flowChats {
			all = append(all, alerts.Subscription{Target: dms[(k*flowChats+j)%len(dms)], Query: probeWord(flowArticle, k), Created: now})
		}
	}
	for k := range latencyChats {
		t := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(latencyChat+k)), Kind: alerts.KindDM, Active: true, Created: now}
		ts = append(ts, t)
		all = append(all, alerts.Subscription{Target: t.ID, Query: probeWord(latencyArticle, k), Created: now})
	}
	for k := range burstChats {
		t := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(8000000000+k)), Kind: alerts.KindDM, Active: true, Created: now}
		ts = append(ts, t)
		all = append(all, alerts.Subscription{Target: t.ID, Query: probeWord(burstArticle, 0), Created: now})
	}
	// Many writers at once: the store groups them into few transactions.
	err = parallel(len(ts), 64, func(i int) error { return db.PutTarget(ts[i]) })
	if err == nil {
		err = parallel(len(all), 64, func(i int) error { _, err := db.AddSubscription(all[i]); return err })
	}
	if err != nil {
		return 0, err
	}
	return len(all), db.Close()
}

// parallel calls fn(0..n-1) on workers goroutines and returns the first
// error.
func parallel(n, workers int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if stop || i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// benchIndex builds the matcher herald run builds from the database.
func benchIndex(path string) (*match.Index, error) {
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var subs []alerts.Subscription
	if err := db.ForEachSubscription(func(s alerts.Subscription) error { subs = append(subs, s); return nil }); err != nil {
		return nil, err
	}
	x := match.NewIndex(match.DefaultActors())
	return x, x.Load(subs)
}

// checkArticles matches every article the run will push against the
// index, on every core, and fails when one matches other than its kind
// says: the workload must mean what the figures claim. It returns how
// many articles it checked.
func checkArticles(x *match.Index, text *benchText, plan []benchPhase) (int, error) {
	type job struct {
		i     int
		kind  articleKind
		probe int
	}
	var jobs []job
	for _, p := range plan {
		for i := range p.articles {
			k, probe := p.kindOf(i)
			jobs = append(jobs, job{p.first + i, k, probe})
		}
	}
	want := map[articleKind]int{quietArticle: 0, flowArticle: flowChats, latencyArticle: 1, burstArticle: burstChats}
	err := parallel(len(jobs), runtime.GOMAXPROCS(0), func(n int) error {
		j := jobs[n]
		ba := text.article(j.i, j.kind, j.probe)
		a := feeds.Clean(alerts.Article{Title: ba.Title, Body: ba.Body, Source: ba.Source, URL: ba.URL})
		if got := len(x.Match(&a)); got != want[j.kind] {
			return fmt.Errorf("bench article %d (kind %d) matches %d subscriptions, not %d: the generated text and queries overlap", j.i, j.kind, got, want[j.kind])
		}
		return nil
	})
	return len(jobs), err
}
