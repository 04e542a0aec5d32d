package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/herald-news/herald/alerts"
)

// SchemaVersion is the layout this code reads and writes (see migrations).
const SchemaVersion = 9

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
	bArtKeysOf = []byte("art_keys_of")
	bExpiry    = []byte("expiry")
	bExpiryAt  = []byte("expiry_at")

	allBuckets = [][]byte{bMeta, bFeeds, bTargets, bSubs, bTargetSubs, bArticles, bArtKeys,
		bArtTime, bStories, bOutbox, bOutboxIDs, bOutboxDue, bOutboxTail, bOutboxArts, bLog, bLogStory, bLogLast,
		bLogTarget, bButtons, bArtKeysOf, bExpiry, bExpiryAt}

	keySchema    = []byte("schema_version")
	keyMigration = []byte("schema_migration") // how far a migration got
)

// Options tune Open. The zero value is usable.
type Options struct {
	// LockTimeout bounds the wait for another process's file lock;
	// default 1 s.
	LockTimeout time.Duration
	// ArticleBodyCap limits the stored body of an article (for /test);
	// default 16 KiB.
	ArticleBodyCap int
	// Log receives what the store finds wrong with the file (damage, a
	// meta page bbolt had to skip); nil discards it.
	Log *slog.Logger
	// NoSync skips the disk flushes of every commit. For benchmarks that
	// measure growth, not durability: a crash may lose the last writes or
	// damage the file.
	NoSync bool
	// MapLimit bounds how far the file pages the process keeps in its
	// resident set (RSS: the database's, most of them, and the binary's)
	// grow: once they grew by more than MapLimit bytes (checked ten times
	// a second, within a small share of a core), the store releases
	// the pages bbolt read through its map. They stay in the system's page
	// cache, so the next read of one costs a minor fault, not a disk read
	// (maprelease.go). Default 16 MiB; negative: never released, and RSS
	// counts every page read since Open. Linux only.
	MapLimit int64
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
	log     *slog.Logger
	damage  damage
	backup  sync.Mutex // one Snapshot at a time: each takes the database's size on disk
	// articles are the articles outbox reads decoded last.
	articles articleCache
	// targets are the targets read last (targetcache.go).
	targets  targetCache
	mapWatch *mapWatch // nil: the map's pages are not released
	// lastEnqueue is when deliveries were last queued (unix ns), so that
	// a send after a quiet while queues what is still past the watermark
	// (outbox_pending.go).
	lastEnqueue atomic.Int64
}

// Open opens or creates the database at path, creating the buckets and
// running migrations. A second process gets ErrInUse, not a hang. A
// damaged file (cut short, a meta page written over) gets a *DamageError
// before bbolt reads it.
func Open(path string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.ArticleBodyCap <= 0 {
		opts.ArticleBodyCap = 16 << 10
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	brokenMeta, err := checkHeader(path)
	if err != nil {
		return nil, err
	}
	// A database older than compactSince is copied into a compact file
	// first (upgrade.go), reading it with bbolt: damage found there is
	// damage too.
	if err, damaged := catchDamage(path, func() error { return upgradeFile(path, opts.LockTimeout) }); damaged {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	d := &DB{path: path, bodyCap: opts.ArticleBodyCap, log: opts.Log, damage: damage{done: make(chan struct{})}}
	// bbolt reads the free list as it opens: keep its file to close should
	// that panic on a damaged page.
	var file *os.File
	openFile := func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	err = d.guard(func() error {
		var err error
		d.db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, OpenFile: openFile, NoSync: opts.NoSync})
		return err
	})
	if err != nil {
		if d.db == nil && file != nil && d.Err() != nil {
			file.Close()
		}
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open database %s: %w (waited %s for its lock; stop the other process or use another file)", path, ErrInUse, opts.LockTimeout)
		}
		if errors.Is(err, ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if brokenMeta >= 0 {
		if err := d.recheck(brokenMeta); err != nil {
			d.Close()
			return nil, err
		}
	}
	if err := d.setup(); err != nil {
		d.Close()
		if errors.Is(err, ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("prepare database %s: %w", path, err)
	}
	d.startMapWatch(opts.MapLimit)
	return d, nil
}

// recheck examines the whole file when one of its meta pages is broken.
// That happens when a crash cuts the writing of a meta page short, and
// bbolt then reads the other one, a transaction older, safely; but it is
// also what a file written over looks like. A file that passes the check
// is used, with a warning.
func (d *DB) recheck(brokenMeta int) error {
	r, err := inspect(d.path, d.db)
	if err != nil {
		return err
	}
	if !r.OK() {
		return &DamageError{Path: d.path, Problem: fmt.Sprintf("meta page %d is unusable, and so is more: %s", brokenMeta, r.Problems[0])}
	}
	d.log.Warn("A meta page of the database is unusable; the rest checks out, so Herald goes on from the transaction before it (a write cut short by a crash loses at most that one)",
		"db", d.path, "page", brokenMeta)
	return nil
}

// Path returns the file the database lives in.
func (d *DB) Path() string { return d.path }

// Snapshot writes a consistent copy of the database to a temporary file
// beside it, and returns it to be read from its start, with its length.
// The read transaction lasts only while the copy is written to local disk:
// bbolt cannot grow its map while a read transaction is open, so a copy
// streamed straight to a client that stops reading would hold back every
// write that needs more room. The file goes when the caller closes it (on
// Linux it is out of the directory at once, so a crash leaves nothing).
//
// One snapshot exists at a time (ErrBackupRunning for another until the
// first is closed), and none is begun without room for it: the copy needs
// as much free space as the database, and taking the last of it would
// make every write fail until the copy gave up (ErrNoRoomForBackup).
func (d *DB) Snapshot() (io.ReadCloser, int64, error) {
	if !d.backup.TryLock() {
		return nil, 0, ErrBackupRunning
	}
	dir := filepath.Dir(d.path)
	if free, ok := freeSpace(dir); ok {
		size, err := d.Size()
		if err != nil {
			d.backup.Unlock()
			return nil, 0, fmt.Errorf("backup: %w", err)
		}
		if need := size + 16<<20; free < need {
			d.backup.Unlock()
			return nil, 0, fmt.Errorf("%w: the copy needs %d MiB beside the database in %s, %d MiB are free",
				ErrNoRoomForBackup, need>>20, dir, free>>20)
		}
	}
	f, err := os.CreateTemp(dir, filepath.Base(d.path)+".backup-*")
	if err != nil {
		d.backup.Unlock()
		return nil, 0, fmt.Errorf("backup: a temporary copy beside the database: %w", err)
	}
	snap := &snapshot{File: f, removed: os.Remove(f.Name()) == nil, done: d.backup.Unlock}
	var n int64
	err = d.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(f)
		return err
	})
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		snap.Close()
		return nil, 0, fmt.Errorf("backup: a temporary copy beside the database: %w", err)
	}
	return snap, n, nil
}

// snapshot is Snapshot's temporary file, removed when closed if the system
// would not remove it while open.
type snapshot struct {
	*os.File
	removed bool
	done    func() // lets the next Snapshot begin
	once    sync.Once
}

func (s *snapshot) Close() error {
	err := s.File.Close()
	s.once.Do(func() {
		if !s.removed {
			os.Remove(s.Name())
		}
		s.done()
	})
	return err
}

// ErrBackupRunning is Snapshot's answer while another copy is being made
// or sent.
var ErrBackupRunning = errors.New("backup: another backup is being made; try again when it has finished")

// ErrNoRoomForBackup is Snapshot's answer when the disk has no room for the
// copy.
var ErrNoRoomForBackup = errors.New("backup: not enough free disk space")

// Backup writes a consistent copy of the database to w while it stays in
// use (a hot backup), and returns the bytes written. However slowly w
// takes it, no write of the store waits (see Snapshot).
func (d *DB) Backup(w io.Writer) (int64, error) {
	f, _, err := d.Snapshot()
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(w, f)
}

// BackupFile writes a hot copy to path atomically (temporary file, then
// rename).
func (d *DB) BackupFile(path string) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	var n int64
	err = d.view(func(tx *bolt.Tx) error { // a local file: no reader to stall
		var err error
		n, err = tx.WriteTo(f)
		return err
	})
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

// Size returns the bytes of the file in use: the pages of the last
// transaction. The file itself does not shrink: pages freed by pruning are
// reused.
func (d *DB) Size() (int64, error) {
	var n int64
	err := d.view(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n, err
}

// SchemaVersion returns the stored schema version.
func (d *DB) SchemaVersion() (int, error) {
	var v int
	err := d.view(func(tx *bolt.Tx) error {
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
