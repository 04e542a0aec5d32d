package storage

import (
	"bytes"
	"sync"

	"github.com/herald-news/herald/alerts"
)

// articleCache keeps the articles outbox reads decoded last. Every queued
// alert refers to its article (outbox_record.go), and an article that
// matched 300 chats is read back 300 times, once per chat's turn: decoding
// its JSON each time was an eighth of the send path. An entry holds the
// stored bytes it was decoded from, and is used only while the article
// still reads the same (an article replaced since is decoded anew), so the
// cache needs no word from the writers and is never stale.
type articleCache struct {
	mu   sync.Mutex
	m    map[string]cachedArticle
	ring [articleCacheSize]string // IDs in the order they came; the oldest goes first
	next int
}

type cachedArticle struct {
	raw []byte
	art alerts.Article // without its body
}

// articleCacheSize bounds the entries; an article record is a few KiB (its
// body is capped at Options.ArticleBodyCap), so this is a few MiB at most.
const articleCacheSize = 512

// article returns the article stored as raw under id, without its body.
func (c *articleCache) article(id string, raw []byte) (alerts.Article, error) {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && bytes.Equal(e.raw, raw) {
		return e.art, nil
	}
	var a alerts.Article
	if err := decodeArticle(raw, &a); err != nil {
		return a, err
	}
	a.Body = ""
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]cachedArticle, articleCacheSize)
	}
	if _, ok := c.m[id]; !ok {
		if old := c.ring[c.next]; old != "" {
			delete(c.m, old)
		}
		c.ring[c.next] = id
		c.next = (c.next + 1) % articleCacheSize
	}
	c.m[id] = cachedArticle{raw: bytes.Clone(raw), art: a}
	return a, nil
}
