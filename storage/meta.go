package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// metaBucket routes feed state ("feed:" keys) to its own bucket.
func metaBucket(key string) []byte {
	if strings.HasPrefix(key, "feed:") {
		return bFeeds
	}
	return bMeta
}

func reservedMeta(key string) bool {
	return key == string(keySchema) || key == string(keyMigration) || key == string(keyOutboxIndexed) || key == string(keyBareLog)
}

// GetMeta returns a small named value, or alerts.ErrNotFound.
func (d *DB) GetMeta(key string) ([]byte, error) {
	var out []byte
	err := d.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(metaBucket(key)).Get([]byte(key))
		if v == nil {
			return notFound("value", key)
		}
		out = bytes.Clone(v)
		return nil
	})
	return out, err
}

// PutMeta stores a small named value.
func (d *DB) PutMeta(key string, v []byte) error {
	if reservedMeta(key) {
		return fmt.Errorf("put meta %q: reserved for the schema version", key)
	}
	return d.update(func(tx *bolt.Tx) error {
		return tx.Bucket(metaBucket(key)).Put([]byte(key), v)
	})
}

// PutMetas stores several named values in one transaction (the poller
// saves thousands of feed states at once).
func (d *DB) PutMetas(kv map[string][]byte) error {
	for k := range kv {
		if reservedMeta(k) {
			return fmt.Errorf("put %q: reserved for the schema version", k)
		}
	}
	return d.update(func(tx *bolt.Tx) error {
		for k, v := range kv {
			if err := tx.Bucket(metaBucket(k)).Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}
