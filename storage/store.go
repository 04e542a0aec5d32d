package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/herald-news/herald/alerts"
)

// SchemaVersion is the layout this code reads and writes.
const SchemaVersion = 4

// ErrInUse is returned by Open when another process holds the database.
var ErrInUse = errors.New("database is in use by another herald process")

var (
	bMeta      = []byte("meta")
	bFeeds     = []byte("feeds")
	bTargets   = []byte("targets")
	bSubs      = []byte("subs")
	bArticles  = []byte("articles")
	bArtKeys   = []byte("art_keys")
	bArtTime   = []byte("art_time")
	bStories   = []byte("stories")
	bOutbox    = []byte("outbox")
	bOutboxIDs = []byte("outbox_ids")
	bLog       = []byte("log")
	bLogStory  = []byte("log_story")
	bLogLast   = []byte("log_last")
	bButtons   = []byte("buttons")

	allBuckets = [][]byte{bMeta, bFeeds, bTargets, bSubs, bTargetSubs, bArticles, bArtKeys,
		bArtTime, bStories, bOutbox, bOutboxIDs, bOutboxDue, bOutboxCount, bOutboxRefs, bLog, bLogStory, bLogLast,
		bLogTarget, bButtons}

	keySchema = []byte("schema_version")
)

// Migration upgrades the database from version N-1 to N, where N is its
// index in migrations plus one. It runs inside the opening transaction.
type Migration func(tx *bolt.Tx) error

// migrations[i] takes the schema from version i to i+1. Version 1 is the
// first layout, created by Open itself. Open creates every bucket before
// the migrations run, so a migration fills new buckets, it does not
// create them.
var migrations = []Migration{
	func(tx *bolt.Tx) error { return nil },
	// 2: the delivery log indexed by target and time (log_target).
	indexLogByTarget,
	// 3: outbox entries refer to their articles instead of copying them,
	// and are indexed by target (outbox_record.go).
	migrateOutboxRefs,
	// 4: subscriptions in a compact binary record instead of JSON (the
	// copy into a new file before Open, upgrade.go, rewrote them), and a
	// list of each target's subscriptions instead of a key for each.
	listSubsByTarget,
}

// Options tune Open. The zero value is usable.
type Options struct {
	// LockTimeout bounds the wait for another process's file lock;
	// default 1 s.
	LockTimeout time.Duration
	// ArticleBodyCap limits the stored body of an article (for /test);
	// default 16 KiB.
	ArticleBodyCap int
}

// DB is Herald's store. It implements the bot's store roles (bot.Store)
// and the adapters' meta stores, and is safe for concurrent use. This
// package does not import bot: cmd/herald checks at compile time that DB
// satisfies each interface.
type DB struct {
	db      *bolt.DB
	commit  committer
	path    string
	bodyCap int
}

// Open opens or creates the database at path, creating the buckets and
// running migrations. A second process gets ErrInUse, not a hang.
func Open(path string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.ArticleBodyCap <= 0 {
		opts.ArticleBodyCap = 16 << 10
	}
	if err := upgradeFile(path, opts.LockTimeout); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open database %s: %w (waited %s for its lock; stop the other process or use another file)", path, ErrInUse, opts.LockTimeout)
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	d := &DB{db: bdb, path: path, bodyCap: opts.ArticleBodyCap}
	if err := d.db.Update(d.setup); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("prepare database %s: %w", path, err)
	}
	return d, nil
}

func (d *DB) setup(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bMeta)
	v := 0
	if raw := meta.Get(keySchema); raw != nil {
		if len(raw) != 8 {
			return fmt.Errorf("schema version is malformed (%d bytes): not a herald database?", len(raw))
		}
		v = int(binary.BigEndian.Uint64(raw))
	}
	if v > len(migrations) || v < 0 {
		return fmt.Errorf("schema version %d is newer than this herald understands (%d): upgrade herald", v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		if err := migrations[v](tx); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
	}
	return meta.Put(keySchema, u64(uint64(v)))
}

// Path returns the file the database lives in.
func (d *DB) Path() string { return d.path }

// Close closes the database file.
func (d *DB) Close() error { return d.db.Close() }

// Backup writes a consistent copy of the database to w while it stays in
// use (a hot backup), and returns the bytes written.
func (d *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := d.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// BackupFile writes a hot copy to path atomically (temporary file, then
// rename).
func (d *DB) BackupFile(path string) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	n, err := d.Backup(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	return n, nil
}

// SchemaVersion returns the stored schema version.
func (d *DB) SchemaVersion() (int, error) {
	var v int
	err := d.db.View(func(tx *bolt.Tx) error {
		if raw := tx.Bucket(bMeta).Get(keySchema); len(raw) == 8 {
			v = int(binary.BigEndian.Uint64(raw))
		}
		return nil
	})
	return v, err
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// getJSON decodes the value at key into v, or returns alerts.ErrNotFound.
func getJSON(b *bolt.Bucket, key []byte, v any) error {
	raw := b.Get(key)
	if raw == nil {
		return alerts.ErrNotFound
	}
	return json.Unmarshal(raw, v)
}

func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, alerts.ErrNotFound)
}
