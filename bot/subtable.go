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
// about 4 bytes each: a million subscriptions take a few megabytes, where
// keeping their records would take hundreds. A subscription's query and
// creation time stay in the store; planning reads the queries of the
// subscriptions an article matched. Safe for concurrent use.
type subTable struct {
	mu sync.RWMutex
	// chats numbers the targets that have subscriptions: chats[n-1] is
	// number n, and number is its inverse.
	chats  []alerts.TargetID
	number map[alerts.TargetID]uint32
	// chatOf is the chat number by subscription ID (IDs are small and
	// dense: the store hands them out in sequence), 0 for none; IDs past
	// what chatOf can reasonably grow to go to far.
	chatOf []uint32
	far    map[uint64]uint32
	// muted holds the subscriptions with a mute, few of them.
	muted map[uint64]time.Time
}

func newSubTable() *subTable {
	return &subTable{number: map[alerts.TargetID]uint32{}, far: map[uint64]uint32{}, muted: map[uint64]time.Time{}}
}

// get returns what planning needs of a subscription.
func (t *subTable) get(id uint64) (subInfo, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var n uint32
	if id < uint64(len(t.chatOf)) {
		n = t.chatOf[id]
	} else {
		n = t.far[id]
	}
	if n == 0 {
		return subInfo{}, false
	}
	return subInfo{Target: t.chats[n-1], MutedUntil: t.muted[id]}, true
}

// set records a subscription, or its change.
func (t *subTable) set(s alerts.Subscription) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, ok := t.number[s.Target]
	if !ok {
		t.chats = append(t.chats, s.Target)
		n = uint32(len(t.chats))
		t.number[s.Target] = n
	}
	switch {
	case s.ID < uint64(len(t.chatOf)):
		t.chatOf[s.ID] = n
	case s.ID < 2*uint64(len(t.chatOf))+1<<16:
		t.chatOf = append(t.chatOf, make([]uint32, int(s.ID)+1-len(t.chatOf))...)
		t.chatOf[s.ID] = n
	default:
		t.far[s.ID] = n
	}
	if s.MutedUntil.IsZero() {
		delete(t.muted, s.ID)
	} else {
		t.muted[s.ID] = s.MutedUntil
	}
}

// drop forgets a subscription.
func (t *subTable) drop(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id < uint64(len(t.chatOf)) {
		t.chatOf[id] = 0
	}
	delete(t.far, id)
	delete(t.muted, id)
}

func (b *Bot) subInfo(id uint64) (subInfo, bool) { return b.subs.get(id) }
func (b *Bot) setSub(s alerts.Subscription)      { b.subs.set(s) }
func (b *Bot) dropSub(id uint64)                 { b.subs.drop(id) }
