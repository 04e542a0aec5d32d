package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// An outbox entry is stored as an outboxRecord under its Seq (big-endian)
// in bOutbox, in a binary record (outbox_codec.go), with indexes kept in
// the same transactions:
//
//	outbox_ids    story ID, 0, delivery ID → Seq (idKey)
//	outbox_due,
//	outbox_tail   each target's queue, by NotBefore and Seq, and its count
//	              (outbox_queue.go)
//	outbox_arts   article ID → how many entries refer to it (uvarint)
//
// so that the scheduler reads one target's next deliveries and the count of
// the rest without decoding anyone else's, and Prune keeps an article while
// an entry refers to it. Before schema version 6, outbox_refs held a key
// (article ID 0 Seq) per referring entry: an article that matched 300
// chats had 300 of them.
var (
	bOutboxDue  = []byte("outbox_due")
	bOutboxArts = []byte("outbox_arts")
	bOutboxRefs = []byte("outbox_refs") // before version 6
)

// outboxRecord is an outbox entry as stored: the delivery with each
// alert's article referred to by ID when the articles bucket holds it
// (alerts.StoredDelivery, the format the JetStream store uses too).
type outboxRecord = alerts.StoredDelivery

// referenced reports whether an outbox entry refers to the article.
func referenced(tx *bolt.Tx, article []byte) bool {
	return tx.Bucket(bOutboxArts).Get(article) != nil
}

// addRef moves the count of entries that refer to an article by delta.
func addRef(tx *bolt.Tx, article string, delta int) error {
	b := tx.Bucket(bOutboxArts)
	n := int64(0)
	if v := b.Get([]byte(article)); v != nil {
		c, w := binary.Uvarint(v)
		if w > 0 {
			n = int64(c)
		}
	}
	if n += int64(delta); n <= 0 {
		return b.Delete([]byte(article))
	}
	return b.Put([]byte(article), binary.AppendUvarint(nil, uint64(n)))
}

// toRecord turns a delivery into its stored form; held, when not nil,
// remembers which articles the store holds across calls (the 300
// deliveries of one article ask about it 300 times).
func toRecord(tx *bolt.Tx, dl alerts.Delivery, held map[string]bool) outboxRecord {
	arts := tx.Bucket(bArticles)
	return alerts.StoreDelivery(dl, func(id string) bool {
		h, ok := held[id]
		if !ok {
			h = arts.Get([]byte(id)) != nil
			if held != nil {
				held[id] = h
			}
		}
		return h
	})
}

// putRecord stores rec under seq with its index entries. An older version
// under seq must have been removed with deleteRecord first. Its references
// to articles are counted in refs when refs is not nil (refs.write stores
// them), at once otherwise.
func putRecord(tx *bolt.Tx, seq uint64, rec outboxRecord, refs refCounts) error {
	raw, err := encodeRecord(rec)
	if err != nil {
		return fmt.Errorf("outbox entry %d: %w", seq, err)
	}
	ob := tx.Bucket(bOutbox)
	ob.FillPercent = outboxFill
	if err := ob.Put(u64(seq), raw); err != nil {
		return err
	}
	if err := addRefs(tx, rec, 1, refs); err != nil {
		return err
	}
	if !inQueue(tx, seq) {
		return nil // queued with the next batch (outbox_pending.go)
	}
	return queueAdd(tx, rec.Target, entryOf(rec, seq))
}

// refCounts gathers the changes to outbox_arts of many entries, so that an
// article 300 queued alerts refer to has its count written once, not 300
// times.
type refCounts map[string]int

// write stores the gathered changes.
func (r refCounts) write(tx *bolt.Tx) error {
	for id, delta := range r {
		if delta != 0 {
			if err := addRef(tx, id, delta); err != nil {
				return err
			}
		}
	}
	clear(r)
	return nil
}

// addRefs counts rec's references to articles in (delta 1) or out (-1),
// in refs, or at once when refs is nil.
func addRefs(tx *bolt.Tx, rec outboxRecord, delta int, refs refCounts) error {
	for _, a := range rec.Alerts {
		switch {
		case a.ArticleID == "":
		case refs != nil:
			refs[a.ArticleID] += delta
		default:
			if err := addRef(tx, a.ArticleID, delta); err != nil {
				return err
			}
		}
	}
	return nil
}

// getRecord decodes the record under seq.
func getRecord(tx *bolt.Tx, seq []byte) (outboxRecord, error) {
	v := tx.Bucket(bOutbox).Get(seq)
	if v == nil || len(seq) != 8 {
		return outboxRecord{}, fmt.Errorf("outbox entry %x: %w", seq, alerts.ErrNotFound)
	}
	rec, err := decodeRecord(binary.BigEndian.Uint64(seq), v)
	if err != nil {
		return rec, fmt.Errorf("outbox entry %x: %w", seq, err)
	}
	return rec, nil
}

// deleteRecord removes the record under seq and its index entries, and
// returns it; refs as for putRecord.
func deleteRecord(tx *bolt.Tx, seq []byte, refs refCounts) (outboxRecord, error) {
	seq = bytes.Clone(seq)
	rec, err := getRecord(tx, seq)
	if err != nil {
		return rec, err
	}
	n := binary.BigEndian.Uint64(seq)
	if err := tx.Bucket(bOutbox).Delete(seq); err != nil {
		return rec, err
	}
	if err := addRefs(tx, rec, -1, refs); err != nil {
		return rec, err
	}
	if !inQueue(tx, n) {
		return rec, nil
	}
	return rec, queueRemove(tx, rec.Target, entryOf(rec, n))
}

// hydrate turns a record back into the delivery that was enqueued, with
// each referred article read from the store (its body left out, as the
// planned alert had it), decoded once for all the entries that refer to
// it (articleCache).
func (d *DB) hydrate(tx *bolt.Tx, rec outboxRecord) alerts.Delivery {
	arts := tx.Bucket(bArticles)
	return rec.Hydrate(func(id string) alerts.Article {
		raw := arts.Get([]byte(id))
		if raw == nil {
			return alerts.Article{ID: id} // kept by Prune; gone only if damaged
		}
		a, err := d.articles.article(id, raw)
		if err != nil {
			return alerts.Article{ID: id}
		}
		return a
	})
}

// migrateOutboxRefs is schema version 2: outbox entries written whole
// (every alert with its article) become records that refer to their
// articles, and the indexes are built.
func migrateOutboxRefs(tx *bolt.Tx) error {
	ob := tx.Bucket(bOutbox)
	type entry struct {
		seq uint64
		dl  alerts.Delivery
	}
	var all []entry
	err := ob.ForEach(func(k, v []byte) error {
		var dl alerts.Delivery
		if err := jsonUnmarshal(v, &dl); err != nil {
			return fmt.Errorf("outbox entry %x: %w", k, err)
		}
		all = append(all, entry{binary.BigEndian.Uint64(k), dl})
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range all {
		if err := putRecord(tx, e.seq, toRecord(tx, e.dl, nil), nil); err != nil {
			return err
		}
	}
	return nil
}
