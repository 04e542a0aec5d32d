package storage

import (
	"errors"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Group commit: bbolt has one writer and every commit costs two fdatasync
// calls, so sends that finish together would wait on each other's disk
// flushes. Writes queue up while a commit is in progress and go to disk
// together in the next one; a write that fails is retried alone so it
// cannot fail the others. Unlike bolt.DB.Batch there is no timer: a lone
// write commits at once.

type writeReq struct {
	fn   func(*bolt.Tx) error
	done chan error
}

type committer struct {
	mu      sync.Mutex
	queue   []writeReq
	running bool
}

// maxGroup bounds how many writes share one transaction.
const maxGroup = 256

// update runs fn in a write transaction, grouped with concurrent writes.
// fn may run twice (alone after a failed group), so it must only touch the
// transaction.
func (d *DB) update(fn func(*bolt.Tx) error) error {
	return d.updateAll([]func(*bolt.Tx) error{fn})[0]
}

// updateAll queues fns as one run, in order, so that they commit in that
// order (most often in one transaction), and returns each one's error. A
// nil fn is skipped (its error is nil).
func (d *DB) updateAll(fns []func(*bolt.Tx) error) []error {
	reqs := make([]writeReq, 0, len(fns))
	c := &d.commit
	c.mu.Lock()
	for _, fn := range fns {
		if fn == nil {
			continue
		}
		req := writeReq{fn: fn, done: make(chan error, 1)}
		reqs = append(reqs, req)
		c.queue = append(c.queue, req)
	}
	if !c.running && len(reqs) > 0 {
		c.running = true
		go d.commitLoop()
	}
	c.mu.Unlock()
	errs := make([]error, len(fns))
	k := 0
	for i, fn := range fns {
		if fn != nil {
			errs[i] = <-reqs[k].done
			k++
		}
	}
	return errs
}

func (d *DB) commitLoop() {
	c := &d.commit
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		n := min(len(c.queue), maxGroup)
		group := append([]writeReq(nil), c.queue[:n]...)
		c.queue = c.queue[n:]
		c.mu.Unlock()
		d.commitGroup(group)
	}
}

var errSolo = errors.New("retry alone")

func (d *DB) commitGroup(group []writeReq) {
	if len(group) == 1 {
		group[0].done <- d.db.Update(group[0].fn)
		return
	}
	err := d.db.Update(func(tx *bolt.Tx) error {
		for _, r := range group {
			if err := r.fn(tx); err != nil {
				return errSolo
			}
		}
		return nil
	})
	if err == nil {
		for _, r := range group {
			r.done <- nil
		}
		return
	}
	for _, r := range group {
		r.done <- d.db.Update(r.fn)
	}
}
