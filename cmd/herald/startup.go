package main

import (
	"os"
	"runtime"
	"runtime/debug"

	"github.com/herald-news/herald/bot"
)

// loadGCPercent is the collector's pace while the stored subscriptions
// load, unless the operator set GOGC. Loading allocates several times the
// index it builds (about 590 MB for 1M subscriptions against a 100 MB
// index), nearly all of it garbage within a chunk's parse; at the default
// pace (100) that took a dozen collections, ~8 % of the start's CPU. At
// 400 it takes four, for ~60 MB more peak RSS at 1M. A memory limit
// (GOMEMLIMIT) still holds: the collector runs earlier when the heap nears
// it, whatever the pace.
const loadGCPercent = 400

// loadSubscriptions indexes the stored subscriptions (bot.Load) and
// collects the load's garbage before herald serves, so that the heap a
// ready process reports is what it holds: one collection of ~100 MB live
// at 1M subscriptions, ~30 ms on two cores. The memory freed goes back
// to the OS beside the start rather than being kept for hours.
func loadSubscriptions(b *bot.Bot) (int, error) {
	restore := func() {}
	if os.Getenv("GOGC") == "" {
		old := debug.SetGCPercent(loadGCPercent)
		restore = func() { debug.SetGCPercent(old) }
	}
	n, err := b.Load()
	restore()
	if err != nil {
		return n, err
	}
	runtime.GC()
	go debug.FreeOSMemory()
	return n, nil
}
