package storage

import (
	"sync"
	"sync/atomic"
	"time"
)

// The database's pages in the process's resident set.
//
// bbolt reads the file through a read-only shared map of it. Every page a
// transaction reads there (a B-tree search, a cursor, a page a commit
// rewrites) stays mapped into the process, and the kernel counts it in the
// process's RSS (RssFile in /proc/self/status) although it is the page
// cache's, shared and reclaimable. A process whose store grows to a gigabyte
// then shows a gigabyte more RSS than it holds, and a container's memory
// limit or an operator reading RSS takes it for a leak.
//
// So a goroutine of the DB looks at the process's resident file pages every
// mapCheckEvery, and once they have grown by more than Options.MapLimit
// since it last released them, it releases the map's pages
// (maprelease_linux.go). They stay in the page cache: the next read of one
// maps it again from memory (a minor fault, no disk read), and nothing
// stored changes. Elsewhere than Linux nothing is released.

// defaultMapLimit is Options.MapLimit's default: small beside the
// process's own memory, large enough that the pages a busy second reads
// again (the B-trees' upper levels, the outbox's heads) are not released
// over and over.
const defaultMapLimit = 16 << 20

// mapCheckEvery is how often the resident file pages are read (a few
// microseconds each time). It is short because the pages come back fast:
// with each page a read faults in, the kernel maps up to 15 neighbours
// already in the page cache ("fault-around", which bbolt's MADV_RANDOM
// does not turn off), so B-tree searches under heavy load map 100-300 MB
// of the file a second (herald bench --pipeline, backlog and burst).
const mapCheckEvery = 100 * time.Millisecond

// mapCostShare bounds the time spent releasing: after a release that took
// t, the next waits at least mapCostShare × t (2 % of one core). Dropping
// page table entries costs about 0.4 µs a page, and the pages read again
// cost a fault each: under a load that reads most of the file every
// second, releasing more often would trade the pipeline's CPU for a
// figure, since the pages are the page cache's either way.
const mapCostShare = 50

// mapWatch is the goroutine that releases the map, and what it did.
type mapWatch struct {
	limit    int64
	releases atomic.Uint64
	stop     chan struct{} // closed by Close
	done     chan struct{} // closed when the goroutine has returned
	once     sync.Once
}

// startMapWatch starts the goroutine unless limit is negative or the map
// cannot be released on this system.
func (d *DB) startMapWatch(limit int64) {
	if limit < 0 || !canReleaseMap {
		return
	}
	if limit == 0 {
		limit = defaultMapLimit
	}
	w := &mapWatch{limit: limit, stop: make(chan struct{}), done: make(chan struct{})}
	d.mapWatch = w
	go d.watchMap(w)
}

// stopMapWatch stops the goroutine and, unless bbolt may be stuck after
// damage (see Close), waits for it. Closing twice is harmless.
func (d *DB) stopMapWatch() {
	w := d.mapWatch
	if w == nil {
		return
	}
	w.once.Do(func() { close(w.stop) })
	if d.Err() == nil {
		<-w.done
	}
}

func (d *DB) watchMap(w *mapWatch) {
	defer close(w.done)
	t := time.NewTicker(mapCheckEvery)
	defer t.Stop()
	base, _ := residentFile()
	var hold time.Time // no release before it
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			if now.Before(hold) {
				continue
			}
		}
		start := time.Now()
		released, err := d.checkMap(w, &base)
		if err != nil {
			// It would fail again at every check: say so once and stop.
			d.log.Warn("Cannot release the database's pages from memory; the process's RSS will count every page of it read", "db", d.path, "err", err)
			return
		}
		if released {
			hold = start.Add(mapCostShare * time.Since(start))
		}
	}
}

// checkMap releases the map when the process's resident file pages have
// grown by more than the limit over *base, what they were after the last
// release, and then sets *base anew.
func (d *DB) checkMap(w *mapWatch, base *int64) (released bool, err error) {
	rss, ok := residentFile()
	if !ok {
		return false, nil
	}
	if rss <= *base+w.limit {
		*base = min(*base, rss) // other files' pages may have gone
		return false, nil
	}
	if err := d.releaseMap(); err != nil {
		if d.Err() != nil {
			return false, nil // the damage is the news, and every call says it
		}
		return false, err
	}
	w.releases.Add(1)
	*base, _ = residentFile()
	d.log.Debug("Released the database's pages from memory", "db", d.path, "resident_file_mb", rss>>20, "after_mb", *base>>20)
	return true, nil
}

// MapReleases returns how many times the store released the database's
// pages from the process's memory (herald_db_map_releases_total).
func (d *DB) MapReleases() uint64 {
	if d.mapWatch == nil {
		return 0
	}
	return d.mapWatch.releases.Load()
}
