package bot

import (
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
)

// subInfo is what planning needs of a subscription without reading the
// store: the chat it belongs to, and until when it is muted.
type subInfo struct {
	Target     alerts.TargetID
	MutedUntil time.Time
}

// subTable holds subInfo for every subscription the matcher knows, in
// about 40 bytes each (the chat's ID, a string header, and the few mutes):
// a million subscriptions take some 40 MB, where keeping their records
// took 150 MB. A subscription's query and creation time stay in the store;
// planning reads the queries of the subscriptions an article matched.
// Safe for concurrent use.
type subTable struct {
	mu sync.RWMutex
	// chat is the target by subscription ID (IDs are small and dense: the
	// store hands them out in sequence), "" for none; IDs past what chat
	// can reasonably grow to go to far.
	chat []alerts.TargetID
	far  map[uint64]alerts.TargetID
	// muted holds the subscriptions with a mute, few of them.
	muted map[uint64]time.Time
}

func newSubTable() *subTable {
	return &subTable{far: map[uint64]alerts.TargetID{}, muted: map[uint64]time.Time{}}
}

// get returns what planning needs of a subscription.
func (t *subTable) get(id uint64) (subInfo, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var target alerts.TargetID
	if id < uint64(len(t.chat)) {
		target = t.chat[id]
	} else {
		target = t.far[id]
	}
	if target == "" {
		return subInfo{}, false
	}
	return subInfo{Target: target, MutedUntil: t.muted[id]}, true
}

// set records a subscription, or its change.
func (t *subTable) set(s alerts.Subscription) {
	t.mu.Lock()
	defer t.mu.Unlock()
	known := false
	switch {
	case s.ID < uint64(len(t.chat)):
		known = t.chat[s.ID] != ""
		t.chat[s.ID] = s.Target
	case s.ID < 2*uint64(len(t.chat))+1<<16:
		if s.ID >= uint64(cap(t.chat)) {
			// Double: append grows a large slice by a quarter, copying
			// it five times over while a million load in ID order.
			grown := make([]alerts.TargetID, len(t.chat), 2*int(s.ID)+1)
			copy(grown, t.chat)
			t.chat = grown
		}
		t.chat = t.chat[:s.ID+1]
		t.chat[s.ID] = s.Target
	default:
		_, known = t.far[s.ID]
		t.far[s.ID] = s.Target
	}
	if !s.MutedUntil.IsZero() {
		t.muted[s.ID] = s.MutedUntil
	} else if known {
		delete(t.muted, s.ID) // a new one has no mute to forget
	}
}

// drop forgets a subscription.
func (t *subTable) drop(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id < uint64(len(t.chat)) {
		t.chat[id] = ""
	}
	delete(t.far, id)
	delete(t.muted, id)
}

func (b *Bot) subInfo(id uint64) (subInfo, bool) { return b.subs.get(id) }
func (b *Bot) setSub(s alerts.Subscription)      { b.subs.set(s) }
func (b *Bot) dropSub(id uint64)                 { b.subs.drop(id) }
