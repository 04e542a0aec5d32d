package match

import (
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/herald-news/herald/alerts"
)

// Load adds many subscriptions at once, parsing them in parallel and each
// distinct query once. Malformed queries are skipped and reported
// together; the others are added, in order. The subscriptions are
// inserted in chunks while the workers parse the chunks after them; the
// index is write-locked for one chunk at a time.
func (x *Index) Load(subs []alerts.Subscription) error {
	comp := make([]*compiled, len(subs))
	// Each worker's errors, by subscription index.
	type subErr struct {
		i   int
		err error
	}
	workers := runtime.GOMAXPROCS(0)
	errs := make([][]subErr, workers)
	// Worker w parses the queries whose hash falls to it, so each keeps
	// its own memo of the queries it has seen.
	hash := make([]uint64, len(subs))
	seed := maphash.MakeSeed()
	increasing := true // so no ID comes twice
	for i := range subs {
		hash[i] = maphash.String(seed, subs[i].Query)
		increasing = increasing && (i == 0 || subs[i].ID > subs[i-1].ID)
	}
	nchunks := (len(subs) + loadChunk - 1) / loadChunk
	pending := make([]atomic.Int32, nchunks)
	ready := make([]chan struct{}, nchunks)
	for k := range ready {
		pending[k].Store(int32(workers))
		ready[k] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w uint64) {
			defer wg.Done()
			// The queries seen, by hash; a query whose hash is another's
			// is parsed on its own.
			memo := make(map[uint64]*compiled, len(subs)/workers/2)
			pm := newParseMemo(len(subs) / workers / 2)
			for k := 0; k < nchunks; k++ {
				for i := k * loadChunk; i < min(len(subs), (k+1)*loadChunk); i++ {
					h := hash[i]
					if h%uint64(workers) != w {
						continue
					}
					c, ok := memo[h]
					if ok && c.text == subs[i].Query {
						comp[i] = c
						continue
					}
					q, err := parse(subs[i].Query, x.names, pm)
					if err == nil {
						c = compileMemo(q, pm)
						err = c.check()
					}
					if err != nil {
						errs[w] = append(errs[w], subErr{i, fmt.Errorf("subscription %d: %w", subs[i].ID, err)})
						continue
					}
					c.packInto(pm)
					c.shared = true
					comp[i] = c
					if !ok {
						memo[h] = c
					}
				}
				if pending[k].Add(-1) == 0 {
					close(ready[k])
				}
			}
		}(uint64(w))
	}
	x.lock()
	x.ids.reserve(x.n + len(subs))
	// Into an empty index that nothing else changes meanwhile, IDs in
	// increasing order are all new: no need to look them up.
	fresh := increasing && x.n == 0
	gen := x.gen
	x.mu.Unlock()
	for k := 0; k < nchunks; k++ {
		<-ready[k]
		x.lock()
		fresh = fresh && x.gen == gen
		for i := k * loadChunk; i < min(len(subs), (k+1)*loadChunk); i++ {
			if c := comp[i]; c != nil {
				x.insertNew(subs[i].ID, c, fresh)
				comp[i] = nil
			}
		}
		gen = x.gen
		x.mu.Unlock()
	}
	wg.Wait()
	x.lock()
	x.aslab = nil
	x.mu.Unlock()
	all := slices.Concat(errs...)
	slices.SortFunc(all, func(a, b subErr) int { return a.i - b.i })
	joined := make([]error, len(all))
	for k, e := range all {
		joined[k] = e.err
	}
	return errors.Join(joined...)
}

// loadChunk is how many subscriptions Load inserts under one write lock.
const loadChunk = 4096
