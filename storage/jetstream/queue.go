package jetstream

import (
	"slices"
	"time"

	"github.com/herald-news/herald/alerts"
)

// A target's queue in the outbox bucket is its entries, one key each
// ("e.<partition>.<target>.<id>"), and one index key ("q.<partition>.<target>")
// that says how many there are and which come first: a window of at most
// queueWindow items in the order Due hands them out (NotBefore, then Seq).
// The scheduler's reads touch the index and the entries they return, never
// the rest of the backlog: Heads reads one index per waiting target, Head
// one index, Due one index and the entries it returns. When the window
// runs short of what Due may return while more entries wait, it is refilled
// from the target's entries: one listing of one target's queue for every
// queueWindow-limit deliveries sent, the only read whose cost grows with a
// (single target's) backlog.
//
// Nothing writes the index and an entry at once. The order of writes keeps
// every count an over-count, which costs a look, never an under-count,
// which would lose an entry from the scheduler's sight:
//
//   - a new entry is counted in the index before it is created;
//   - an entry is deleted before it is uncounted;
//   - an entry whose NotBefore moves earlier is moved in the index first,
//     and one whose NotBefore moves later is written first.
//
// A crash between the two writes leaves an index item without its entry (a
// phantom), or an item due earlier than its entry: Due finds each when it
// reads the entry, and mends the index. Items counted but not yet created
// are young (an item's Seq is the time it was counted, in nanoseconds), and
// Due leaves a young item without an entry alone for phantomAge: its
// entry is on its way.

// queueWindow is how many of a target's first items its index lists.
const queueWindow = 32

// phantomAge is how long an index item may wait for its entry to be
// created before Due counts it a phantom (its writer died in between).
const phantomAge = 30 * time.Second

// queueItem is one entry as its target's index knows it.
type queueItem struct {
	// NB is the entry's NotBefore in Unix nanoseconds; 0 is due now.
	NB  int64  `json:"b,omitempty"`
	Seq uint64 `json:"s"`
	ID  string `json:"i"`
}

func itemOf(d alerts.Delivery) queueItem {
	return queueItem{NB: nanos(d.NotBefore), Seq: d.Seq, ID: d.ID}
}

func nanos(t time.Time) int64 {
	if t.IsZero() || t.UnixNano() < 0 {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// before orders items as Due hands them out.
func (a queueItem) before(b queueItem) bool {
	if a.NB != b.NB {
		return a.NB < b.NB
	}
	return a.Seq < b.Seq
}

func cmpItems(a, b queueItem) int {
	switch {
	case a.before(b):
		return -1
	case b.before(a):
		return 1
	}
	return 0
}

// young reports whether an item was counted within phantomAge of now.
func (a queueItem) young(now time.Time) bool {
	return now.Sub(time.Unix(0, int64(a.Seq))) < phantomAge
}

// queueIndex is a target's index key. W is always a prefix of the
// target's items in order (all of them when len(W) == N); N may count
// more than there are (see the write order above), never fewer. Recent
// holds the items counted within phantomAge, in the window or not, so
// that a refill, which lists the entries, keeps those still being created.
type queueIndex struct {
	N      int         `json:"n"`
	Max    uint64      `json:"m"` // the highest Seq given in this queue
	W      []queueItem `json:"w,omitempty"`
	Recent []queueItem `json:"r,omitempty"`
}

// complete says the window holds every item.
func (q *queueIndex) complete() bool { return len(q.W) >= q.N }

// nextSeq is a new item's Seq: the time in nanoseconds, and above every
// Seq this queue gave before (a clock that went back, two in one
// nanosecond).
func (q *queueIndex) nextSeq(now time.Time) uint64 {
	return max(uint64(now.UnixNano()), q.Max+1)
}

// place puts an item into the window if it belongs there, so that the
// window stays a prefix of the order; all says the window held every other
// item.
func (q *queueIndex) place(it queueItem, all bool) {
	if !all && (len(q.W) == 0 || !it.before(q.W[len(q.W)-1])) {
		return // it comes after the window: a refill finds it
	}
	i, _ := slices.BinarySearchFunc(q.W, it, cmpItems)
	q.W = slices.Insert(q.W, i, it)
	if len(q.W) > queueWindow {
		q.W = q.W[:queueWindow]
	}
}

// add counts a new item.
func (q *queueIndex) add(it queueItem, now time.Time) {
	all := q.complete()
	q.N++
	q.Max = max(q.Max, it.Seq)
	q.place(it, all)
	q.Recent = append(q.pruneRecent(now), it)
}

func (q *queueIndex) pruneRecent(now time.Time) []queueItem {
	return slices.DeleteFunc(q.Recent, func(it queueItem) bool { return !it.young(now) })
}

// find returns where an item with id and seq is in the window, or -1.
func find(items []queueItem, id string, seq uint64) int {
	return slices.IndexFunc(items, func(it queueItem) bool { return it.ID == id && (seq == 0 || it.Seq == seq) })
}

// remove uncounts the item with id (and seq, unless 0), if the index knows
// it: in the window, or counted lately. An item it does not know was
// counted out by a refill, or left the window at its end and stays counted
// until the next refill (an over-count).
func (q *queueIndex) remove(id string, seq uint64, now time.Time) bool {
	q.Recent = q.pruneRecent(now)
	found := false
	if i := find(q.Recent, id, seq); i >= 0 {
		q.Recent = slices.Delete(q.Recent, i, i+1)
		found = true
	}
	if i := find(q.W, id, seq); i >= 0 {
		q.W = slices.Delete(q.W, i, i+1)
		found = true
	}
	if found {
		q.N--
	}
	return found
}

// move changes an item's NotBefore, keeping its place in the count: an
// item the index does not know is counted (an over-count at worst).
func (q *queueIndex) move(it queueItem) {
	if i := find(q.Recent, it.ID, 0); i >= 0 {
		q.Recent[i] = it
	}
	if i := find(q.W, it.ID, 0); i >= 0 {
		q.W = slices.Delete(q.W, i, i+1)
		q.N--
	} else if !q.complete() {
		q.place(it, false) // counted beyond the window
		return
	}
	all := q.complete()
	q.N++
	q.place(it, all)
}

// refill rebuilds the index from the target's entries as listed, keeping
// the recent items not listed yet (their entries are being created).
func (q *queueIndex) refill(listed []queueItem, now time.Time) {
	all := slices.Clone(listed)
	for _, it := range q.pruneRecent(now) {
		if find(listed, it.ID, 0) < 0 {
			all = append(all, it)
		}
	}
	slices.SortFunc(all, cmpItems)
	q.N = len(all)
	for _, it := range all {
		q.Max = max(q.Max, it.Seq)
	}
	q.W = slices.Clip(all[:min(len(all), queueWindow)])
	q.Recent = q.pruneRecent(now)
}

// head is the QueueHead the index gives (a window that ran empty while
// items remain must be refilled first).
func (q *queueIndex) head(t alerts.TargetID) alerts.QueueHead {
	h := alerts.QueueHead{Target: t, Count: max(q.N, 0)}
	if h.Count > 0 && len(q.W) > 0 {
		h.Next, h.Seq = fromNanos(q.W[0].NB), q.W[0].Seq
	}
	return h
}
