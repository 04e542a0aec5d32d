package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// RepairCount is what Repair did with one kind of record.
type RepairCount struct {
	Kind  string
	Saved int
	// Lost counts the records known to be gone: those that were read but
	// do not decode, and those an index of the file names but that could
	// not be read. Records on unreadable pages that nothing else names
	// cannot be counted (see RepairReport.Unreadable).
	Lost int
}

// RepairReport says what Repair saved and lost.
type RepairReport struct {
	Counts []RepairCount // in the order they were saved
	// Unreadable lists the pages that could not be read, by bucket.
	Unreadable []string
}

// repairBatch is how many records one transaction of the new file takes.
const repairBatch = 1000

// A kind of record and how to save one into the new file. save gets the
// record's key and value; it returns false for a record that does not
// decode (or whose key is not what its value says).
type repairKind struct {
	name    string
	buckets [][]byte
	save    func(r *repairer, tx *bolt.Tx, bucket, k, v []byte) bool
}

// The kinds in the order Repair saves them: what users set up first, so
// that a repair stopped early (a full disk) has kept the most precious;
// queued alerts after the articles they refer to.
var repairKinds = []repairKind{
	{"targets", [][]byte{bTargets}, func(r *repairer, tx *bolt.Tx, _, k, v []byte) bool {
		var t alerts.Target
		return decodes(v, &t) && string(t.ID) == string(k) && tx.Bucket(bTargets).Put(k, v) == nil
	}},
	{"subscriptions", [][]byte{bSubs}, func(r *repairer, tx *bolt.Tx, _, k, v []byte) bool {
		v, err := compactSub(k, v) // JSON before version 4
		if err != nil {
			return false
		}
		sub, err := decodeSub(k, v)
		if err != nil || sub.Target == "" {
			return false
		}
		r.subSeq = max(r.subSeq, sub.ID)
		b := tx.Bucket(bSubs)
		b.FillPercent = subFill
		return putSub(b, sub) == nil && addSubTo(tx, sub.Target, sub.ID) == nil
	}},
	{"settings and feed states", [][]byte{bMeta, bFeeds}, func(r *repairer, tx *bolt.Tx, b, k, v []byte) bool {
		if bytes.Equal(b, bMeta) && reservedMeta(string(k)) {
			return true // the new file has its own version and no migration under way
		}
		if bytes.Equal(b, bFeeds) && !json.Valid(v) {
			return false
		}
		return tx.Bucket(b).Put(k, v) == nil
	}},
	{"stories", [][]byte{bStories}, func(r *repairer, tx *bolt.Tx, _, k, v []byte) bool {
		var s alerts.Story
		// A story without times is kept a whole retention from now, as
		// the upgrade to version 5 does.
		return decodes(v, &s) && s.ID == string(k) && putStory(tx, s, time.Now()) == nil
	}},
	{"articles", [][]byte{bArticles}, func(r *repairer, tx *bolt.Tx, _, k, v []byte) bool {
		var a alerts.Article
		if decodeArticle(v, &a) != nil || a.ID != string(k) || r.out.putArticle(tx, a, nil) != nil {
			return false
		}
		// The story an article opened and is alone in is not stored (see
		// ownStory).
		if a.StoryID != "" && a.StoryID != alerts.OwnStoryID(a.ID) && tx.Bucket(bStories).Get([]byte(a.StoryID)) == nil {
			r.missing(bStories, a.StoryID)
		}
		return true
	}},
	// The keys an article registered under earlier versions of itself (a
	// first URL, an old hash), which its record no longer names: without
	// them a feed that brings that version again raises it anew.
	{"article identity keys", [][]byte{bArtKeys}, func(r *repairer, tx *bolt.Tx, _, k, v []byte) bool {
		if tx.Bucket(bArtKeys).Get(k) != nil {
			return true // the article's record names it: saved with it
		}
		return tx.Bucket(bArticles).Get(v) != nil && registerKey(tx, k, string(v)) == nil
	}},
	// After the articles, which queued alerts refer to.
	{"queued alerts", [][]byte{bOutbox}, func(r *repairer, tx *bolt.Tx, _, k, v []byte) bool {
		if len(k) != 8 {
			return false
		}
		// Entries written before version 6 are JSON, and before version 3
		// read as records with their articles inline.
		rec, err := decodeRecord(binary.BigEndian.Uint64(k), v)
		if err != nil || rec.ID == "" || rec.Target == "" {
			return false
		}
		for _, a := range rec.Alerts {
			if a.Article == nil && a.ArticleID != "" && tx.Bucket(bArticles).Get([]byte(a.ArticleID)) == nil {
				return false // its article was lost: it would go out with no headline and no link
			}
		}
		seq := binary.BigEndian.Uint64(k)
		r.outboxSeq = max(r.outboxSeq, seq)
		return putRecord(tx, seq, rec, nil) == nil && tx.Bucket(bOutboxIDs).Put(idKey(rec.Story(), rec.ID), k) == nil
	}},
	{"delivery log entries", [][]byte{bLog}, func(r *repairer, tx *bolt.Tx, _, k, v []byte) bool {
		var s alerts.Sent
		if !decodes(v, &s) {
			return false
		}
		// A file older than version 9 keyed an entry by its alert key alone.
		key := logKey(s.Target, s.Key)
		if (s.Key != string(k) && !bytes.Equal(k, key)) || putSent(tx, s) != nil {
			return false
		}
		if last, ok := r.last[s.Target]; s.Dropped == "" && s.Target != "" && (!ok || s.At.After(last.At)) {
			r.last[s.Target] = s
		}
		return true
	}},
	{"buttons", [][]byte{bButtons}, func(r *repairer, tx *bolt.Tx, _, k, v []byte) bool {
		var b storedButton
		return decodes(v, &b) && putButton(tx, string(k), b) == nil
	}},
}

func decodes(v []byte, into any) bool { return json.Unmarshal(v, into) == nil }

// repairer is one run of Repair.
type repairer struct {
	out     *DB
	w       *walker
	buckets map[string][]byte // top-level bucket name → its value in the root
	report  RepairReport
	// bad holds, per bucket, the keys read that did not decode; lost
	// counts the records an index names that the new file lacks.
	bad       map[string]map[string]bool
	lost      map[string]map[string]bool
	subSeq    uint64
	outboxSeq uint64
	last      map[alerts.TargetID]alerts.Sent // the newest log entry of each target
}

// Repair writes every record of the database at src that can still be read
// into a new database at dst, and leaves src as it is: targets and
// subscriptions first, then settings, stories, articles with every
// identity key they registered, queued alerts, the delivery log and
// buttons. Indexes are rebuilt from the records rather
// than copied. dst must not exist. A running herald holding src makes it
// fail with ErrInUse.
func Repair(src, dst string) (RepairReport, error) {
	var report RepairReport
	if _, err := os.Stat(dst); err == nil {
		return report, fmt.Errorf("repair into %s: the file exists; name a new one", dst)
	}
	lock, err := openReadOnly(src)
	if err != nil {
		return report, err
	}
	if lock != nil {
		defer lock.Close()
	}
	bf, err := openBoltFile(src)
	if err != nil {
		return report, fmt.Errorf("repair %s: %w", src, err)
	}
	defer bf.Close()
	if problem, notBolt := bf.damage(); notBolt || (!bf.valid && !bf.trustBrokenMeta()) {
		return report, fmt.Errorf("repair %s: %s: nothing can be read from it; restore a backup", src, problem)
	}
	r := &repairer{buckets: map[string][]byte{}, bad: map[string]map[string]bool{}, lost: map[string]map[string]bool{},
		last: map[alerts.TargetID]alerts.Sent{}}
	r.w = newWalker(bf, func(bucket string, err error) {
		r.report.Unreadable = append(r.report.Unreadable, fmt.Sprintf("bucket %s: %v", bucket, err))
	})
	r.w.bucket("(root)", nil, func(e element) {
		if e.bucket {
			r.buckets[string(e.key)] = e.value
		}
	})
	if len(r.buckets) == 0 {
		return report, fmt.Errorf("repair %s: nothing can be read from it (%s): restore a backup", src, strings.Join(r.report.Unreadable, "; "))
	}
	if err := r.checkSchema(); err != nil {
		return report, fmt.Errorf("repair %s: %w", src, err)
	}
	out, err := Open(dst, Options{})
	if err != nil {
		return report, err
	}
	r.out = out
	err = r.run()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst) // a partial copy must not be taken for a repaired file
		return r.report, fmt.Errorf("repair %s into %s: %w", src, dst, err)
	}
	return r.report, nil
}

// checkSchema refuses a file written by a newer herald: its records may be
// encoded in ways this one cannot read.
func (r *repairer) checkSchema() error {
	var version uint64
	// A walker of its own: run reads the bucket again, and the main
	// walker takes a page read twice for a loop.
	w := newWalker(r.w.bf, func(string, error) {})
	w.bucket(string(bMeta), r.buckets[string(bMeta)], func(e element) {
		if bytes.Equal(e.key, keySchema) && len(e.value) == 8 {
			version = binary.BigEndian.Uint64(e.value)
		}
	})
	if version > uint64(len(migrations)) {
		return fmt.Errorf("schema version %d is newer than this herald understands (%d): repair it with a newer herald", version, len(migrations))
	}
	return nil
}

func (r *repairer) run() error {
	for _, kind := range repairKinds {
		count := RepairCount{Kind: kind.name}
		var pending []element
		var pendingBucket []byte
		flush := func() error {
			if len(pending) == 0 {
				return nil
			}
			err := r.out.write(func(tx *bolt.Tx) error {
				for _, e := range pending {
					if kind.save(r, tx, pendingBucket, e.key, e.value) {
						count.Saved++
					} else {
						count.Lost++
						r.badKey(pendingBucket, e.key)
					}
				}
				return nil
			})
			pending = pending[:0]
			return err
		}
		for _, b := range kind.buckets {
			value, ok := r.buckets[string(b)]
			if !ok {
				continue // its entry in the root was unreadable, or it never existed
			}
			var err error
			pendingBucket = b
			r.w.bucket(string(b), value, func(e element) {
				if err != nil || e.bucket {
					return
				}
				if pending = append(pending, e); len(pending) == repairBatch {
					err = flush()
				}
			})
			if err == nil {
				err = flush()
			}
			if err != nil {
				return fmt.Errorf("save %s: %w", kind.name, err)
			}
		}
		r.report.Counts = append(r.report.Counts, count)
	}
	if err := r.finish(); err != nil {
		return err
	}
	r.countLost()
	return nil
}

// finish sets what the records alone do not say: the bucket sequences
// (no ID given out before is given out again) and each target's newest
// alert.
func (r *repairer) finish() error {
	return r.out.write(func(tx *bolt.Tx) error {
		for _, s := range []struct {
			bucket []byte
			min    uint64
		}{{bSubs, r.subSeq}, {bOutbox, r.outboxSeq}} {
			seq := s.min
			if v := r.buckets[string(s.bucket)]; len(v) >= inBucketSize {
				seq = max(seq, ne.Uint64(v[8:]))
			}
			if err := tx.Bucket(s.bucket).SetSequence(seq); err != nil {
				return err
			}
		}
		last := tx.Bucket(bLogLast)
		for t, s := range r.last {
			if err := last.Put([]byte(t), logKey(s.Target, s.Key)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (r *repairer) badKey(bucket, key []byte) {
	if r.bad[string(bucket)] == nil {
		r.bad[string(bucket)] = map[string]bool{}
	}
	r.bad[string(bucket)][string(key)] = true
}

// missing notes a record of bucket an index named that the new file lacks.
func (r *repairer) missing(bucket []byte, key string) {
	if r.bad[string(bucket)][key] {
		return // counted already: read, but it did not decode
	}
	if r.lost[string(bucket)] == nil {
		r.lost[string(bucket)] = map[string]bool{}
	}
	r.lost[string(bucket)][key] = true
}

// countLost reads the old file's indexes for records they name that did
// not make it, and adds them to the counts.
func (r *repairer) countLost() {
	r.out.view(func(tx *bolt.Tx) error {
		has := func(b []byte, k string) bool { return tx.Bucket(b).Get([]byte(k)) != nil }
		listed := func(target string, id []byte) {
			if !has(bSubs, string(id)) {
				r.missing(bSubs, string(id))
			}
			if !has(bTargets, target) {
				r.missing(bTargets, target)
			}
		}
		r.index(bTargetSubs, func(k, v []byte) {
			ids, _ := decodeSubList(v)
			for _, id := range ids {
				listed(string(k), u64(id))
			}
		})
		r.index(bSubsByTgt, func(k, _ []byte) { // before version 4
			if i := bytes.IndexByte(k, 0); i > 0 && len(k) == i+9 {
				listed(string(k[:i]), k[i+1:])
			}
		})
		r.index(bOutboxIDs, func(_, seq []byte) {
			if !has(bOutbox, string(seq)) {
				r.missing(bOutbox, string(seq))
			}
		})
		r.index(bArtTime, func(k, _ []byte) {
			if len(k) > 8 && !has(bArticles, string(k[8:])) {
				r.missing(bArticles, string(k[8:]))
			}
		})
		// A file older than version 9 names a log entry by its alert key
		// alone; the new file by logKey (target, 0, alert key).
		r.index(bLogStory, func(k, _ []byte) {
			story, key, ok := bytes.Cut(k, []byte{0})
			if !ok {
				return
			}
			found := has(bLog, string(key))
			if bytes.IndexByte(key, 0) < 0 { // find it among the story's entries
				prefix := append(bytes.Clone(story), 0)
				c := tx.Bucket(bLogStory).Cursor()
				for nk, _ := c.Seek(prefix); nk != nil && bytes.HasPrefix(nk, prefix) && !found; nk, _ = c.Next() {
					found = alertKeyOf(nk[len(prefix):]) == string(key) && has(bLog, string(nk[len(prefix):]))
				}
			}
			if !found {
				r.missing(bLog, string(key))
			}
		})
		r.index(bLogLast, func(t, v []byte) {
			key := v
			if bytes.IndexByte(v, 0) < 0 {
				key = logKey(alerts.TargetID(t), string(v))
			}
			if !has(bLog, string(key)) {
				r.missing(bLog, string(v))
			}
		})
		return nil
	})
	for i := range r.report.Counts {
		for _, b := range repairKinds[i].buckets {
			r.report.Counts[i].Lost += len(r.lost[string(b)])
		}
	}
}

// index walks a bucket of the old file, if it was readable.
func (r *repairer) index(bucket []byte, visit func(k, v []byte)) {
	if v, ok := r.buckets[string(bucket)]; ok {
		r.w.bucket(string(bucket), v, func(e element) { visit(e.key, e.value) })
	}
}
