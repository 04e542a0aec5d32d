package jetstream

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A NATS server dying, or a stream electing a new leader, makes requests
// fail for a moment: "JetStream system temporarily unavailable", no
// responders, a timeout. The store retries those within its operation's
// deadline, each attempt bounded on its own, so that a lost server stalls a
// write for a few seconds instead of failing it (and the bot, say, dropping
// a delivery because its target could not be read).

// attemptTimeout bounds one request; a stream without a leader answers
// nothing until it elects one.
const attemptTimeout = 3 * time.Second

// transient reports an error that a retry may cure.
func transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, jetstream.ErrNoHeartbeat) {
		return true
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code >= 500 || apiErr.ErrorCode == jetstream.JSErrCodeJetStreamNotEnabled ||
			apiErr.ErrorCode == 10008 /* JetStream not available */ || apiErr.ErrorCode == 10023 /* insufficient resources */
	}
	return false
}

// retry runs fn until it succeeds, fails for good, or ctx ends.
func retry(ctx context.Context, fn func(ctx context.Context) error) error {
	wait := 50 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := fn(actx)
		cancel()
		if !transient(err) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// retryKV is a bucket whose reads and writes retry transient failures.
// A write that timed out may have happened: a retried Create or Update
// then reports a conflict, which every caller treats as "look again".
type retryKV struct{ jetstream.KeyValue }

func (r retryKV) Get(ctx context.Context, key string) (e jetstream.KeyValueEntry, err error) {
	err = retry(ctx, func(ctx context.Context) error { e, err = r.KeyValue.Get(ctx, key); return err })
	return e, err
}

func (r retryKV) Put(ctx context.Context, key string, v []byte) (rev uint64, err error) {
	err = retry(ctx, func(ctx context.Context) error { rev, err = r.KeyValue.Put(ctx, key, v); return err })
	return rev, err
}

func (r retryKV) Create(ctx context.Context, key string, v []byte, opts ...jetstream.KVCreateOpt) (rev uint64, err error) {
	err = retry(ctx, func(ctx context.Context) error { rev, err = r.KeyValue.Create(ctx, key, v, opts...); return err })
	return rev, err
}

func (r retryKV) Update(ctx context.Context, key string, v []byte, last uint64) (rev uint64, err error) {
	err = retry(ctx, func(ctx context.Context) error { rev, err = r.KeyValue.Update(ctx, key, v, last); return err })
	return rev, err
}

func (r retryKV) Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	return retry(ctx, func(ctx context.Context) error { return r.KeyValue.Delete(ctx, key, opts...) })
}

func (r retryKV) Purge(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	return retry(ctx, func(ctx context.Context) error { return r.KeyValue.Purge(ctx, key, opts...) })
}
