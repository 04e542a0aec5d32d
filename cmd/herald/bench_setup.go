package main

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/herald-news/herald/adapters/feeds"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
	"github.com/herald-news/herald/storage"
)

// benchDB writes a new database at path with herald gendb (subs
// subscriptions over targets chats: 70 % Telegram DMs, 20 % Telegram
// groups, 10 % Discord channels, alerts/match/bench's seeded queries), and
// adds the probe subscriptions of herald bench --pipeline: flowProbes
// words followed by flowChats of those DMs each, and latencyChats and
// burstChats new DM chats. It returns the number of subscriptions stored.
func benchDB(path string, subs, targets int, seed uint64) (int, error) {
	if err := genDB(path, genOptions{Subs: subs, Targets: targets, Seed: seed}); err != nil {
		return 0, err
	}
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	ts, err := db.ListTargets()
	if err != nil {
		return 0, err
	}
	var dms []alerts.TargetID
	for _, t := range ts {
		if t.ID.Platform() == alerts.PlatformTelegram && t.Kind == alerts.KindDM {
			dms = append(dms, t.ID)
		}
	}
	if len(dms) < flowChats {
		return 0, fmt.Errorf("%d chats are too few: the bench needs %d Telegram DMs among them", targets, flowChats)
	}
	slices.Sort(dms)
	now := time.Now().UTC()
	var probes []alerts.Subscription
	for k := range flowProbes {
		for j := range flowChats {
			probes = append(probes, alerts.Subscription{Target: dms[(k*flowChats+j)%len(dms)], Query: probeWord(flowArticle, k), Created: now})
		}
	}
	var chats []alerts.Target
	for k := range latencyChats {
		t := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(latencyChat+k)), Kind: alerts.KindDM, Active: true, Created: now}
		chats = append(chats, t)
		probes = append(probes, alerts.Subscription{Target: t.ID, Query: probeWord(latencyArticle, k), Created: now})
	}
	for k := range burstChats {
		t := alerts.Target{ID: alerts.NewTargetID(alerts.PlatformTelegram, fmt.Sprint(8000000000+k)), Kind: alerts.KindDM, Active: true, Created: now}
		chats = append(chats, t)
		probes = append(probes, alerts.Subscription{Target: t.ID, Query: probeWord(burstArticle, 0), Created: now})
	}
	if err := db.PutTargets(chats); err != nil {
		return 0, err
	}
	if _, err := db.AddSubscriptions(probes); err != nil {
		return 0, err
	}
	return subs + len(probes), db.Close()
}

// parallel calls fn(0..n-1) on workers goroutines and returns the first
// error; after one, the rest are not called.
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
				i, stop := next, first != nil
				next++
				mu.Unlock()
				if stop || i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// benchIndex builds the matcher herald run builds from the database (the
// built-in actors, places and topics).
func benchIndex(path string) (*match.Index, error) {
	names, err := loadNames("", "")
	if err != nil {
		return nil, err
	}
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var subs []alerts.Subscription
	if err := db.ForEachSubscription(func(s alerts.Subscription) error { subs = append(subs, s); return nil }); err != nil {
		return nil, err
	}
	x := match.NewIndex(names)
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
