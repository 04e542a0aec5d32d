package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/herald-news/herald/alerts"
)

// entryRecord is an outbox entry as stored: the delivery with each
// alert's article referred to by ID when the articles bucket holds it
// (alerts.StoredDelivery, the format the bbolt store uses too).
type entryRecord = alerts.StoredDelivery

// articleRefs remembers, for one call, which articles the bucket holds.
type articleRefs struct {
	s *Store
	// known are the articles known to be stored (the one being committed).
	known map[string]bool
	mu    sync.Mutex
	seen  map[string]bool
}

func (s *Store) refs(known ...string) *articleRefs {
	r := &articleRefs{s: s, known: map[string]bool{}, seen: map[string]bool{}}
	for _, id := range known {
		r.known[id] = true
	}
	return r
}

// stored reports whether the article is in the bucket: an edit refers to
// its story's first article, which may have expired.
func (r *articleRefs) stored(ctx context.Context, id string) bool {
	if r.known[id] {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok, found := r.seen[id]; found {
		return ok
	}
	_, err := r.s.articles.Get(ctx, articleKey(id))
	r.seen[id] = err == nil
	return err == nil
}

// hydrate turns records back into the deliveries enqueued, each referred
// article read from the bucket (its body left out, as planning leaves it).
// An article gone (expired past the retention) leaves its ID.
func (s *Store) hydrate(ctx context.Context, recs []entryRecord) ([]alerts.Delivery, error) {
	ids := map[string]bool{}
	for _, r := range recs {
		for _, a := range r.Alerts {
			if a.Article == nil && a.ArticleID != "" {
				ids[a.ArticleID] = true
			}
		}
	}
	arts := map[string]alerts.Article{}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for id := range ids {
		wg.Go(func() {
			var a alerts.Article
			_, err := getJSON(ctx, s.articles, articleKey(id), &a)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				a.Body = ""
				arts[id] = a
			case errors.Is(err, alerts.ErrNotFound):
				arts[id] = alerts.Article{ID: id}
			default:
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := make([]alerts.Delivery, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.Hydrate(func(id string) alerts.Article { return arts[id] }))
	}
	return out, nil
}

// decodeEntry reads a stored entry.
func decodeEntry(key string, v []byte) (entryRecord, error) {
	var r entryRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return r, errors.New("outbox entry " + key + ": " + err.Error())
	}
	return r, nil
}
