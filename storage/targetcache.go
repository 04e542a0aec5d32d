package storage

import (
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// targetCache keeps targets as last read, so that planning an article
// that reaches 300 chats does not decode 300 JSON records each time. Every
// transaction that writes a target moves the generation on when it
// commits (targetsWritten), which makes every cached target stale; a
// target read is kept with the generation seen before its transaction
// began, so a write that commits meanwhile makes it stale too. Targets
// change rarely (commands, a chat that blocked the bot), so one
// generation for all of them costs little. Only this process writes the
// file (bbolt's lock), so nothing else can change a target behind it.
type targetCache struct {
	gen atomic.Uint64
	mu  sync.Mutex
	m   map[alerts.TargetID]cachedTarget
}

type cachedTarget struct {
	t   alerts.Target
	gen uint64
}

// targetCacheMax bounds the cache: when full, half of it goes (Go's
// map order picks which), so a deployment with more chats than fit keeps
// the rest instead of starting again empty.
const targetCacheMax = 20000

func (c *targetCache) get(id alerts.TargetID) (alerts.Target, bool) {
	g := c.gen.Load()
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || e.gen != g {
		return alerts.Target{}, false
	}
	return e.t, true
}

// put keeps t, read in a transaction begun after the generation was gen.
func (c *targetCache) put(t alerts.Target, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[alerts.TargetID]cachedTarget)
	}
	if len(c.m) >= targetCacheMax {
		for id := range c.m {
			delete(c.m, id)
			if len(c.m) <= targetCacheMax/2 {
				break
			}
		}
	}
	c.m[t.ID] = cachedTarget{t, gen}
}

// targetsWritten marks tx as one that writes targets: when it commits,
// every cached target is stale.
func (d *DB) targetsWritten(tx *bolt.Tx) {
	tx.OnCommit(func() { d.targets.gen.Add(1) })
}
