package feeds

import "encoding/json"

// markDirty asks for a feed's state to be written at the next flush.
func (p *Poller) markDirty(f *feed) {
	p.mu.Lock()
	p.dirty[f] = true
	p.mu.Unlock()
}

// flush writes changed feed state to the store.
func (p *Poller) flush() {
	if p.store == nil {
		return
	}
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	dirty := p.dirty
	p.dirty = map[*feed]bool{}
	p.mu.Unlock()
	if bs, ok := p.store.(BatchStateStore); ok && len(dirty) > 1 {
		kv := make(map[string][]byte, len(dirty))
		for f := range dirty {
			if f.removed.Load() {
				continue // RemoveSource saved it last; a re-added feed is another *feed
			}
			if key, data, err := p.encodeFeed(f); err == nil {
				kv[key] = data
			}
		}
		if err := bs.PutMetas(kv); err != nil {
			p.log.Warn("Unable to save feed state", "feeds", len(kv), "error", err)
			p.mu.Lock()
			for f := range dirty {
				p.dirty[f] = true
			}
			p.mu.Unlock()
		}
		return
	}
	for f := range dirty {
		if f.removed.Load() {
			continue
		}
		if err := p.saveFeed(f); err != nil {
			p.log.Warn("Unable to save feed state", "feed", logURL(f.st.URL), "error", err)
			p.markDirty(f)
		}
	}
}

// BatchStateStore is a StateStore that can write many values in one
// transaction; the poller uses it when the store offers it, so thousands
// of feeds cost one disk sync per flush instead of one each.
type BatchStateStore interface {
	StateStore
	PutMetas(kv map[string][]byte) error
}

// encodeFeed marshals a feed's state and notes when it was saved.
func (p *Poller) encodeFeed(f *feed) (key string, data []byte, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err = json.Marshal(&f.st)
	f.savedAt = p.opts.Now()
	return feedStateKey(f.st.URL), data, err
}

func (p *Poller) saveFeed(f *feed) error {
	if p.store == nil {
		return nil
	}
	key, data, err := p.encodeFeed(f)
	if err != nil {
		return err
	}
	return p.store.PutMeta(key, data)
}
