package story

import "time"

// window holds the articles of the window, indexed by the keys that two
// reports of one event share: their names, figures and concepts (see
// features.keys). A new article's candidates are the members that share
// at least two keys with it; the names and figures rule of pairScore and
// the figures and concepts rule of crossLangScore need as much, so no
// member that could join is left out, and members that share nothing are
// never looked at.
//
// A key that many articles of the window carry ("Trump", "Ukraine", "10")
// is scanned only for its maxScan most recent members: reports of one
// event come within hours of each other, and a pair that shares nothing
// but such keys does not pass the threshold. So the cost of an article
// stays bounded by its keys, whatever the size of the window.
type window struct {
	members []*member            // in the order they came
	byKey   map[uint64][]*member // in the order they came
	byID    map[string]*member
	epoch   uint64    // stamps the members one search visits
	cand    []*member // candidates of the current search
}

// maxScan is how many of the most recent members of one key a search
// looks at.
const maxScan = 128

func newWindow() window {
	return window{byKey: map[uint64][]*member{}, byID: map[string]*member{}}
}

func (w *window) add(m *member) {
	w.members = append(w.members, m)
	for _, k := range m.keys {
		w.byKey[k] = append(w.byKey[k], m)
	}
	if m.id != "" {
		w.byID[m.id] = m
	}
}

// candidates calls fn with every member that shares at least two keys
// with m (m's own keys, scanned as described above).
func (w *window) candidates(m *member, fn func(*member)) {
	w.epoch++
	for _, k := range m.keys {
		l := w.byKey[k]
		if len(l) > maxScan {
			l = l[len(l)-maxScan:]
		}
		for _, o := range l {
			if o.visit != w.epoch {
				o.visit, o.hits = w.epoch, 0
			}
			if o.hits++; o.hits == 2 {
				w.cand = append(w.cand, o)
			}
		}
	}
	for _, o := range w.best(maxCandidates) {
		fn(o)
	}
	clear(w.cand)
	w.cand = w.cand[:0]
}

// maxCandidates is how many candidates a search scores at most: those
// that share the most keys with the new article, the most recent first
// among equals.
const maxCandidates = 64

// best returns the n candidates with the most hits; w.cand holds them in
// the order they were found.
func (w *window) best(n int) []*member {
	c := w.cand
	if len(c) <= n {
		return c
	}
	var count [maxHits + 1]int
	for _, o := range c {
		count[min(o.hits, maxHits)]++
	}
	// The least hits h that keeps the selection within n.
	h, total := maxHits, 0
	for ; h > 2 && total+count[h] <= n; h-- {
		total += count[h]
	}
	out := c[:0:0]
	for _, o := range c {
		if min(o.hits, maxHits) > h {
			out = append(out, o)
		}
	}
	// Fill up with members of h hits, the most recent (found last in
	// each key's list, so latest here) first.
	for i := len(c) - 1; i >= 0 && len(out) < n; i-- {
		if min(c[i].hits, maxHits) == h {
			out = append(out, c[i])
		}
	}
	return out
}

// maxHits caps the hits best tells apart.
const maxHits = 64

// expire drops the members that appeared before cutoff and returns them.
// Its cost follows the expired members and the lists of their keys.
func (w *window) expire(cutoff time.Time) []*member {
	var gone []*member
	dirty := map[uint64]bool{}
	keep := w.members[:0]
	for _, m := range w.members {
		if !m.seen.Before(cutoff) {
			keep = append(keep, m)
			continue
		}
		gone = append(gone, m)
		for _, k := range m.keys {
			dirty[k] = true
		}
		if w.byID[m.id] == m {
			delete(w.byID, m.id)
		}
	}
	clear(w.members[len(keep):])
	w.members = keep
	for k := range dirty {
		l := w.byKey[k]
		live := l[:0]
		for _, o := range l {
			if !o.seen.Before(cutoff) {
				live = append(live, o)
			}
		}
		clear(l[len(live):])
		if len(live) == 0 {
			delete(w.byKey, k)
		} else {
			w.byKey[k] = live
		}
	}
	return gone
}
