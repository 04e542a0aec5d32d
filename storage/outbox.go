package storage

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

func enqueue(tx *bolt.Tx, ds []alerts.Delivery) error {
	ob, ids := tx.Bucket(bOutbox), tx.Bucket(bOutboxIDs)
	refs, held := refCounts{}, map[string]bool{}
	for _, dl := range ds {
		if dl.ID == "" {
			return fmt.Errorf("enqueue: delivery without ID")
		}
		var raw []byte
		if dl.Kind == alerts.DeliverAlert {
			raw = logged(tx, dl.Target, dl.ID)
		}
		if raw != nil {
			// Already sent: never twice. A story that gained an outlet
			// while its alert was being sent edits that message instead.
			var sent alerts.Sent
			if jsonUnmarshal(raw, &sent) != nil {
				continue
			}
			edit, ok := alerts.EditOfSent(sent, dl)
			if !ok {
				continue
			}
			dl = edit
		}
		key := idKey(dl.Story(), dl.ID)
		if seq := ids.Get(key); seq != nil {
			seq = bytes.Clone(seq)
			if old, err := deleteRecord(tx, seq, refs); err == nil {
				dl.Seq, dl.Attempts, dl.Created = old.Seq, old.Attempts, old.Created
			}
			if err := putRecord(tx, binary.BigEndian.Uint64(seq), toRecord(tx, dl, held), refs); err != nil {
				return err
			}
			continue
		}
		seq, err := ob.NextSequence()
		if err != nil {
			return err
		}
		if err := deferQueue(tx, seq); err != nil {
			return err
		}
		dl.Seq = seq
		if err := putRecord(tx, seq, toRecord(tx, dl, held), refs); err != nil {
			return err
		}
		if err := ids.Put(key, u64(seq)); err != nil {
			return err
		}
	}
	if err := refs.write(tx); err != nil {
		return err
	}
	return queuePending(tx, false)
}

// Enqueue adds deliveries to the outbox in one transaction.
func (d *DB) Enqueue(ds ...alerts.Delivery) error {
	d.enqueued()
	return d.update(func(tx *bolt.Tx) error { return enqueue(tx, ds) })
}

// Pending returns up to limit outbox entries in the order they were
// queued. It reads the whole outbox: the scheduler uses Heads and Due.
func (d *DB) Pending(limit int) ([]alerts.Delivery, error) {
	var out []alerts.Delivery
	err := d.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bOutbox).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			rec, err := getRecord(tx, k)
			if err != nil {
				return err
			}
			out = append(out, d.hydrate(tx, rec))
		}
		return nil
	})
	return out, err
}

// Heads returns the queue head of every target with queued deliveries.
func (d *DB) Heads() ([]alerts.QueueHead, error) {
	var out []alerts.QueueHead
	err := d.view(func(tx *bolt.Tx) error {
		pending, err := unqueued(tx, "")
		if err != nil {
			return err
		}
		err = tx.Bucket(bOutboxTail).ForEach(func(k, _ []byte) error {
			tg := alerts.TargetID(k)
			h, err := headWith(tx, tg, pending[tg])
			delete(pending, tg)
			out = append(out, h)
			return err
		})
		if err != nil {
			return err
		}
		for _, tg := range slices.Sorted(maps.Keys(pending)) {
			h, err := headWith(tx, tg, pending[tg])
			if err != nil {
				return err
			}
			out = append(out, h)
		}
		return nil
	})
	return out, err
}

// Head returns a target's queue head (Count 0 when nothing waits).
func (d *DB) Head(target alerts.TargetID) (alerts.QueueHead, error) {
	var h alerts.QueueHead
	err := d.view(func(tx *bolt.Tx) error {
		var err error
		h, err = head(tx, target)
		return err
	})
	return h, err
}

// Due returns up to limit of a target's deliveries due at now, earliest
// due first, and the target's queue head.
func (d *DB) Due(target alerts.TargetID, now time.Time, limit int) ([]alerts.Delivery, alerts.QueueHead, error) {
	var out []alerts.Delivery
	var h alerts.QueueHead
	err := d.view(func(tx *bolt.Tx) error {
		pending, err := unqueued(tx, target) // read once for the head and the entries
		if err != nil {
			return err
		}
		if h, err = headWith(tx, target, pending[target]); err != nil {
			return err
		}
		cut := dueNanos(now)
		return d.readQueued(tx, target, pending[target], func(e queueEntry) bool { return len(out) < limit && e.nb <= cut }, &out)
	})
	return out, h, err
}

// readQueued appends to out, in order, a target's deliveries while want
// says so; pending are its entries past the watermark (unqueued).
func (d *DB) readQueued(tx *bolt.Tx, target alerts.TargetID, pending []queueEntry, want func(queueEntry) bool, out *[]alerts.Delivery) error {
	var err error
	walk := eachQueuedWith(tx, target, pending, func(e queueEntry) bool {
		if !want(e) {
			return false
		}
		var rec outboxRecord
		if rec, err = getRecord(tx, u64(e.seq)); err != nil {
			return false
		}
		*out = append(*out, d.hydrate(tx, rec))
		return true
	})
	if err != nil {
		return err
	}
	return walk
}

// Queued returns every delivery queued for a target, in Seq order.
func (d *DB) Queued(target alerts.TargetID) ([]alerts.Delivery, error) {
	var out []alerts.Delivery
	err := d.view(func(tx *bolt.Tx) error {
		pending, err := unqueued(tx, target)
		if err != nil {
			return err
		}
		return d.readQueued(tx, target, pending[target], func(queueEntry) bool { return true }, &out)
	})
	slices.SortFunc(out, func(a, b alerts.Delivery) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, err
}

// takeFromOutbox removes a queued delivery and returns it whole (read
// before it goes: its articles are kept while it refers to them).
func (d *DB) takeFromOutbox(tx *bolt.Tx, dl alerts.Delivery) (alerts.Delivery, error) {
	seq := tx.Bucket(bOutboxIDs).Get(idKey(dl.Story(), dl.ID))
	if seq == nil {
		return alerts.Delivery{}, notFound("outbox entry", dl.ID)
	}
	rec, err := getRecord(tx, seq)
	if err != nil {
		return alerts.Delivery{}, err
	}
	hydrated := d.hydrate(tx, rec)
	_, err = removeFromOutbox(tx, dl)
	return hydrated, err
}

func removeFromOutbox(tx *bolt.Tx, dl alerts.Delivery) (outboxRecord, error) {
	ids, key := tx.Bucket(bOutboxIDs), idKey(dl.Story(), dl.ID)
	seq := ids.Get(key)
	if seq == nil {
		return outboxRecord{}, notFound("outbox entry", dl.ID)
	}
	rec, err := deleteRecord(tx, seq, nil)
	if err != nil {
		return rec, err
	}
	return rec, ids.Delete(key)
}

// idKey is an entry's outbox_ids key: its story, 0, its ID. The story
// first puts the entries one article queued for many chats side by side
// (300 DM chats: a few pages of the index, not 300 scattered over it).
func idKey(story, id string) []byte {
	return append(append([]byte(story), 0), id...)
}

// logKey is a delivery log entry's key in the log bucket: its target, 0,
// its alert key (schema 9; before, the alert key alone). The alert key is
// a hash, so a chat's entries were spread over the whole log; together,
// the 20 alerts a digest completes are written to a leaf or two of it,
// not to 20 leaves at random places.
func logKey(t alerts.TargetID, key string) []byte {
	k := make([]byte, 0, len(t)+1+len(key))
	k = append(append(k, t...), 0)
	return append(k, key...)
}

// keyBareLog in meta says that the upgrade to version 9 left log entries
// under their alert key alone: entries that do not decode or name no
// target, whose logKey it cannot know. They still keep their alerts from
// being queued again, as they did before (logged).
var keyBareLog = []byte("log_bare_keys")

// logged returns the log entry of a target's alert key as stored, or nil:
// under its logKey, or under the alert key alone when the upgrade left
// such entries (keyBareLog).
func logged(tx *bolt.Tx, t alerts.TargetID, key string) []byte {
	log := tx.Bucket(bLog)
	if raw := log.Get(logKey(t, key)); raw != nil {
		return raw
	}
	if tx.Bucket(bMeta).Get(keyBareLog) != nil {
		return log.Get([]byte(key))
	}
	return nil
}

// alertKeyOf is the alert key of a log bucket key: logKey's second part,
// or the whole key as a file older than version 9 has it.
func alertKeyOf(k []byte) string {
	if _, key, ok := bytes.Cut(k, []byte{0}); ok {
		return string(key)
	}
	return string(k)
}

// storyIndexKey is the log_story key of a log entry: story, 0, its key in
// the log bucket (logKey).
func storyIndexKey(story string, key []byte) []byte {
	return append(append([]byte(story), 0), key...)
}

func putSent(tx *bolt.Tx, rec alerts.Sent) error {
	if rec.Key == "" {
		return fmt.Errorf("delivery log entry without key")
	}
	k := logKey(rec.Target, rec.Key)
	if err := unindexLog(tx, k); err != nil {
		return err
	}
	if err := putJSON(tx.Bucket(bLog), k, rec); err != nil {
		return err
	}
	if err := indexLog(tx, rec); err != nil {
		return err
	}
	if err := setExpiry(tx, expLog, string(k), rec.At, logExpiryValue(rec)); err != nil {
		return err
	}
	if rec.Story != "" {
		if err := tx.Bucket(bLogStory).Put(storyIndexKey(rec.Story, k), nil); err != nil {
			return err
		}
	}
	if rec.ButtonToken != "" {
		b := storedButton{Button: rec.Button(), Created: rec.At}
		if err := putButton(tx, rec.ButtonToken, b); err != nil {
			return err
		}
	}
	if rec.Dropped == "" && rec.Target != "" {
		return tx.Bucket(bLogLast).Put([]byte(rec.Target), k)
	}
	return nil
}

// CompleteAll removes several deliveries sent as one message and logs
// them, in one transaction. An alert whose queued entry was replaced while
// it was being sent (its story gained an outlet) leaves an edit of the
// message in its place (alerts.EditOfSent). After a quiet while
// (pendingQuiet) it also queues the entries still past the watermark.
func (d *DB) CompleteAll(done []alerts.Delivery, recs []alerts.Sent) error {
	return d.update(func(tx *bolt.Tx) error {
		var queued []alerts.Delivery
		for _, dl := range done {
			rec, err := removeFromOutbox(tx, dl)
			if err != nil {
				return err
			}
			queued = append(queued, rec.Bare()) // enough for EditOfSent
		}
		for _, r := range recs {
			if err := putSent(tx, r); err != nil {
				return err
			}
		}
		var edits []alerts.Delivery
		for _, q := range queued {
			for _, r := range recs {
				if len(q.Alerts) == 1 && q.Alerts[0].Key() == r.Key {
					if e, ok := alerts.EditOfSent(r, q); ok {
						edits = append(edits, e)
					}
				}
			}
		}
		if err := enqueue(tx, edits); err != nil {
			return err
		}
		return d.queueIfQuiet(tx)
	})
}

// Reschedule stores a delivery's new attempt count, last error and
// NotBefore. The rest of the stored entry (target, alerts, order) stays as
// it is, so a copy read before a MoveTarget or Enqueue cannot undo them.
func (d *DB) Reschedule(dl alerts.Delivery) error {
	return d.update(func(tx *bolt.Tx) error {
		seq := tx.Bucket(bOutboxIDs).Get(idKey(dl.Story(), dl.ID))
		if seq == nil {
			return notFound("outbox entry", dl.ID)
		}
		seq = bytes.Clone(seq)
		refs := refCounts{} // the same references: counted out and in, written not at all
		rec, err := deleteRecord(tx, seq, refs)
		if err != nil {
			return fmt.Errorf("outbox entry %s: %w", dl.ID, err)
		}
		rec.Attempts, rec.LastError, rec.NotBefore = dl.Attempts, dl.LastError, dl.NotBefore
		if err := putRecord(tx, binary.BigEndian.Uint64(seq), rec, refs); err != nil {
			return err
		}
		return refs.write(tx)
	})
}

// Drop gives a delivery up and logs why, for each alert it carried.
func (d *DB) Drop(queued alerts.Delivery, reason string) error {
	return d.update(func(tx *bolt.Tx) error {
		dl, err := d.takeFromOutbox(tx, queued)
		if err != nil {
			return err
		}
		if dl.Kind == alerts.DeliverEdit {
			return nil
		}
		for _, a := range dl.Alerts {
			rec := alerts.Sent{Key: a.Key(), Target: dl.Target, Story: a.Story, At: time.Now(), Dropped: reason, Alert: a}
			if logged(tx, rec.Target, rec.Key) != nil {
				continue
			}
			if err := putSent(tx, rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// Sent returns the delivery log entry of a target's alert key.
func (d *DB) Sent(t alerts.TargetID, key string) (alerts.Sent, error) {
	var s alerts.Sent
	err := d.view(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bLog), logKey(t, key), &s) })
	if err == alerts.ErrNotFound {
		return s, notFound("delivery", key)
	}
	return s, err
}

// SentForStory returns the log entries of a story's alerts.
func (d *DB) SentForStory(story string) ([]alerts.Sent, error) {
	var out []alerts.Sent
	err := d.view(func(tx *bolt.Tx) error {
		log := tx.Bucket(bLog)
		prefix := append([]byte(story), 0)
		c := tx.Bucket(bLogStory).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var s alerts.Sent
			if getJSON(log, k[len(prefix):], &s) == nil {
				out = append(out, s)
			}
		}
		return nil
	})
	return out, err
}

// LastSent returns a target's newest delivered alert.
func (d *DB) LastSent(t alerts.TargetID) (alerts.Sent, error) {
	var s alerts.Sent
	err := d.view(func(tx *bolt.Tx) error {
		key := tx.Bucket(bLogLast).Get([]byte(t))
		if key == nil {
			return alerts.ErrNotFound
		}
		return getJSON(tx.Bucket(bLog), key, &s)
	})
	if err == alerts.ErrNotFound {
		return s, notFound("alert for", string(t))
	}
	return s, err
}

type storedButton struct {
	alerts.Button
	Created time.Time `json:"c"`
}

var tokenEnc = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// PutButton stores a button's meaning under a new random 13-character
// token. Tokens carry no meaning themselves: forged ones resolve to nothing.
func (d *DB) PutButton(b alerts.Button) (string, error) {
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	tok := tokenEnc.EncodeToString(raw[:])
	err := d.update(func(tx *bolt.Tx) error {
		return putButton(tx, tok, storedButton{Button: b, Created: time.Now()})
	})
	return tok, err
}

func putButton(tx *bolt.Tx, token string, b storedButton) error {
	if err := putJSON(tx.Bucket(bButtons), []byte(token), b); err != nil {
		return err
	}
	return setExpiry(tx, expButton, token, b.Created, nil)
}

// Button resolves a button token.
func (d *DB) Button(token string) (alerts.Button, error) {
	var b storedButton
	if len(token) > 64 {
		return b.Button, notFound("button", "")
	}
	err := d.view(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bButtons), []byte(token), &b) })
	if err == alerts.ErrNotFound {
		return b.Button, notFound("button", token)
	}
	return b.Button, err
}
