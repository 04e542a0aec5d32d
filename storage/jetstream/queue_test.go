package jetstream

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// The index stays a prefix of the queue's order, and its count never falls
// below the entries there are, whatever order adds, moves and removes come
// in.
func TestQueueIndexStaysAPrefix(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	type op struct {
		kind string // add, move, remove, refill
		id   string
		nb   int64
	}
	cases := []struct {
		name string
		ops  []op
		// want is the order of the ids left, and n the count.
		want []string
	}{
		{"adds in order", []op{{"add", "a", 0}, {"add", "b", 0}, {"add", "c", 0}}, []string{"a", "b", "c"}},
		{"held after due", []op{{"add", "held", 9e18}, {"add", "now", 0}}, []string{"now", "held"}},
		{"move later", []op{{"add", "a", 0}, {"add", "b", 0}, {"move", "a", 5}}, []string{"b", "a"}},
		{"move earlier", []op{{"add", "a", 5}, {"add", "b", 6}, {"move", "b", 1}}, []string{"b", "a"}},
		{"remove", []op{{"add", "a", 0}, {"add", "b", 0}, {"remove", "a", 0}}, []string{"b"}},
		{"remove unknown", []op{{"add", "a", 0}, {"remove", "x", 0}}, []string{"a"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var q queueIndex
			seqs := map[string]uint64{}
			for _, o := range c.ops {
				switch o.kind {
				case "add":
					seqs[o.id] = q.nextSeq(now)
					q.add(queueItem{NB: o.nb, Seq: seqs[o.id], ID: o.id}, now)
				case "move":
					q.move(queueItem{NB: o.nb, Seq: seqs[o.id], ID: o.id})
				case "remove":
					q.remove(o.id, seqs[o.id], now)
				}
			}
			var got []string
			for _, it := range q.W {
				got = append(got, it.ID)
			}
			if !slices.Equal(got, c.want) || q.N != len(c.want) {
				t.Errorf("window %v, count %d; want %v, %d", got, q.N, c.want, len(c.want))
			}
		})
	}
}

// A queue longer than the window: the window keeps its first items in
// order, a new item that sorts before its end joins it, one after it is
// only counted, and a refill from the entries gives the next ones.
func TestQueueIndexWindowAndRefill(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var q queueIndex
	var all []queueItem
	for i := range 100 {
		it := queueItem{NB: int64(1000 + i), Seq: q.nextSeq(now), ID: fmt.Sprint(i)}
		all = append(all, it)
		q.add(it, now)
	}
	if q.N != 100 || len(q.W) != queueWindow || q.W[0].ID != "0" || q.W[queueWindow-1].ID != fmt.Sprint(queueWindow-1) {
		t.Fatalf("count %d, window %d from %s to %s", q.N, len(q.W), q.W[0].ID, q.W[len(q.W)-1].ID)
	}
	early := queueItem{NB: 1, Seq: q.nextSeq(now), ID: "early"}
	q.add(early, now)
	all = append(all, early)
	if q.W[0].ID != "early" || len(q.W) != queueWindow || q.N != 101 {
		t.Fatalf("an early item: window starts %s, %d long, count %d", q.W[0].ID, len(q.W), q.N)
	}
	for _, it := range slices.Clone(q.W) {
		q.remove(it.ID, it.Seq, now)
	}
	if len(q.W) != 0 || q.N != 101-queueWindow {
		t.Fatalf("after the window was sent: window %d, count %d", len(q.W), q.N)
	}
	// The refill lists the entries left (those not sent).
	slices.SortFunc(all, cmpItems)
	left := all[queueWindow:]
	q.refill(slices.Clone(left), now.Add(time.Hour)) // recent items have aged out
	if q.N != len(left) || q.W[0] != left[0] || len(q.W) != queueWindow {
		t.Fatalf("refill: count %d (want %d), window from %+v", q.N, len(left), q.W[0])
	}
}

// A refill keeps an item counted but not yet created (its writer is between
// the two writes), and drops an old one whose entry never came.
func TestQueueIndexRefillKeepsItemsOnTheirWay(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var q queueIndex
	old := queueItem{Seq: uint64(now.Add(-time.Hour).UnixNano()), ID: "crashed"}
	q.add(old, now.Add(-time.Hour))
	coming := queueItem{Seq: q.nextSeq(now), ID: "coming"}
	q.add(coming, now)
	listed := []queueItem{{Seq: 5, ID: "stored"}}
	q.refill(listed, now.Add(time.Second))
	var got []string
	for _, it := range q.W {
		got = append(got, it.ID)
	}
	if want := []string{"stored", "coming"}; !slices.Equal(got, want) || q.N != 2 {
		t.Fatalf("refill gave %v (count %d), want %v", got, q.N, want)
	}
}
