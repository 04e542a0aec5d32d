package match

import (
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/herald-news/herald/alerts"
)

// LoadSeq adds the subscriptions subs yields, as Add would one by one, but
// on every core and with each distinct query parsed once: start-up streams
// the stored subscriptions into it, and nothing but a few chunks of them is
// held at a time. subs is read in the caller's goroutine while workers
// parse the chunks already read and the subscriptions parsed so far are
// inserted, in the order they came. Into an empty index, they are built
// into tables of their own (bulk.go) that replace the index's at the end:
// Add and Remove wait for that, and matching goes on against the empty
// index meanwhile. Into an index that has subscriptions, they are
// inserted under the write lock one chunk at a time (matching goes on in
// between). A subscription whose query does not parse is skipped and
// passed to skipped (which may be nil), in order, before LoadSeq returns.
// subs must not call Add or Remove.
func (x *Index) LoadSeq(subs iter.Seq2[uint64, string], skipped func(id uint64, err error)) {
	workers := runtime.GOMAXPROCS(0)
	x.wmu.Lock()
	x.mu.RLock()
	// No terms either: the term IDs a match may have cached (surface)
	// must stay right when the tables are replaced.
	empty := x.n == 0 && len(x.post) == 0
	x.mu.RUnlock()
	if !empty {
		x.wmu.Unlock()
	}
	l := &loader{x: x, workers: workers, seed: maphash.MakeSeed(), empty: empty,
		free: make(chan *loadChunk, loadInFlight), insert: make(chan *loadChunk, loadInFlight)}
	for range loadInFlight {
		l.free <- &loadChunk{}
	}
	l.work = make([]chan *loadChunk, workers)
	var wg sync.WaitGroup
	for w := range workers {
		l.work[w] = make(chan *loadChunk, loadInFlight)
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.parse(uint64(w))
		}()
	}
	var bad []loadError
	done := make(chan struct{})
	go func() {
		defer close(done)
		if empty {
			bad = l.build()
			x.wmu.Unlock()
		} else {
			bad = l.inserter()
		}
	}()

	c := <-l.free
	for id, q := range subs {
		c.ids = append(c.ids, id)
		c.qs = append(c.qs, q)
		if len(c.ids) == loadChunkSize {
			l.send(c)
			c = <-l.free
		}
	}
	if len(c.ids) > 0 {
		l.send(c)
	}
	for _, w := range l.work {
		close(w)
	}
	close(l.insert)
	wg.Wait()
	<-done
	if skipped != nil {
		for _, e := range bad {
			skipped(e.id, e.err)
		}
	}
}

// Load adds many subscriptions at once, as LoadSeq does. Malformed
// queries are skipped and reported together, in order; the others are
// added.
func (x *Index) Load(subs []alerts.Subscription) error {
	var errs []error
	x.LoadSeq(func(yield func(uint64, string) bool) {
		for _, s := range subs {
			if !yield(s.ID, s.Query) {
				return
			}
		}
	}, func(id uint64, err error) {
		errs = append(errs, fmt.Errorf("subscription %d: %w", id, err))
	})
	return errors.Join(errs...)
}

// A load reads subscriptions into chunks of loadChunkSize; at most
// loadInFlight chunks are being read, parsed or inserted at a time.
const (
	loadChunkSize = 4096
	loadInFlight  = 4
)

type loader struct {
	x       *Index
	workers int
	empty   bool // the index was empty when the load began: build apart
	seed    maphash.Seed
	free    chan *loadChunk   // chunks to fill
	work    []chan *loadChunk // to each parse worker
	insert  chan *loadChunk   // to the inserter, in order
}

// loadChunk is a run of subscriptions on their way into the index.
type loadChunk struct {
	ids     []uint64
	qs      []string
	hash    []uint64
	comp    []*compiled
	errs    []error
	pending atomic.Int32  // workers still parsing it
	ready   chan struct{} // closed when no worker is
}

// send hands a full chunk to the workers and, in order, to the inserter.
func (l *loader) send(c *loadChunk) {
	n := len(c.ids)
	c.hash = append(c.hash[:0], make([]uint64, n)...)
	c.comp = append(c.comp[:0], make([]*compiled, n)...)
	c.errs = append(c.errs[:0], make([]error, n)...)
	for i, q := range c.qs {
		c.hash[i] = maphash.String(l.seed, q)
	}
	c.pending.Store(int32(l.workers))
	c.ready = make(chan struct{})
	for _, w := range l.work {
		w <- c
	}
	l.insert <- c
}

// parse is worker w: it compiles the queries of each chunk whose hash falls
// to it, keeping a memo of the queries and words it has seen.
func (l *loader) parse(w uint64) {
	// The queries seen, by hash; a query whose hash is another's is parsed
	// on its own.
	memo := make(map[uint64]*compiled, 1024)
	pm := newParseMemo(1024)
	n := uint64(l.workers)
	for c := range l.work[w] {
		for i, h := range c.hash {
			if h%n != w {
				continue
			}
			q := c.qs[i]
			comp, ok := memo[h]
			if ok && comp.text == q {
				c.comp[i] = comp
				continue
			}
			parsed, err := parse(q, l.x.names, pm)
			if err == nil {
				comp = compileMemo(parsed, pm)
				err = comp.check()
			}
			if err != nil {
				c.errs[i] = err
				continue
			}
			comp.prepare(pm)
			comp.shared = true
			c.comp[i] = comp
			if !ok {
				memo[h] = comp
			}
		}
		if c.pending.Add(-1) == 0 {
			close(c.ready)
		}
		if len(memo) > loadMemoMax {
			// Forget, so that a load of millions holds no more than this
			// of what it parsed; popular queries come back soon.
			memo = make(map[uint64]*compiled, 1024)
			pm = newParseMemo(1024)
		}
	}
}

// loadMemoMax bounds how many distinct queries a load worker remembers.
var loadMemoMax = 1 << 18 // a variable for tests

type loadError struct {
	id  uint64
	err error
}

// inserter inserts the chunks in the order they were read into the
// index, each once its workers are done with it, and returns the
// subscriptions skipped.
func (l *loader) inserter() []loadError {
	x := l.x
	var bad []loadError
	x.lock()
	x.bulk = true
	x.mu.Unlock()
	for c := range l.insert {
		<-c.ready
		x.lock()
		for i, id := range c.ids {
			if comp := c.comp[i]; comp != nil {
				x.insertNew(id, comp, false)
			} else {
				bad = append(bad, loadError{id, c.errs[i]})
			}
		}
		x.mu.Unlock()
		l.recycle(c)
	}
	x.lock()
	x.aslab = nil
	x.bulk = false
	x.compact()
	x.mu.Unlock()
	return bad
}

// build is inserter for an empty index: the chunks go into tables of
// their own, without the ID and body tables while the IDs increase (every
// ID is new) and settled at the first that does not or at the end; the
// index then takes the tables.
func (l *loader) build() []loadError {
	x := l.x
	y := &Index{names: x.names}
	y.bulk = true
	var bad []loadError
	var last uint64
	settled := false
	for c := range l.insert {
		<-c.ready
		for i, id := range c.ids {
			comp := c.comp[i]
			if comp == nil {
				bad = append(bad, loadError{id, c.errs[i]})
				continue
			}
			if !settled && y.n > 0 && id <= last {
				y.settle()
				settled = true
			}
			last = id
			if settled {
				y.insertNew(id, comp, false)
			} else {
				y.insertBulk(id, comp)
			}
		}
		l.recycle(c)
	}
	if settled {
		y.aslab = nil
		y.compact()
	} else {
		y.settle()
	}
	y.bulk = false
	x.lock()
	x.tables = y.tables
	x.gen++
	x.mu.Unlock()
	return bad
}

// recycle returns a chunk to the reader.
func (l *loader) recycle(c *loadChunk) {
	clear(c.comp)
	clear(c.qs)
	c.ids, c.qs = c.ids[:0], c.qs[:0]
	l.free <- c
}
