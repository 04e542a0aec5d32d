package jetstream

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// IdentifyGate spaces the Discord gateway session starts (IDENTIFY) of a
// deployment: Discord allows one per rate-limit bucket (shard %
// max_concurrency) every 5 seconds, for the bot as a whole, and shards
// move between processes. A start takes a key per bucket in a bucket of
// its own whose entries expire after the gap: a create that finds the key
// taken waits until it is gone.
type IdentifyGate struct {
	s   *Store
	kv  jetstream.KeyValue
	gap time.Duration
}

// IdentifyGate returns the deployment's gate for session starts at least
// gap apart per bucket.
func (s *Store) IdentifyGate(ctx context.Context, gap time.Duration) (*IdentifyGate, error) {
	name := s.opts.Prefix + "_identify"
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: name, History: 1, TTL: gap, Replicas: s.replicas,
		Description: "Herald: Discord session starts, one per rate-limit bucket per gap",
	})
	if err != nil {
		return nil, fmt.Errorf("nats: bucket %s: %w", name, err)
	}
	return &IdentifyGate{s: s, kv: kv, gap: gap}, nil
}

// identifyPoll is how often a waiting start looks again.
const identifyPoll = 100 * time.Millisecond

// WaitIdentify returns once this process may start a session in bucket
// (discord.IdentifyGate), or with ctx's error. When the store cannot be
// reached it waits one gap and lets the start go: a refused IDENTIFY is
// retried, a shard held back for good is not.
func (g *IdentifyGate) WaitIdentify(ctx context.Context, bucket int) error {
	key := "b." + strconv.Itoa(bucket)
	failing := time.Time{}
	for {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		_, err := g.kv.Create(actx, key, []byte(g.s.opts.Name))
		cancel()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case conflict(err):
			failing = time.Time{}
		default:
			if failing.IsZero() {
				failing = time.Now()
				g.s.log.Warn("Discord session start not coordinated; waiting a gap", "bucket", bucket, "err", err)
			} else if time.Since(failing) >= g.gap {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(identifyPoll):
		}
	}
}
