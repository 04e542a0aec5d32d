package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// An article's record is its JSON compressed with zstd (schema version 7
// on; plain JSON before, which decodeArticle still reads, so no migration
// rewrites them). Articles are most of the file: a record is a few KiB of
// text, and at that size a record filled a page of its own and spilled
// into overflow pages, so each article a commit stored wrote about three
// pages at a random place in the bucket. Compressed, two or three share a
// page, the file is a third smaller, and a commit writes fewer pages.
//
// github.com/klauspost/compress is already in the build (nats-server uses
// it); its zstd encoder and decoder are safe for concurrent use with
// EncodeAll and DecodeAll. Each frame carries a checksum of its content,
// so a damaged record fails to decode instead of reading as other text.

// zstdMagic starts every zstd frame; a JSON record starts with '{'.
const zstdMagic = "\x28\xb5\x2f\xfd"

// maxArticleRecord bounds what a stored record may expand to, so that a
// damaged one cannot make its reader allocate without limit. A record is
// its body (capped by Options.ArticleBodyCap, 16 KiB by default) and a few
// fields; no real one comes near this.
const maxArticleRecord = 8 << 20

var articleCodec = sync.OnceValues(func() (*zstd.Encoder, *zstd.Decoder) {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderCRC(true),
		zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic("storage: zstd encoder: " + err.Error()) // only for invalid options
	}
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderMaxMemory(maxArticleRecord),
		zstd.WithDecoderLowmem(true))
	if err != nil {
		panic("storage: zstd decoder: " + err.Error())
	}
	return enc, dec
})

// encodeArticle returns an article's record: its JSON, compressed when
// that makes it smaller (a very short one stays as it is).
func encodeArticle(a *alerts.Article) ([]byte, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	enc, _ := articleCodec()
	z := enc.EncodeAll(raw, make([]byte, 0, len(raw)/2))
	if len(z) >= len(raw) {
		return raw, nil
	}
	return z, nil
}

// decodeArticle decodes an article's record, compressed or plain JSON.
func decodeArticle(v []byte, a *alerts.Article) error {
	if bytes.HasPrefix(v, []byte(zstdMagic)) {
		_, dec := articleCodec()
		raw, err := dec.DecodeAll(v, nil)
		if err != nil {
			return fmt.Errorf("decompress the article's record (%d bytes): %w", len(v), err)
		}
		v = raw
	}
	return json.Unmarshal(v, a)
}

// getArticle decodes the article stored under id, or returns
// alerts.ErrNotFound.
func getArticle(b *bolt.Bucket, id []byte, a *alerts.Article) error {
	v := b.Get(id)
	if v == nil {
		return alerts.ErrNotFound
	}
	return decodeArticle(v, a)
}
