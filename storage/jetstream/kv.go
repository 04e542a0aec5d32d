package jetstream

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-news/herald/alerts"
)

// enc makes any string a valid key token: NATS keys allow letters, digits
// and -/_=. only, and target IDs carry ':' (and '.' would split tokens).
func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func dec(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err
}

// hashKey is a short fixed-length key for a long value (a URL).
func hashKey(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

// getJSON reads key into v and returns its revision, or alerts.ErrNotFound.
func getJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (uint64, error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return 0, alerts.ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, fmt.Errorf("%s %s: %w", kv.Bucket(), key, err)
	}
	return e.Revision(), nil
}

func putJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (uint64, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	return kv.Put(ctx, key, raw)
}

// updateJSON writes v under key only if key is still at rev (0: absent).
func updateJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any, rev uint64) (uint64, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	if rev == 0 {
		return kv.Create(ctx, key, raw)
	}
	return kv.Update(ctx, key, raw, rev)
}

// conflict reports a compare-and-set that lost to another writer.
func conflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

// del removes a key; a key already gone is not an error.
func del(ctx context.Context, kv jetstream.KeyValue, key string) error {
	err := kv.Delete(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}

// keys lists the keys matching filter ("t.abc.*"); none is not an error.
func keys(ctx context.Context, kv jetstream.KeyValue, filter string) ([]string, error) {
	var out []string
	err := retry(ctx, func(ctx context.Context) error {
		out = nil
		l, err := kv.ListKeysFiltered(ctx, filter)
		if err != nil {
			if errors.Is(err, jetstream.ErrNoKeysFound) {
				return nil
			}
			return err
		}
		for k := range l.Keys() {
			out = append(out, k)
		}
		return ctx.Err()
	})
	return out, err
}

type kvEntry struct {
	key string
	rev uint64
	val []byte
}

// each calls fn with the value of every key matching filters, reading the
// bucket once with a watcher (one request stream, not a get per key). The
// read is retried whole on a transient failure, before fn sees anything.
func each(ctx context.Context, kv jetstream.KeyValue, filters []string, fn func(key string, rev uint64, val []byte) error) error {
	var got []kvEntry
	err := retry(ctx, func(actx context.Context) error {
		got = got[:0]
		// The listing may take longer than one attempt's bound: it
		// streams, and stalls only when a server is lost.
		w, err := kv.WatchFiltered(ctx, filters, jetstream.IgnoreDeletes())
		if err != nil {
			return err
		}
		defer w.Stop()
		idle := time.NewTimer(attemptTimeout)
		defer idle.Stop()
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-idle.C:
				return nats.ErrTimeout
			case e, ok := <-w.Updates():
				if !ok {
					return nats.ErrTimeout
				}
				if e == nil {
					return nil // the initial values are done
				}
				got = append(got, kvEntry{e.Key(), e.Revision(), e.Value()})
				idle.Reset(attemptTimeout)
			}
		}
	})
	if err != nil {
		return err
	}
	for _, e := range got {
		if err := fn(e.key, e.rev, e.val); err != nil {
			return err
		}
	}
	return nil
}

func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, alerts.ErrNotFound)
}
