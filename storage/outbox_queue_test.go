package storage

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// A target's queue reads back in order, whatever was added and removed,
// across the tail, its moves into chunks and the chunks' splits: checked
// against a sorted list after every step.
func TestQueueKeepsOrder(t *testing.T) {
	d := openTestAt(t, filepath.Join(t.TempDir(), "herald.db"), Options{NoSync: true})
	rng := rand.New(rand.NewPCG(1, 2))
	targets := []alerts.TargetID{tgA, tgB, dcC}
	model := map[alerts.TargetID][]queueEntry{}
	seq := uint64(0)
	times := []uint64{0, 0, 0, 5e18, 6e18} // mostly due now; some held
	for step := range 3000 {
		tg := targets[rng.IntN(len(targets))]
		es := model[tg]
		err := d.db.Update(func(tx *bolt.Tx) error {
			switch op := rng.IntN(10); {
			case op < 6 || len(es) == 0: // a new entry
				seq++
				e := queueEntry{times[rng.IntN(len(times))], seq}
				es = insertEntry(es, e)
				return queueAdd(tx, tg, e)
			case op < 8: // sent: the first goes
				e := es[0]
				es = es[1:]
				return queueRemove(tx, tg, e)
			default: // rescheduled, or any one gone
				i := rng.IntN(len(es))
				e := es[i]
				es = slices.Delete(es, i, i+1)
				if err := queueRemove(tx, tg, e); err != nil {
					return err
				}
				if op == 9 {
					e.nb = times[rng.IntN(len(times))] + 1
					es = insertEntry(es, e)
					return queueAdd(tx, tg, e)
				}
				return nil
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		model[tg] = slices.Clone(es)
		d.db.View(func(tx *bolt.Tx) error {
			var got []queueEntry
			if err := eachQueued(tx, tg, func(e queueEntry) bool { got = append(got, e); return true }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, es) {
				t.Fatalf("step %d: %s's queue reads %v, want %v", step, tg, got, es)
			}
			h, err := head(tx, tg)
			if err != nil || h.Count != len(es) || len(es) > 0 && (h.Seq != es[0].seq || !h.Next.Equal(es[0].notBefore())) {
				t.Fatalf("step %d: head %+v, %v; want %d entries, first %v", step, h, err, len(es), es[:min(1, len(es))])
			}
			return nil
		})
	}
	var chunks int
	d.db.View(func(tx *bolt.Tx) error { chunks = tx.Bucket(bOutboxDue).Stats().KeyN; return nil })
	if chunks < 3 {
		t.Errorf("only %d chunks: the test did not reach them", chunks)
	}
}

// A batch bigger than a chunk lands in order, in chunks no bigger than
// chunkMax, whether it comes after the queue or into its middle.
func TestQueueAddAllSplitsBigBatches(t *testing.T) {
	d := openTestAt(t, filepath.Join(t.TempDir(), "herald.db"), Options{NoSync: true})
	rng := rand.New(rand.NewPCG(5, 6))
	var model, batch []queueEntry
	for round := range 3 {
		batch = batch[:0]
		for i := range 500 {
			batch = append(batch, queueEntry{uint64(rng.IntN(1000)), uint64(round*1000 + i + 1)})
		}
		slices.SortFunc(batch, compareEntries)
		for _, e := range batch {
			model = insertEntry(model, e)
		}
		err := d.db.Update(func(tx *bolt.Tx) error { return queueAddAll(tx, tgA, batch) })
		if err != nil {
			t.Fatal(err)
		}
	}
	d.db.View(func(tx *bolt.Tx) error {
		var got []queueEntry
		if err := eachQueued(tx, tgA, func(e queueEntry) bool { got = append(got, e); return true }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, model) {
			t.Fatalf("queue reads %d entries out of order or lost, want %d", len(got), len(model))
		}
		if h, err := head(tx, tgA); err != nil || h.Count != len(model) || h.Seq != model[0].seq {
			t.Fatalf("head %+v, %v", h, err)
		}
		return tx.Bucket(bOutboxDue).ForEach(func(k, v []byte) error {
			if es, _ := readEntries(v); len(es) > chunkMax {
				t.Errorf("a chunk of %d entries", len(es))
			}
			return nil
		})
	})
}
