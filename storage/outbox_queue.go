package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// A target's queue is the order of its outbox entries, by NotBefore and
// then Seq (a queueEntry each), kept in two buckets so that the scheduler
// reads a target's next deliveries and its count without anyone else's:
//
//	outbox_tail target → how many entries the target has, the least entry
//	            the tail may hold (lo), and its newest entries (up to
//	            tailMax), packed
//	outbox_due  target 0 NotBefore Seq of its first entry → a chunk of
//	            the target's older entries (up to chunkMax), packed
//
// Every entry in a target's chunks comes before lo, and every entry of its
// tail at or after it. New entries go to the tail, and when it passes
// tailMax its older entries move into a chunk of their own. So an article
// that matched 300 chats rewrites their 300 small tails, which share a few
// pages, instead of one page of outbox_due for each chat (as a key per
// entry did before schema version 6, and outbox_count beside it). Entries
// are packed as uvarint NotBefore and zigzag varint Seq, each the
// difference from the entry before (the first from zero).
var bOutboxTail = []byte("outbox_tail")

var bOutboxCount = []byte("outbox_count") // before version 6

const (
	tailMax  = 48 // entries a tail holds before its older ones become a chunk
	tailKeep = 8  // entries it keeps then
	chunkMax = 96 // entries a chunk holds before it splits in two
)

// queueEntry is an outbox entry's place in its target's queue.
type queueEntry struct{ nb, seq uint64 }

func entryOf(rec outboxRecord, seq uint64) queueEntry {
	return queueEntry{dueNanos(rec.NotBefore), seq}
}

func (e queueEntry) before(o queueEntry) bool {
	return e.nb < o.nb || e.nb == o.nb && e.seq < o.seq
}

func (e queueEntry) notBefore() time.Time {
	if e.nb == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(e.nb)).UTC()
}

func dueNanos(t time.Time) uint64 {
	if t.IsZero() || t.UnixNano() < 0 {
		return 0
	}
	return uint64(t.UnixNano())
}

// chunkKey is the outbox_due key of a chunk whose first entry is e.
func chunkKey(target alerts.TargetID, e queueEntry) []byte {
	k := make([]byte, 0, len(target)+17)
	k = append(append(k, target...), 0)
	k = binary.BigEndian.AppendUint64(k, e.nb)
	return binary.BigEndian.AppendUint64(k, e.seq)
}

// duePrefix is the prefix of a target's keys in outbox_due.
func duePrefix(target alerts.TargetID) []byte { return append([]byte(target), 0) }

func appendEntries(buf []byte, es []queueEntry) []byte {
	var prev queueEntry
	for _, e := range es {
		buf = binary.AppendUvarint(buf, e.nb-prev.nb)
		buf = binary.AppendVarint(buf, int64(e.seq-prev.seq))
		prev = e
	}
	return buf
}

func readEntries(v []byte) ([]queueEntry, error) {
	es := make([]queueEntry, 0, tailMax)
	var prev queueEntry
	for len(v) > 0 {
		dn, w := binary.Uvarint(v)
		if w <= 0 {
			return nil, fmt.Errorf("malformed outbox queue")
		}
		ds, w2 := binary.Varint(v[w:])
		if w2 <= 0 {
			return nil, fmt.Errorf("malformed outbox queue")
		}
		v = v[w+w2:]
		prev = queueEntry{prev.nb + dn, prev.seq + uint64(ds)}
		es = append(es, prev)
	}
	return es, nil
}

// queueTail is a target's outbox_tail record.
type queueTail struct {
	count int
	lo    queueEntry
	es    []queueEntry
}

func getTail(tx *bolt.Tx, target alerts.TargetID) (queueTail, error) {
	var t queueTail
	v := tx.Bucket(bOutboxTail).Get([]byte(target))
	if v == nil {
		return t, nil
	}
	var n [3]uint64
	for i := range n {
		x, w := binary.Uvarint(v)
		if w <= 0 {
			return t, fmt.Errorf("outbox queue of %s: malformed", target)
		}
		n[i], v = x, v[w:]
	}
	es, err := readEntries(v)
	if err != nil {
		return t, fmt.Errorf("outbox queue of %s: %w", target, err)
	}
	t.count, t.lo, t.es = int(n[0]), queueEntry{n[1], n[2]}, es
	return t, nil
}

func putTail(tx *bolt.Tx, target alerts.TargetID, t queueTail) error {
	b := tx.Bucket(bOutboxTail)
	if t.count <= 0 && len(t.es) == 0 {
		return b.Delete([]byte(target))
	}
	t.count = max(t.count, len(t.es)) // a count damage left short never hides an entry
	v := binary.AppendUvarint(nil, uint64(t.count))
	v = binary.AppendUvarint(v, t.lo.nb)
	v = binary.AppendUvarint(v, t.lo.seq)
	return b.Put([]byte(target), appendEntries(v, t.es))
}

// insertEntry puts e in order into es.
func insertEntry(es []queueEntry, e queueEntry) []queueEntry {
	i, _ := slices.BinarySearchFunc(es, e, compareEntries)
	return slices.Insert(es, i, e)
}

// removeEntry takes e out of es, and reports whether it was there.
func removeEntry(es []queueEntry, e queueEntry) ([]queueEntry, bool) {
	i, found := slices.BinarySearchFunc(es, e, compareEntries)
	if !found {
		return es, false
	}
	return slices.Delete(es, i, i+1), true
}

func compareEntries(a, b queueEntry) int {
	switch {
	case a.before(b):
		return -1
	case b.before(a):
		return 1
	}
	return 0
}

// queueAdd adds an entry to its target's queue.
func queueAdd(tx *bolt.Tx, target alerts.TargetID, e queueEntry) error {
	return queueAddAll(tx, target, []queueEntry{e})
}

// queueAddAll adds entries to their target's queue, reading and writing
// its tail once.
func queueAddAll(tx *bolt.Tx, target alerts.TargetID, es []queueEntry) error {
	t, err := getTail(tx, target)
	if err != nil {
		return err
	}
	for _, e := range es {
		t.count++
		if e.before(t.lo) {
			if err := chunkAdd(tx, target, e); err != nil {
				return err
			}
			continue
		}
		t.es = insertEntry(t.es, e)
	}
	for len(t.es) > tailMax {
		// The older entries come after every chunk (they are at or after
		// lo): they become the target's last chunk, or chunks.
		old := t.es[:min(len(t.es)-tailKeep, chunkMax)]
		if err := tx.Bucket(bOutboxDue).Put(chunkKey(target, old[0]), appendEntries(nil, old)); err != nil {
			return err
		}
		t.es = t.es[len(old):]
		t.lo = t.es[0]
	}
	return putTail(tx, target, t)
}

// queueRemove takes an entry out of its target's queue.
func queueRemove(tx *bolt.Tx, target alerts.TargetID, e queueEntry) error {
	t, err := getTail(tx, target)
	if err != nil {
		return err
	}
	var found bool
	if e.before(t.lo) {
		if found, err = chunkRemove(tx, target, e); err != nil {
			return err
		}
	} else {
		t.es, found = removeEntry(t.es, e)
	}
	if !found {
		return nil // not queued: the count stays as it is (only damage gets here)
	}
	t.count--
	return putTail(tx, target, t)
}

// chunkFor returns the key and entries of the chunk that holds e or would:
// the last of target's chunks that begins at or before e, else its first;
// a nil key when the target has none.
func chunkFor(tx *bolt.Tx, target alerts.TargetID, e queueEntry) ([]byte, []queueEntry, error) {
	prefix, key := duePrefix(target), chunkKey(target, e)
	c := tx.Bucket(bOutboxDue).Cursor()
	k, v := c.Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		var pk, pv []byte
		if k == nil {
			pk, pv = c.Last()
		} else {
			pk, pv = c.Prev()
		}
		if pk != nil && bytes.HasPrefix(pk, prefix) {
			k, v = pk, pv
		}
	}
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil, nil, nil
	}
	es, err := readEntries(v)
	if err != nil {
		return nil, nil, fmt.Errorf("outbox queue of %s: %w", target, err)
	}
	return bytes.Clone(k), es, nil
}

// putChunk stores es as the chunk that was under key (nil: none), under
// its first entry's key, in two when it passed chunkMax.
func putChunk(tx *bolt.Tx, target alerts.TargetID, key []byte, es []queueEntry) error {
	due := tx.Bucket(bOutboxDue)
	if key != nil && (len(es) == 0 || !bytes.Equal(key, chunkKey(target, es[0]))) {
		if err := due.Delete(key); err != nil {
			return err
		}
	}
	if len(es) > chunkMax {
		half := len(es) / 2
		if err := due.Put(chunkKey(target, es[half]), appendEntries(nil, es[half:])); err != nil {
			return err
		}
		es = es[:half]
	}
	if len(es) == 0 {
		return nil
	}
	return due.Put(chunkKey(target, es[0]), appendEntries(nil, es))
}

func chunkAdd(tx *bolt.Tx, target alerts.TargetID, e queueEntry) error {
	key, es, err := chunkFor(tx, target, e)
	if err != nil {
		return err
	}
	return putChunk(tx, target, key, insertEntry(es, e))
}

// chunkRemove takes e out of the chunk that holds it, and reports whether
// one did.
func chunkRemove(tx *bolt.Tx, target alerts.TargetID, e queueEntry) (bool, error) {
	key, es, err := chunkFor(tx, target, e)
	if err != nil || key == nil {
		return false, err
	}
	es, found := removeEntry(es, e)
	if !found {
		return false, nil
	}
	return true, putChunk(tx, target, key, es)
}

// eachQueued calls fn for a target's entries in order until it returns
// false: those in its queue, and those past the watermark.
func eachQueued(tx *bolt.Tx, target alerts.TargetID, fn func(queueEntry) bool) error {
	pending, err := unqueued(tx, target)
	if err != nil {
		return err
	}
	return eachQueuedWith(tx, target, pending[target], fn)
}

// eachQueuedWith is eachQueued with the target's entries past the
// watermark, in order, already read.
func eachQueuedWith(tx *bolt.Tx, target alerts.TargetID, pending []queueEntry, fn func(queueEntry) bool) error {
	each := func(f func(queueEntry) bool) error { return eachInQueue(tx, target, f) }
	return mergeEntries(each, pending, fn)
}

// eachInQueue calls fn for the entries of a target's queue in order until
// it returns false.
func eachInQueue(tx *bolt.Tx, target alerts.TargetID, fn func(queueEntry) bool) error {
	prefix := duePrefix(target)
	c := tx.Bucket(bOutboxDue).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		es, err := readEntries(v)
		if err != nil {
			return fmt.Errorf("outbox queue of %s: %w", target, err)
		}
		for _, e := range es {
			if !fn(e) {
				return nil
			}
		}
	}
	t, err := getTail(tx, target)
	if err != nil {
		return err
	}
	for _, e := range t.es {
		if !fn(e) {
			return nil
		}
	}
	return nil
}

// head is a target's queue as the scheduler sees it: how many entries it
// has, and the one due first.
func head(tx *bolt.Tx, target alerts.TargetID) (alerts.QueueHead, error) {
	pending, err := unqueued(tx, target)
	if err != nil {
		return alerts.QueueHead{Target: target}, err
	}
	return headWith(tx, target, pending[target])
}

// headWith is head with the target's entries past the watermark, in order.
func headWith(tx *bolt.Tx, target alerts.TargetID, pending []queueEntry) (alerts.QueueHead, error) {
	h := alerts.QueueHead{Target: target}
	t, err := getTail(tx, target)
	if err != nil {
		return h, err
	}
	h.Count = t.count + len(pending)
	var first queueEntry
	found := false
	prefix := duePrefix(target)
	if t.count == 0 {
		// nothing in the queue
	} else if k, _ := tx.Bucket(bOutboxDue).Cursor().Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+16 {
		first, found = queueEntry{binary.BigEndian.Uint64(k[len(prefix):]), binary.BigEndian.Uint64(k[len(prefix)+8:])}, true
	} else if len(t.es) > 0 {
		first, found = t.es[0], true
	}
	if len(pending) > 0 && (!found || pending[0].before(first)) {
		first, found = pending[0], true
	}
	if found {
		h.Next, h.Seq = first.notBefore(), first.seq
	}
	return h, nil
}
