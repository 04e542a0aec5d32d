package match

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/herald-news/herald/alerts"
)

// Index answers which subscriptions an article satisfies, at a cost that
// follows the article and its matches, not the number of subscriptions.
//
// Each distinct query is compiled once into a small program over term IDs
// (a body, shared by every subscription to that query: body.go) and
// indexed under the terms of one "anchor" clause: a set of terms one of
// which every matching article must contain (the cheapest such set, by a
// static estimate of how common each term is). An article is tokenized
// once; its words are looked up in the term dictionary and stamped into a
// per-matcher array; only the bodies on the posting lists of its terms are
// candidates, and each candidate's program is checked against the stamps
// (single words and OR-groups of words, such as actors, need no check);
// a body that matches gives all its subscriptions.
//
// Add and Remove may run while Match runs in other goroutines; a match
// gives way to writers at short intervals, so a new subscription is
// matchable within microseconds. Nothing is ever rebuilt as a whole.
type Index struct {
	names *Names

	// Read by every match, written only by writers. The fields written by
	// every match (the locks) are kept off these cache lines.
	gen   uint64       // bumped by every change, so a yielding match can notice
	wpend atomic.Int32 // writers waiting for the lock

	tables

	text func(id uint64) (string, bool) // see ExplainFrom

	surf atomic.Pointer[surface] // for a large dictionary

	_  [64]byte
	mu sync.RWMutex
	_  [64]byte
	// wmu serializes writers: a load into an empty index holds it
	// throughout, building its tables apart (load.go).
	wmu sync.Mutex

	smu    sync.Mutex
	states []*mstate
	_      [64]byte
}

// tables are what the index knows of its subscriptions: a load into an
// empty index builds them apart and hands them over whole.
type tables struct {
	dict  dict
	tcost []uint8    // per term: anchor cost (lower is rarer)
	post  []uint32   // per term: postings and flags, see postList
	lists [][]uint32 // posting lists of two or more, by index
	lfree []uint32   // unused indexes of lists

	ar        arena
	bodies    offTable   // body offsets, by their program's key
	ids       offTable   // body offsets, one per subscription, by the hash of its ID
	slots     slotAlloc  // per body
	bodyDrops uint64     // bodies removed or moved so far
	bulk      bool       // a Load is inserting: tables grow fourfold
	subLists  [][]uint64 // subscribers of bodies with more than one, by index
	subFree   []uint32   // unused indexes of subLists
	n         int        // subscriptions

	// pairBits is a one-hash Bloom filter of the bigram terms, ~16 bits
	// each, so that most word pairs of an article cost no dictionary probe.
	pairBits  []uint64
	pairN     int
	pairTerms []uint64 // bitset of the terms that are bigrams

	// Scratch space of anchors.
	abuf []uint32
	ast  []anchorSet
	// Load's slab for the anchors of shared queries; dropped at its end.
	aslab []uint32
}

// lock takes the write lock, telling matches that a writer waits.
func (x *Index) lock() {
	x.wpend.Add(1)
	x.mu.Lock()
	x.wpend.Add(-1)
}

// runlock ends a match's read lock. If a writer waits, the match yields
// its processor: the writer was woken onto it if this was the last reader,
// and would otherwise wait for the match's next article (tokenizing takes
// tens of microseconds) to run.
func (x *Index) runlock() {
	x.mu.RUnlock()
	if x.wpend.Load() != 0 {
		runtime.Gosched()
	}
}

// NewIndex returns an empty index whose queries expand actors (nil: none).
func NewIndex(names *Names) *Index {
	return &Index{names: names}
}

// Add compiles and indexes the subscription's query, replacing any
// subscription with the same ID. It returns a *alerts.QueryError for a
// malformed query.
func (x *Index) Add(s alerts.Subscription) error {
	q, err := Parse(s.Query, x.names)
	if err != nil {
		return err
	}
	c := compileQuery(q)
	if err := c.check(); err != nil {
		return err
	}
	x.wmu.Lock()
	x.lock()
	x.insertLocked(s.ID, c)
	x.mu.Unlock()
	x.wmu.Unlock()
	return nil
}

// Remove drops a subscription; unknown IDs are ignored.
func (x *Index) Remove(id uint64) {
	x.wmu.Lock()
	x.lock()
	x.removeSub(id)
	x.mu.Unlock()
	x.wmu.Unlock()
}

// Len returns the number of subscriptions.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// Has reports whether the index has the subscription id.
func (x *Index) Has(id uint64) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, ok := x.findSub(id)
	return ok
}

// ExplainFrom tells Match where to read the query text of a subscription
// to explain its hits: the index keeps no texts of its own, since its
// owner has them. text is called without the index's lock held, for every
// hit. Without it, or for an ID it does not know, Match gives a hit
// without the terms that fired; an owner that reads the queries of only
// some hits (the bot reads them from its store for the chats it alerts)
// leaves it unset and explains those through Explainer.
func (x *Index) ExplainFrom(text func(id uint64) (string, bool)) {
	x.mu.Lock()
	x.text = text
	x.mu.Unlock()
}

// findSub returns the body of the subscription id.
func (x *Index) findSub(id uint64) (uint32, bool) {
	return x.ids.find(idHash(id), func(off uint32) bool { return x.hasSubscriber(off, id) })
}
