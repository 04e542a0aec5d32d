package storage

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// The entries an article queues go into the outbox at once, but into their
// targets' queues (outbox_tail, outbox_due) a batch at a time: an article
// that matched 300 chats would otherwise rewrite 300 tails, scattered over
// as many pages, in the commit that acknowledges it. Every entry whose Seq
// is past the watermark (meta key outbox_indexed) is in the outbox but not
// yet in its queue; the readers of queues (eachQueued, head, Heads) add
// those from the outbox itself, in the same transaction, so what they
// return is exact. When indexBatch Seqs have passed the watermark, the
// enqueue that passes it adds them all to their queues and drops the
// watermark: the tails of a burst's 300 chats are written once for a few
// articles instead of once for each. Without the key, every entry is in
// its queue (the layout before the watermark, and after Repair).
var keyOutboxIndexed = []byte("outbox_indexed")

// indexBatch is how many Seqs may pass the watermark before they are added
// to their queues. Each read of a queue scans the entries past it.
var indexBatch uint64 = 2048

// pendingQuiet is how long after the last enqueue a send's write adds the
// entries still past the watermark to their queues. A burst fills a batch
// in milliseconds, but its last, partial batch would otherwise wait for
// the next enqueues, hours on a quiet night, with every read of a queue
// scanning it meanwhile.
const pendingQuiet = time.Second

// enqueued notes that deliveries were queued now.
func (d *DB) enqueued() { d.lastEnqueue.Store(time.Now().UnixNano()) }

// queueIfQuiet adds the entries past the watermark to their queues when
// nothing was queued for pendingQuiet.
func (d *DB) queueIfQuiet(tx *bolt.Tx) error {
	if time.Since(time.Unix(0, d.lastEnqueue.Load())) < pendingQuiet {
		return nil
	}
	return queuePending(tx, true)
}

// watermark returns the Seq up to which every entry is in its queue; ok is
// false when all are.
func watermark(tx *bolt.Tx) (w uint64, ok bool) {
	v := tx.Bucket(bMeta).Get(keyOutboxIndexed)
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// inQueue reports whether the entry under seq is in its target's queue.
func inQueue(tx *bolt.Tx, seq uint64) bool {
	w, ok := watermark(tx)
	return !ok || seq <= w
}

// deferQueue keeps the new entry under seq out of its target's queue
// until the next batch. Seqs only grow, so a watermark just below the
// first entry deferred covers every later one.
func deferQueue(tx *bolt.Tx, seq uint64) error {
	if _, ok := watermark(tx); ok {
		return nil
	}
	return tx.Bucket(bMeta).Put(keyOutboxIndexed, u64(seq-1))
}

// unqueued returns the entries past the watermark, in order, by target:
// all targets', or only target's when it is not empty.
func unqueued(tx *bolt.Tx, target alerts.TargetID) (map[alerts.TargetID][]queueEntry, error) {
	w, ok := watermark(tx)
	if !ok {
		return nil, nil
	}
	out := map[alerts.TargetID][]queueEntry{}
	c := tx.Bucket(bOutbox).Cursor()
	for k, v := c.Seek(u64(w + 1)); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return nil, fmt.Errorf("outbox entry under a key of %d bytes", len(k))
		}
		tg, e, ok, err := peekQueue(binary.BigEndian.Uint64(k), v, target)
		if err != nil {
			return nil, fmt.Errorf("outbox entry %x: %w", k, err)
		}
		if ok {
			out[tg] = append(out[tg], e)
		}
	}
	for _, es := range out {
		slices.SortFunc(es, compareEntries)
	}
	return out, nil
}

// queuePending adds every entry past the watermark to its target's queue
// once indexBatch Seqs have passed it (always when force), and drops it.
func queuePending(tx *bolt.Tx, force bool) error {
	w, ok := watermark(tx)
	if !ok || !force && tx.Bucket(bOutbox).Sequence()-w < indexBatch {
		return nil
	}
	pending, err := unqueued(tx, "")
	if err != nil {
		return err
	}
	if err := tx.Bucket(bMeta).Delete(keyOutboxIndexed); err != nil {
		return err
	}
	for tg, es := range pending {
		if err := queueAddAll(tx, tg, es); err != nil {
			return err
		}
	}
	return nil
}

// mergeEntries calls fn for the entries of a and b in order until it
// returns false; a is read by each, b is sorted.
func mergeEntries(each func(func(queueEntry) bool) error, b []queueEntry, fn func(queueEntry) bool) error {
	stopped := false
	err := each(func(e queueEntry) bool {
		for len(b) > 0 && b[0].before(e) {
			if !fn(b[0]) {
				stopped = true
				return false
			}
			b = b[1:]
		}
		if !fn(e) {
			stopped = true
			return false
		}
		return true
	})
	if err != nil || stopped {
		return err
	}
	for _, e := range b {
		if !fn(e) {
			return nil
		}
	}
	return nil
}
