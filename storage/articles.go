package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

func articleKeys(a *alerts.Article) [][]byte {
	var keys [][]byte
	if k := alerts.GUIDKey(a); k != "" {
		keys = append(keys, []byte(k))
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
			return getArticle(arts, []byte(a.ID), &prev)
		}
		keys := tx.Bucket(bArtKeys)
		for _, k := range articleKeys(a) {
			// The article named by the key, else the one whose ID came
			// from this identity, which does not store the key
			// (putArticle): its ID is the key.
			for _, id := range [][]byte{keys.Get(k), []byte(keyOwner(k))} {
				if len(id) == 0 {
					continue
				}
				err := getArticle(arts, id, &prev)
				if err == alerts.ErrNotFound {
					continue // pruned: forgotten
				}
				seen = err == nil
				return err
			}
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
// stored keeps its ingest time (an update, not a new article). Pruning it
// must find every key that names it: those its record names (articleKeys)
// it finds there, and those of its earlier versions that this one no
// longer names are listed under its ID (art_keys_of). Most articles are
// never updated, so they list nothing: two fewer writes to random places
// of the file, which were a quarter of what committing an article wrote.
//
// rec, when not nil, is the record of a as a new article (prepareRecord),
// encoded before the transaction so that the commit does not wait for
// it; it is used only if a is new.
func (d *DB) putArticle(tx *bolt.Tx, a alerts.Article, rec []byte) error {
	arts := tx.Bucket(bArticles)
	keys := tx.Bucket(bArtKeys)
	var prev alerts.Article
	var earlier [][]byte
	if err := getArticle(arts, []byte(a.ID), &prev); err == nil {
		a.Ingested = prev.Ingested
		earlier = storedKeys(&prev)
		rec = nil
	} else {
		if a.Ingested.IsZero() {
			a.Ingested = time.Now()
			rec = nil
		}
		if err := tx.Bucket(bArtTime).Put(timeKey(a.Ingested, a.ID), nil); err != nil {
			return err
		}
	}
	named := articleKeys(&a)
	for _, k := range named {
		if keys.Get(k) == nil && keyOwner(k) != a.ID {
			if err := keys.Put(k, []byte(a.ID)); err != nil {
				return err
			}
		}
	}
	for _, k := range earlier {
		if !slices.ContainsFunc(named, func(n []byte) bool { return bytes.Equal(n, k) }) && string(keys.Get(k)) == a.ID {
			if err := listKey(tx, k, a.ID); err != nil {
				return err
			}
		}
	}
	if rec == nil {
		var err error
		if rec, err = d.prepareRecord(a); err != nil {
			return err
		}
	}
	return arts.Put([]byte(a.ID), rec)
}

// prepareRecord returns an article's record, its body capped.
func (d *DB) prepareRecord(a alerts.Article) ([]byte, error) {
	a = d.capBody(a)
	return encodeArticle(&a)
}

// registerKey points an identity key at an article, and lists it under the
// article's ID: a key the article's record may not name.
func registerKey(tx *bolt.Tx, key []byte, id string) error {
	if err := tx.Bucket(bArtKeys).Put(key, []byte(id)); err != nil {
		return err
	}
	return listKey(tx, key, id)
}

// listKey lists an identity key under the article's ID (art_keys_of).
func listKey(tx *bolt.Tx, key []byte, id string) error {
	return tx.Bucket(bArtKeysOf).Put(append(append([]byte(id), 0), key...), nil)
}

// keyOwner is the ID an article has when it came without one and its ID
// was derived from identity key k (alerts.DerivedID), or "" for a key
// that names no identity. putArticle does not store the key an article's
// ID came from, which is most articles' first (their GUID's, else their
// URL's): Seen finds the article by that ID instead. That is one write to
// a random place of the file fewer for each article, where its two or
// three keys were most of what committing it wrote.
func keyOwner(k []byte) string {
	if len(k) < 2 || k[1] != ':' {
		return ""
	}
	v := string(k[2:])
	switch k[0] {
	case 'g':
		if !alerts.GlobalGUID(v) {
			return "" // a numbered GUID's key before schema 8: no identity alone
		}
		return alerts.DerivedID(&alerts.Article{GUID: v})
	case 'l':
		src, guid, ok := strings.Cut(v, "\x00")
		if !ok || guid == "" || alerts.GlobalGUID(guid) {
			return ""
		}
		return alerts.DerivedID(&alerts.Article{GUID: guid, Source: src})
	case 'u':
		return alerts.DerivedID(&alerts.Article{URL: v})
	case 'h':
		return alerts.DerivedID(&alerts.Article{ContentHash: v})
	}
	return ""
}

// recordKeys are the identity keys an article's stored record names:
// those articleKeys gives now, and for a GUID that names an article only
// within its source, the key Herald wrote for it until 2026-12 ("g:" and
// the GUID alone, which took another source's item of that number for a
// copy). Seen no longer looks that key up; pruning still deletes it.
func recordKeys(v []byte) [][]byte {
	var a alerts.Article
	if decodeArticle(v, &a) != nil {
		return nil
	}
	return storedKeys(&a)
}

// storedKeys are the identity keys a's version may have stored: articleKeys,
// and the old key of a numbered GUID (see recordKeys).
func storedKeys(a *alerts.Article) [][]byte {
	keys := articleKeys(a)
	if a.GUID != "" && !alerts.GlobalGUID(a.GUID) {
		keys = append(keys, []byte("g:"+a.GUID))
	}
	return keys
}

// forgetArticle deletes an article and the identity keys that still name
// it: those its record names, and those listed under its ID.
func forgetArticle(tx *bolt.Tx, id []byte) error {
	keys, of := tx.Bucket(bArtKeys), tx.Bucket(bArtKeysOf)
	prefix := append(bytes.Clone(id), 0)
	var listed [][]byte
	c := of.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		listed = append(listed, bytes.Clone(k))
	}
	named := recordKeys(tx.Bucket(bArticles).Get(id))
	for _, k := range listed {
		named = append(named, k[len(prefix):])
		if err := of.Delete(k); err != nil {
			return err
		}
	}
	for _, k := range named {
		if bytes.Equal(keys.Get(k), id) {
			if err := keys.Delete(k); err != nil {
				return err
			}
		}
	}
	return tx.Bucket(bArticles).Delete(id)
}

// GetArticle returns a stored article.
func (d *DB) GetArticle(id string) (alerts.Article, error) {
	var a alerts.Article
	err := d.view(func(tx *bolt.Tx) error { return getArticle(tx.Bucket(bArticles), []byte(id), &a) })
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
			if err := getArticle(arts, k[8:], &a); err != nil {
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

// putStory stores a story, and when it expires: when it was last touched
// (at, the committing article's ingest time, if the story has no times).
func putStory(tx *bolt.Tx, s alerts.Story, at time.Time) error {
	if err := putJSON(tx.Bucket(bStories), []byte(s.ID), s); err != nil {
		return err
	}
	return setExpiry(tx, expStory, s.ID, storyTouched(s, at), nil)
}

// ownStory reports whether s is the story its article a opened and is
// alone in, and no record of it is stored: the story of most articles,
// which nothing joins. Such a story is not written: it is what
// story.Clusterer.Seed rebuilds from the article after a restart (its
// ID, first article, title and source are the article's; its times, which
// only its expiry reads, the article's), and its record with its two
// expiry keys took a third of the pages a commit of one article wrote.
// The story is written once a second article joins it (its sources or
// first article then differ), and pruned with its articles.
func ownStory(tx *bolt.Tx, a *alerts.Article, s *alerts.Story) bool {
	src := a.Outlet
	if src == "" {
		src = a.Source
	}
	switch {
	case s.FirstArticle != a.ID || s.Title != a.Title || s.ID != alerts.OwnStoryID(a.ID):
		return false
	case len(s.Sources) > 1 || len(s.Sources) == 1 && s.Sources[0] != src || len(s.Sources) == 0 && src != "":
		return false
	}
	return tx.Bucket(bStories).Get([]byte(s.ID)) == nil
}

// storyTouched is when a story was last touched: its own times, or at.
func storyTouched(s alerts.Story, at time.Time) time.Time {
	return storyTouchedAt(s.Created, s.Updated, at)
}

func storyTouchedAt(created, updated, at time.Time) time.Time {
	last := updated
	if created.After(last) {
		last = created
	}
	if last.IsZero() {
		return at
	}
	return last
}

// Commit records an article, its story and its planned deliveries in one
// transaction. A planned alert already in the delivery log is skipped: a
// target never gets the same alert twice.
func (d *DB) Commit(a alerts.Article, s alerts.Story, planned []alerts.Delivery) error {
	return d.CommitAll([]alerts.ArticleCommit{{Article: a, Story: s, Planned: planned}})[0]
}

// CommitAll commits each of cs as Commit does, in order, and returns one
// error per commit. They go to disk together, in as few transactions as
// the group commit makes of them (one for up to maxGroup writes, beside
// whatever else is being written); one that fails is retried alone, so it
// fails no other.
func (d *DB) CommitAll(cs []alerts.ArticleCommit) []error {
	fns := make([]func(*bolt.Tx) error, len(cs))
	errs := make([]error, len(cs))
	recs := d.prepareRecords(cs)
	for _, c := range cs {
		if len(c.Planned) > 0 {
			d.enqueued()
			break
		}
	}
	for i, c := range cs {
		if c.Article.ID == "" {
			errs[i] = fmt.Errorf("commit article: empty ID")
			continue
		}
		fns[i] = func(tx *bolt.Tx) error {
			if err := d.putArticle(tx, c.Article, recs[i]); err != nil {
				return err
			}
			if c.Story.ID != "" && !ownStory(tx, &c.Article, &c.Story) {
				if err := putStory(tx, c.Story, c.Article.Ingested); err != nil {
					return err
				}
			}
			return enqueue(tx, c.Planned)
		}
	}
	for i, err := range d.updateAll(fns) {
		if err != nil && errs[i] == nil {
			errs[i] = fmt.Errorf("commit article %s: %w", cs[i].Article.ID, err)
		}
	}
	return errs
}

// prepareRecords encodes the records of the articles of cs side by side,
// before they queue for the commit, which is done one at a time:
// marshalling and compressing a record takes tens of microseconds that
// need not hold the writer. A record that cannot be prepared here (an
// article without an ingest time) is nil, and is encoded in the
// transaction.
func (d *DB) prepareRecords(cs []alerts.ArticleCommit) [][]byte {
	recs := make([][]byte, len(cs))
	var wg sync.WaitGroup
	for i := range cs {
		if a := cs[i].Article; a.ID != "" && !a.Ingested.IsZero() {
			wg.Go(func() { recs[i], _ = d.prepareRecord(a) }) // an error comes again in the transaction
		}
	}
	wg.Wait()
	return recs
}

// pruneChunk is how many records one pruning transaction reads at most.
// Prune runs while Herald ingests and sends; a transaction over months of
// records would hold every other write back for seconds. Chunks of this
// size take milliseconds each, and the group commit slips other writes in
// between.
var pruneChunk = 1000 // a variable so tests can cross chunk boundaries with few records

// Prune forgets articles, stories, delivery log entries and buttons older
// than before. The outbox is never pruned. It walks the time indexes from
// their oldest entries, so its cost is what expired, and it works in many
// small transactions: a crash in between leaves a consistent store with
// part of the old records still there, for the next run.
func (d *DB) Prune(before time.Time) (int, error) {
	cut := binary.BigEndian.AppendUint64(nil, timeNanos(before))
	total := 0
	for {
		n, more := 0, false
		err := d.update(func(tx *bolt.Tx) error {
			n, more = 0, false // the write may run twice (group commit retries it alone)
			times := tx.Bucket(bArtTime)
			var old [][]byte
			c := times.Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k[:min(8, len(k))], cut) < 0; k, _ = c.Next() {
				if referenced(tx, k[min(8, len(k)):]) {
					continue // a queued delivery still shows it
				}
				if len(old) == pruneChunk {
					more = true
					break
				}
				old = append(old, bytes.Clone(k))
			}
			for _, k := range old {
				if len(k) > 8 {
					if err := forgetArticle(tx, k[8:]); err != nil {
						return err
					}
				}
				if err := times.Delete(k); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("prune articles: %w", err)
		}
		total += n
		if !more {
			break
		}
	}
	n, err := d.pruneExpired(cut)
	total += n
	if err != nil {
		return total, fmt.Errorf("prune stories, delivery log and buttons: %w", err)
	}
	return total, nil
}
