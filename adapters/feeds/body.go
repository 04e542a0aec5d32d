package feeds

import (
	"context"
	"io"
	"time"
)

// readBody hands body to read under the size cap and the limit on large
// documents read at once.
// stall, if not nil, runs while a read of the body waits for the network.
func (f *fetcher) readBody(ctx context.Context, res *fetchResult, body io.Reader, read readBody, stall stallTimer) error {
	b := &limitedBody{ctx: ctx, r: body, max: f.opts.MaxBody, gate: f.parses, size: res.Size, budget: f.opts.ParseBytes,
		stall: stall, timeout: f.opts.Timeout}
	defer b.done()
	return read(res, b)
}

// freeParseBytes is how much of a document is read before it counts as
// large and takes its share of FetchOptions.ParseBytes.
const freeParseBytes = 1 << 20

// limitedBody is a body as the parser reads it: at most max bytes (past
// them, a bodyTooLargeError), stopping when ctx ends, and, past its first
// MiB, holding a share of the budget for large documents.
type limitedBody struct {
	ctx    context.Context
	r      io.Reader
	max    int64
	n      int64
	gate   parseGate
	size   int64 // the announced size, or -1
	budget int64
	held   int64
	// stall is the request's stall timer, or nil.
	stall   stallTimer
	timeout time.Duration
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if b.n >= freeParseBytes && b.held == 0 && b.gate != nil {
		w := b.size
		if w <= 0 || w > b.max {
			w = b.max
		}
		w = min(w, b.budget)
		if err := b.gate.Acquire(b.ctx, w); err != nil {
			return 0, err
		}
		b.held = w
	}
	if int64(len(p)) > b.max+1-b.n {
		p = p[:b.max+1-b.n]
	}
	if b.stall != nil {
		// Only the wait for the network counts: not the parse between
		// reads, nor the wait for the budget.
		b.stall.Reset(b.timeout)
	}
	n, err := b.r.Read(p)
	if b.stall != nil {
		b.stall.Stop()
	}
	b.n += int64(n)
	if b.n > b.max {
		return n - int(b.n-b.max), &bodyTooLargeError{b.max}
	}
	return n, err
}

// done gives back the share of the budget.
func (b *limitedBody) done() {
	if b.held > 0 {
		b.gate.Release(b.held)
		b.held = 0
	}
}
