package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

func articleKeys(a *alerts.Article) [][]byte {
	var keys [][]byte
	if a.GUID != "" {
		keys = append(keys, []byte("g:"+a.GUID))
	}
	if a.URL != "" {
		keys = append(keys, []byte("u:"+a.URL))
	}
	if a.ContentHash != "" {
		keys = append(keys, []byte("h:"+a.ContentHash))
	}
	return keys
}

// Seen reports whether the article, or one with the same GUID, canonical
// URL or content hash, was ingested before.
func (d *DB) Seen(a *alerts.Article) (alerts.Article, bool, error) {
	var prev alerts.Article
	var seen bool
	err := d.view(func(tx *bolt.Tx) error {
		arts := tx.Bucket(bArticles)
		if a.ID != "" && arts.Get([]byte(a.ID)) != nil {
			seen = true
			return getJSON(arts, []byte(a.ID), &prev)
		}
		keys := tx.Bucket(bArtKeys)
		for _, k := range articleKeys(a) {
			id := keys.Get(k)
			if id == nil {
				continue
			}
			err := getJSON(arts, id, &prev)
			if err == alerts.ErrNotFound {
				continue // the article it named was pruned: forgotten
			}
			seen = err == nil
			return err
		}
		return nil
	})
	return prev, seen, err
}

func (d *DB) capBody(a alerts.Article) alerts.Article {
	if len(a.Body) > d.bodyCap {
		cut := d.bodyCap
		for cut > 0 && !utf8.RuneStart(a.Body[cut]) {
			cut--
		}
		a.Body = a.Body[:cut]
	}
	return a
}

// timeKey orders articles by ingest time. Times before 1970 (or zero)
// would wrap around as uint64 and sort as the newest, so they clamp to 0.
func timeKey(t time.Time, id string) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(id)), timeNanos(t))
	return append(k, id...)
}

func timeNanos(t time.Time) uint64 {
	if t.Before(time.Unix(0, 0)) {
		return 0
	}
	return uint64(t.UnixNano())
}

// putArticle writes an article and its lookup keys. An article already
// stored keeps its ingest time (an update, not a new article).
func (d *DB) putArticle(tx *bolt.Tx, a alerts.Article) error {
	arts := tx.Bucket(bArticles)
	var prev alerts.Article
	if err := getJSON(arts, []byte(a.ID), &prev); err == nil {
		a.Ingested = prev.Ingested
	} else {
		if a.Ingested.IsZero() {
			a.Ingested = time.Now()
		}
		if err := tx.Bucket(bArtTime).Put(timeKey(a.Ingested, a.ID), nil); err != nil {
			return err
		}
	}
	keys := tx.Bucket(bArtKeys)
	for _, k := range articleKeys(&a) {
		if keys.Get(k) == nil {
			if err := keys.Put(k, []byte(a.ID)); err != nil {
				return err
			}
		}
	}
	return putJSON(arts, []byte(a.ID), d.capBody(a))
}

// GetArticle returns a stored article.
func (d *DB) GetArticle(id string) (alerts.Article, error) {
	var a alerts.Article
	err := d.view(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bArticles), []byte(id), &a) })
	if err == alerts.ErrNotFound {
		return a, notFound("article", id)
	}
	return a, err
}

// RecentArticles returns up to n most recently ingested articles, newest
// first.
func (d *DB) RecentArticles(n int) ([]alerts.Article, error) {
	var out []alerts.Article
	err := d.view(func(tx *bolt.Tx) error {
		arts := tx.Bucket(bArticles)
		c := tx.Bucket(bArtTime).Cursor()
		for k, _ := c.Last(); k != nil && len(out) < n; k, _ = c.Prev() {
			var a alerts.Article
			if err := getJSON(arts, k[8:], &a); err != nil {
				continue
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// GetStory returns a stored story.
func (d *DB) GetStory(id string) (alerts.Story, error) {
	var s alerts.Story
	err := d.view(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bStories), []byte(id), &s) })
	if err == alerts.ErrNotFound {
		return s, notFound("story", id)
	}
	return s, err
}

// putStory stores a story. at is when it was last touched, if the story
// does not say.
func putStory(tx *bolt.Tx, s alerts.Story, at time.Time) error {
	return putJSON(tx.Bucket(bStories), []byte(s.ID), s)
}

// Commit records an article, its story and its planned deliveries in one
// transaction. A planned alert already in the delivery log is skipped: a
// target never gets the same alert twice.
func (d *DB) Commit(a alerts.Article, s alerts.Story, planned []bot.Delivery) error {
	if a.ID == "" {
		return fmt.Errorf("commit article: empty ID")
	}
	err := d.update(func(tx *bolt.Tx) error {
		if err := d.putArticle(tx, a); err != nil {
			return err
		}
		if s.ID != "" {
			if err := putStory(tx, s, a.Ingested); err != nil {
				return err
			}
		}
		return enqueue(tx, planned)
	})
	if err != nil {
		return fmt.Errorf("commit article %s: %w", a.ID, err)
	}
	return nil
}

// pruneChunk is how many records one pruning transaction reads at most.
// Prune runs while Herald ingests and sends; a transaction over months of
// records would hold every other write back for seconds. Chunks of this
// size take milliseconds each, and the group commit slips other writes in
// between.
var pruneChunk = 1000 // a variable so tests can cross chunk boundaries with few records

// Prune forgets articles, stories, delivery log entries and buttons older
// than before. The outbox is never pruned. It works in many small
// transactions: a crash in between leaves a consistent store with part of
// the old records still there, for the next run.
func (d *DB) Prune(before time.Time) (int, error) {
	total := 0
	// Articles, oldest first by the time index, with their identity keys
	// and their stories when those went quiet before the cutoff.
	cut := binary.BigEndian.AppendUint64(nil, timeNanos(before))
	articles := 0
	for {
		n, more := 0, false
		err := d.update(func(tx *bolt.Tx) error {
			n, more = 0, false // the write may run twice (group commit retries it alone)
			arts, keys, times, stories := tx.Bucket(bArticles), tx.Bucket(bArtKeys), tx.Bucket(bArtTime), tx.Bucket(bStories)
			var old [][]byte
			c := times.Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k[:8], cut) < 0; k, _ = c.Next() {
				if len(old) == pruneChunk {
					more = true
					break
				}
				old = append(old, bytes.Clone(k))
			}
			for _, k := range old {
				id := k[8:]
				var a alerts.Article
				if getJSON(arts, id, &a) == nil {
					for _, ak := range articleKeys(&a) {
						if bytes.Equal(keys.Get(ak), id) {
							keys.Delete(ak)
						}
					}
					if a.StoryID != "" {
						var s alerts.Story
						if getJSON(stories, []byte(a.StoryID), &s) == nil && s.Updated.Before(before) {
							stories.Delete([]byte(a.StoryID))
							n++
						}
					}
				}
				arts.Delete(id)
				times.Delete(k)
				n++
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("prune articles: %w", err)
		}
		total += n
		articles += n
		if !more {
			break
		}
	}
	if articles > 0 {
		// An updated article may have left keys (an earlier URL or hash)
		// that its current version no longer names.
		n, err := d.sweep(bArtKeys, func(tx *bolt.Tx, k, id []byte) int {
			if tx.Bucket(bArticles).Get(id) != nil {
				return -1
			}
			tx.Bucket(bArtKeys).Delete(k)
			return 0
		})
		if err != nil {
			return total, fmt.Errorf("prune article keys: %w", err)
		}
		total += n
	}
	// A story whose articles went in an earlier run while it was still
	// being updated would otherwise stay for ever: it goes once nothing
	// touched it since the cutoff. (Stories without times only go with an
	// article, above.)
	n, err := d.sweep(bStories, func(tx *bolt.Tx, k, v []byte) int {
		var s struct { // the fields of alerts.Story that pruning needs
			Created time.Time `json:"created"`
			Updated time.Time `json:"updated"`
		}
		if jsonUnmarshal(v, &s) != nil {
			return -1
		}
		last := s.Updated
		if s.Created.After(last) {
			last = s.Created
		}
		if last.IsZero() || !last.Before(before) {
			return -1
		}
		tx.Bucket(bStories).Delete(k)
		return 1
	})
	total += n
	if err != nil {
		return total, fmt.Errorf("prune stories: %w", err)
	}
	n, err = d.pruneLog(before)
	total += n
	return total, err
}

// sweep visits every entry of a bucket in key order, pruneChunk entries
// per write transaction, and lets drop delete what it wants: drop returns
// how many records it forgot (counted in sweep's result), or -1 to keep
// the entry. Entries are read into memory before drop runs, so drop may
// delete freely.
func (d *DB) sweep(bucket []byte, drop func(tx *bolt.Tx, k, v []byte) int) (int, error) {
	total := 0
	var from []byte
	for {
		n := 0
		var next []byte
		err := d.update(func(tx *bolt.Tx) error {
			n, next = 0, nil
			type entry struct{ k, v []byte }
			var batch []entry
			c := tx.Bucket(bucket).Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for ; k != nil; k, v = c.Next() {
				if len(batch) == pruneChunk {
					next = bytes.Clone(k)
					break
				}
				batch = append(batch, entry{bytes.Clone(k), bytes.Clone(v)})
			}
			for _, e := range batch {
				if m := drop(tx, e.k, e.v); m > 0 {
					n += m
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if next == nil {
			return total, nil
		}
		from = next
	}
}
