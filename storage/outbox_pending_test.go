package storage

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// The queues read the same whether an entry is in its target's queue yet
// or still past the watermark: enqueues, sends, retries, drops and a
// reopen, in a random order with a batch of 5 (so that batches run often
// and leave entries on both sides), checked after every step against a
// model of each target's queue through the readers the scheduler uses.
func TestQueuesReadExactAcrossTheWatermark(t *testing.T) {
	defer func(n uint64) { indexBatch = n }(indexBatch)
	indexBatch = 5
	path := filepath.Join(t.TempDir(), "herald.db")
	d := openTestAt(t, path, Options{NoSync: true})
	rng := rand.New(rand.NewPCG(3, 4))
	targets := []alerts.TargetID{tgA, tgB, dcC}
	type queued struct {
		dl alerts.Delivery
		nb time.Time
	}
	model := map[alerts.TargetID][]queued{}
	order := func(q []queued) []queued {
		q = slices.Clone(q)
		slices.SortStableFunc(q, func(a, b queued) int {
			if c := a.nb.Compare(b.nb); c != 0 {
				return c
			}
			return int(a.dl.Seq) - int(b.dl.Seq)
		})
		return q
	}
	later := t0.Add(time.Hour)
	story := 0
	sawPending, sawQueued := false, false
	for step := range 600 {
		tg := targets[rng.IntN(len(targets))]
		q := order(model[tg])
		switch op := rng.IntN(10); {
		case op < 5 || len(q) == 0: // an article queues alerts for one or more chats
			var ds []alerts.Delivery
			for _, to := range targets[:1+rng.IntN(len(targets))] {
				story++
				dl := alertDelivery(to, fmt.Sprint("s", story))
				if rng.IntN(4) == 0 {
					dl.NotBefore = later.Add(time.Duration(rng.IntN(100)) * time.Minute)
				}
				ds = append(ds, dl)
			}
			if err := d.Enqueue(ds...); err != nil {
				t.Fatal(err)
			}
			for _, dl := range ds {
				got, err := d.Queued(dl.Target)
				if err != nil {
					t.Fatal(err)
				}
				i := slices.IndexFunc(got, func(g alerts.Delivery) bool { return g.ID == dl.ID })
				if i < 0 {
					t.Fatalf("step %d: %s not queued after Enqueue", step, dl.ID)
				}
				model[dl.Target] = append(model[dl.Target], queued{got[i], dl.NotBefore})
			}
		case op < 7: // the first due is sent
			due, _, err := d.Due(tg, later.Add(1000*time.Hour), 1)
			if err != nil || len(due) != 1 || due[0].ID != q[0].dl.ID {
				t.Fatalf("step %d: Due = %v, %v; want %s", step, due, err, q[0].dl.ID)
			}
			if err := d.CompleteAll(due, []alerts.Sent{sentFor(due[0], "m", t0)}); err != nil {
				t.Fatal(err)
			}
			model[tg] = slices.DeleteFunc(model[tg], func(x queued) bool { return x.dl.ID == due[0].ID })
		case op < 9: // one fails and waits
			x := q[rng.IntN(len(q))]
			x.dl.NotBefore = later.Add(time.Duration(rng.IntN(100)) * time.Minute)
			x.dl.Attempts++
			if err := d.Reschedule(x.dl); err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(model[tg], func(y queued) bool { return y.dl.ID == x.dl.ID })
			model[tg][i] = queued{x.dl, x.dl.NotBefore}
		default: // one is given up
			x := q[rng.IntN(len(q))]
			if err := d.Drop(x.dl, "gone"); err != nil {
				t.Fatal(err)
			}
			model[tg] = slices.DeleteFunc(model[tg], func(y queued) bool { return y.dl.ID == x.dl.ID })
		}
		if step%97 == 0 {
			d.Close()
			d = openTestAt(t, path, Options{NoSync: true})
		}
		d.db.View(func(tx *bolt.Tx) error {
			if _, ok := watermark(tx); ok {
				sawPending = true
			}
			if tx.Bucket(bOutboxTail).Stats().KeyN > 0 {
				sawQueued = true
			}
			return nil
		})
		heads, err := d.Heads()
		if err != nil {
			t.Fatal(err)
		}
		byTarget := map[alerts.TargetID]alerts.QueueHead{}
		for _, h := range heads {
			byTarget[h.Target] = h
		}
		for _, tg := range targets {
			want := order(model[tg])
			h := byTarget[tg]
			if h.Count != len(want) || len(want) > 0 && (h.Seq != want[0].dl.Seq || !h.Next.Equal(want[0].nb)) {
				t.Fatalf("step %d: %s's head %+v, want %d entries, first seq %v", step, tg, h, len(want), want[:min(1, len(want))])
			}
			if one, err := d.Head(tg); err != nil || one != h && len(want) > 0 {
				t.Fatalf("step %d: Head(%s) = %+v, %v; Heads has %+v", step, tg, one, err, h)
			}
			due, _, err := d.Due(tg, later.Add(1000*time.Hour), 1000)
			if err != nil {
				t.Fatal(err)
			}
			var got, wantIDs []string
			for _, dl := range due {
				got = append(got, dl.ID)
			}
			for _, x := range want {
				wantIDs = append(wantIDs, x.dl.ID)
			}
			if !slices.Equal(got, wantIDs) {
				t.Fatalf("step %d: %s's queue reads %v, want %v", step, tg, got, wantIDs)
			}
		}
	}
	if !sawPending || !sawQueued {
		t.Errorf("the test did not reach both sides of the watermark (past it: %v, in queues: %v)", sawPending, sawQueued)
	}
}

// The last, partial batch of a burst does not stay past the watermark once
// enqueues stop: the next send after a quiet while queues it, so reads of
// the queues stop scanning it; and the watermark is the store's own, not a
// named value an export carries.
func TestPendingQueuedAfterAQuietWhile(t *testing.T) {
	defer func(n uint64) { indexBatch = n }(indexBatch)
	indexBatch = 100
	d := openTest(t)
	var ds []alerts.Delivery
	for i := range 3 {
		ds = append(ds, alertDelivery(tgA, fmt.Sprint("quiet", i)))
	}
	if err := d.Enqueue(ds...); err != nil {
		t.Fatal(err)
	}
	pending := func() bool {
		var ok bool
		d.db.View(func(tx *bolt.Tx) error { _, ok = watermark(tx); return nil })
		return ok
	}
	send := func() {
		t.Helper()
		due, _, err := d.Due(tgA, t0.Add(1000*time.Hour), 1)
		if err != nil || len(due) != 1 {
			t.Fatalf("Due = %d, %v", len(due), err)
		}
		if err := d.CompleteAll(due, []alerts.Sent{sentFor(due[0], "m", t0)}); err != nil {
			t.Fatal(err)
		}
	}
	if !pending() {
		t.Fatal("setup: the entries were queued at once")
	}
	if err := d.ForEachMeta(func(k string, _ []byte) error {
		if k == string(keyOutboxIndexed) {
			t.Errorf("ForEachMeta exports %s", k)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	send() // right after the enqueue: the batch may still grow
	if !pending() {
		t.Fatal("a send right after an enqueue queued the batch")
	}
	d.lastEnqueue.Store(time.Now().Add(-2 * pendingQuiet).UnixNano())
	send()
	if pending() {
		t.Fatal("a send after a quiet while left entries past the watermark")
	}
	if got, err := d.Queued(tgA); err != nil || len(got) != 1 || got[0].ID != ds[2].ID {
		t.Fatalf("Queued = %d entries, %v; want the last one", len(got), err)
	}
}

// A queue whose count damage left short keeps every entry it lists: the
// send that takes the count to zero does not drop the tail with the
// others still in it.
func TestShortQueueCountLosesNoEntry(t *testing.T) {
	defer func(n uint64) { indexBatch = n }(indexBatch)
	indexBatch = 1 // every entry in its queue at once
	d := openTest(t)
	ds := []alerts.Delivery{alertDelivery(tgA, "short1"), alertDelivery(tgA, "short2")}
	if err := d.Enqueue(ds...); err != nil {
		t.Fatal(err)
	}
	if err := d.db.Update(func(tx *bolt.Tx) error {
		tl, err := getTail(tx, tgA)
		if err != nil || len(tl.es) != 2 {
			return fmt.Errorf("setup: tail %+v, %v", tl, err)
		}
		tl.count = 1 // as damage could leave it
		return putTail(tx, tgA, tl)
	}); err != nil {
		t.Fatal(err)
	}
	due, _, err := d.Due(tgA, t0.Add(1000*time.Hour), 1)
	if err != nil || len(due) != 1 {
		t.Fatalf("Due = %d, %v", len(due), err)
	}
	if err := d.CompleteAll(due, []alerts.Sent{sentFor(due[0], "m", t0)}); err != nil {
		t.Fatal(err)
	}
	if got, err := d.Queued(tgA); err != nil || len(got) != 1 {
		t.Fatalf("after one of two was sent, Queued = %d entries, %v; want the other", len(got), err)
	}
}
