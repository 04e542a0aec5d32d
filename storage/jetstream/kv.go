package jetstream

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

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
	got, err := scan(ctx, kv, []string{filter}, true)
	out := make([]string, 0, len(got))
	for _, e := range got {
		out = append(out, e.key)
	}
	return out, err
}

type kvEntry struct {
	key string
	rev uint64
	val []byte
}

// each calls fn with the value of every key matching filters, in the
// order the bucket last wrote them.
func each(ctx context.Context, kv jetstream.KeyValue, filters []string, fn func(key string, rev uint64, val []byte) error) error {
	got, err := scan(ctx, kv, filters, false)
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

// barrierPrefix starts the keys scan writes to know when its read is
// current; no other key starts with it. Each herald process writes one,
// over and over (a bucket keeps one value per key).
const barrierPrefix = "_b."

var barrierKey = barrierPrefix + nuid.Next()

// scan reads the keys matching filters, with their values unless metaOnly,
// reading the bucket once with a watcher (one request stream, not a get per
// key). A watcher reads from one replica of the bucket, which may not yet
// have a write the leader acknowledged; so scan first writes a barrier key
// and reads until the replica has it: every write acknowledged before the
// scan began is then seen. The read is retried whole on a transient
// failure.
func scan(ctx context.Context, kv jetstream.KeyValue, filters []string, metaOnly bool) ([]kvEntry, error) {
	barrier := barrierKey
	var got []kvEntry
	err := retry(ctx, func(actx context.Context) error {
		rev, err := kv.Put(actx, barrier, nil)
		if err != nil {
			return err
		}
		opts := []jetstream.WatchOpt{}
		if metaOnly {
			opts = append(opts, jetstream.MetaOnly())
		}
		// The listing may take longer than one attempt's bound: it
		// streams, and stalls only when a server is lost.
		fs := filters
		if !slices.Contains(filters, ">") {
			fs = append(slices.Clone(filters), barrier)
		}
		w, err := kv.WatchFiltered(ctx, fs, opts...)
		if err != nil {
			return err
		}
		defer w.Stop()
		latest := map[string]kvEntry{}
		initial, current := true, false
		idle := time.NewTimer(attemptTimeout)
		defer idle.Stop()
		for initial || !current {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-idle.C:
				return nats.ErrTimeout
			case e, ok := <-w.Updates():
				if !ok {
					return nats.ErrTimeout
				}
				idle.Reset(attemptTimeout)
				switch {
				case e == nil:
					initial = false
				case e.Key() == barrier:
					current = current || e.Revision() >= rev
				case strings.HasPrefix(e.Key(), barrierPrefix):
				case e.Operation() != jetstream.KeyValuePut:
					delete(latest, e.Key())
				default:
					latest[e.Key()] = kvEntry{e.Key(), e.Revision(), e.Value()}
				}
			}
		}
		got = got[:0]
		for _, e := range latest {
			got = append(got, e)
		}
		slices.SortFunc(got, func(a, b kvEntry) int { return cmpU64(a.rev, b.rev) })
		return nil
	})
	return got, err
}

func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, alerts.ErrNotFound)
}
