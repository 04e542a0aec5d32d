package feeds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/semaphore"
)

// FetchOptions are the HTTP knobs of the poller. Zero values take the
// defaults in brackets.
type FetchOptions struct {
	// Timeout is how long a request may wait for the network [30s]: for
	// the answer's headers, then for each piece of its body. Parsing and
	// waiting for a share of ParseBytes do not count; a whole request is
	// cut off after 10 × Timeout (at least five minutes) all the same.
	Timeout time.Duration
	// DialTimeout bounds connecting [10s].
	DialTimeout time.Duration
	// MaxBody caps a feed or page body [10 MiB].
	MaxBody int64
	// MaxRedirects caps redirects followed for one request [5].
	MaxRedirects int
	// PerHost caps concurrent requests to one host [2].
	PerHost int
	// ParseBytes caps the bytes of large documents being read at once
	// [3 × MaxBody]: a document past its first MiB waits until its size
	// (the server's Content-Length, else MaxBody) fits under the cap.
	// Small documents never wait.
	ParseBytes int64
}

func (o FetchOptions) withDefaults() FetchOptions {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 10 << 20
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 5
	}
	if o.PerHost <= 0 {
		o.PerHost = 2
	}
	if o.ParseBytes <= 0 {
		o.ParseBytes = 3 * o.MaxBody
	}
	return o
}

// StatusError is a feed server's answer that is not a feed: 4xx or 5xx.
type StatusError struct {
	Code   int
	Status string
	// RetryAfter is what the server asked us to wait (429, 503), or 0.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	s := "server answered " + e.Status
	if e.RetryAfter > 0 {
		s += fmt.Sprintf("; it asked to retry after %s", e.RetryAfter)
	}
	return s
}

// errBodyTooLarge is returned (wrapped) when a body passes the cap.
var errBodyTooLarge = errors.New("the body is too large")

// bodyTooLargeError says what the cap was.
type bodyTooLargeError struct{ limit int64 }

func (e *bodyTooLargeError) Error() string {
	return "the body is larger than the " + fetchByteSize(e.limit) + " limit"
}

func (e *bodyTooLargeError) Is(target error) bool { return target == errBodyTooLarge }

// fetchResult is one feed fetch.
type fetchResult struct {
	NotModified  bool
	ETag         string
	LastModified string
	// MaxAge is the server's Cache-Control max-age, or 0.
	MaxAge time.Duration
	// Hub and Self come from the Link header (WebSub discovery).
	Hub, Self string
	// ContentType and ContentLocation are the server's headers.
	ContentType, ContentLocation string
	// Size is the body's length if the server said it, else -1.
	Size int64
}

// fetchRequest is one fetch.
type fetchRequest struct {
	URL                string
	ETag, LastModified string
	// Guarded refuses private addresses and file:// URLs (a feed added
	// from chat).
	Guarded bool
	// HostHeld says the caller holds the host's slot already (a poll).
	HostHeld bool
}

// readBody reads a fetched body while the response is open. What it
// returns is the fetch's error.
type readBody func(res *fetchResult, body io.Reader) error

// fetcher does conditional GETs over http(s) and reads file:// feeds, and
// hands the body to the caller as a stream, never holding it whole. It
// keeps two clients: one that may reach any address (the operator's
// feeds), one guarded against private addresses (feeds added from chat).
type fetcher struct {
	opts    FetchOptions
	ua      string
	open    *http.Client
	guarded *http.Client
	hosts   *hostLimiter
	parses  parseGate
	// afterFunc starts a request's stall timer: time.AfterFunc, or a
	// test's timer that fires when the test says.
	afterFunc func(time.Duration, func()) stallTimer
}

// parseGate holds the budget for large documents (FetchOptions.ParseBytes):
// a semaphore.Weighted, or a test's wrapper of one that tells when a fetch
// waits.
type parseGate interface {
	Acquire(ctx context.Context, n int64) error
	Release(n int64)
}

// stallTimer is a request's stall timer: a *time.Timer from afterFunc.
type stallTimer interface {
	Reset(time.Duration) bool
	Stop() bool
}

func newFetcher(opts FetchOptions, ua string) *fetcher {
	opts = opts.withDefaults()
	if ua == "" {
		ua = "Herald/1.0 (+https://github.com/herald-news/herald)"
	}
	f := &fetcher{opts: opts, ua: ua, hosts: newHostLimiter(opts.PerHost), parses: semaphore.NewWeighted(opts.ParseBytes),
		afterFunc: func(d time.Duration, fn func()) stallTimer { return time.AfterFunc(d, fn) }}
	f.open = f.client(nil)
	f.guarded = f.client(guardControl)
	return f
}

func (f *fetcher) client(control func(string, string, syscall.RawConn) error) *http.Client {
	d := &net.Dialer{Timeout: f.opts.DialTimeout, KeepAlive: 30 * time.Second, Control: control}
	tr := &http.Transport{
		// No proxy from the environment: a proxy would connect on our
		// behalf and bypass the address guard.
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   f.opts.PerHost,
		MaxConnsPerHost:       f.opts.PerHost * 2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: f.opts.Timeout,
	}
	max := f.opts.MaxRedirects
	return &http.Client{
		Transport: tr, // no Timeout: fetch has a stall timer instead
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > max {
				return fmt.Errorf("stopped after %d redirects", max)
			}
			return nil
		},
	}
}

// fetch gets a feed, conditionally on the request's ETag and
// Last-Modified, and unless it is not modified hands its body to read.
func (f *fetcher) fetch(ctx context.Context, rq fetchRequest, read readBody) (*fetchResult, error) {
	rawURL := rq.URL
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bad feed URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "file":
		if rq.Guarded {
			return nil, fmt.Errorf("refusing to read %s: file:// feeds can only be configured by the operator", rawURL)
		}
		return f.readFile(ctx, u, rq.LastModified, read)
	case "http", "https":
	default:
		return nil, fmt.Errorf("bad feed URL %q: the scheme must be http, https or file", rawURL)
	}
	if !rq.HostHeld {
		release, err := f.hosts.acquire(ctx, u.Host)
		if err != nil {
			return nil, err
		}
		defer release()
	}

	// A request that makes no progress for Timeout is cut off: the stall
	// timer runs until the answer's headers come, then while each read of
	// the body waits for the network (not while the document is parsed,
	// nor while it waits for its share of the budget for large ones).
	reqCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	reqCtx, cancelAll := context.WithTimeoutCause(reqCtx, f.wholeLimit(), errTooSlow)
	defer cancelAll()
	stall := f.afterFunc(f.opts.Timeout, func() { cancel(errStalled) })
	defer stall.Stop()
	res, err := f.get(reqCtx, rq, u, read, stall)
	if cause := context.Cause(reqCtx); err != nil && ctx.Err() == nil && (cause == errStalled || cause == errTooSlow) {
		during := ""
		if res != nil {
			during = " while reading the body"
		}
		if cause == errTooSlow {
			return nil, &fetchError{fmt.Sprintf("cut off after %s%s: too slow", f.wholeLimit(), during), cause}
		}
		return nil, &fetchError{fmt.Sprintf("timed out: nothing came for %s%s", f.opts.Timeout, during), cause}
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// wholeLimit is how long a whole request may take: 10 × Timeout, at least
// five minutes.
func (f *fetcher) wholeLimit() time.Duration { return max(10*f.opts.Timeout, 5*time.Minute) }

// Causes of a request cut off.
var (
	errStalled = errors.New("no progress")
	errTooSlow = errors.New("too slow")
)

// get does the request of fetch. The result is not nil once the answer's
// headers came, even with an error.
func (f *fetcher) get(ctx context.Context, rq fetchRequest, u *url.URL, read readBody, stall stallTimer) (*fetchResult, error) {
	rawURL := rq.URL
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("bad feed URL %q: %w", rawURL, err)
	}
	req.Header.Set("User-Agent", f.ua)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5")
	if rq.ETag != "" {
		req.Header.Set("If-None-Match", rq.ETag)
	}
	if rq.LastModified != "" {
		req.Header.Set("If-Modified-Since", rq.LastModified)
	}
	c := f.open
	if rq.Guarded {
		c = f.guarded
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, f.describe(guardWithURL(err, rawURL), u.Host, "")
	}
	defer resp.Body.Close()

	res := &fetchResult{
		ETag:            resp.Header.Get("ETag"),
		LastModified:    resp.Header.Get("Last-Modified"),
		MaxAge:          fetchMaxAge(resp.Header.Values("Cache-Control")),
		ContentType:     resp.Header.Get("Content-Type"),
		ContentLocation: resp.Header.Get("Content-Location"),
		Size:            resp.ContentLength,
	}
	res.Hub, res.Self = fetchLinkHeader(resp.Header.Values("Link"))
	switch {
	case resp.StatusCode == http.StatusNotModified:
		res.NotModified = true
		if res.ETag == "" {
			res.ETag = rq.ETag
		}
		if res.LastModified == "" {
			res.LastModified = rq.LastModified
		}
		return res, nil
	case resp.StatusCode >= 300:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &StatusError{
			Code:       resp.StatusCode,
			Status:     resp.Status,
			RetryAfter: fetchRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}
	stall.Stop() // from here, it runs while a read waits for the network
	if err := f.readBody(ctx, res, resp.Body, read, stall); err != nil {
		return res, f.describe(err, u.Host, " while reading the body")
	}
	return res, nil
}

// fetchError is a network error put in words a chat admin reading
// /sources understands; the original stays in the chain.
type fetchError struct {
	msg string
	err error
}

func (e *fetchError) Error() string { return e.msg }
func (e *fetchError) Unwrap() error { return e.err }

// describe turns the HTTP client's errors into short sentences: "timed out
// after 30s", "connection refused by example.com:80".
func (f *fetcher) describe(err error, host, during string) error {
	var ae *AddressError
	if errors.As(err, &ae) || errors.Is(err, errBodyTooLarge) {
		return err
	}
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return &fetchError{fmt.Sprintf("timed out after %s%s", f.opts.Timeout, during), err}
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return &fetchError{fmt.Sprintf("no such host %s", dnsErr.Name), err}
		}
		return &fetchError{fmt.Sprintf("cannot resolve %s: %s", dnsErr.Name, dnsErr.Err), err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &fetchError{"connection refused by " + host, err}
	case errors.Is(err, syscall.ECONNRESET):
		return &fetchError{"connection reset by " + host + during, err}
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		// Drop the `Get "<url>":` prefix: the feed is named already.
		return &fetchError{uerr.Err.Error(), err}
	}
	return err
}

// readFile reads a file:// feed, unless its modification time is
// lastModified.
func (f *fetcher) readFile(ctx context.Context, u *url.URL, lastModified string, read readBody) (*fetchResult, error) {
	path := u.Path
	if u.Opaque != "" {
		path = u.Opaque
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read feed file: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("read feed file: %w", err)
	}
	mod := st.ModTime().UTC().Format(time.RFC3339Nano)
	if mod == lastModified {
		return &fetchResult{NotModified: true, LastModified: mod}, nil
	}
	res := &fetchResult{LastModified: mod, Size: st.Size()}
	if err := f.readBody(ctx, res, fh, read, nil); err != nil {
		return nil, err
	}
	return res, nil
}

func fetchReadCapped(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if int64(len(b)) > max {
		return nil, &bodyTooLargeError{max}
	}
	return b, nil
}

func fetchByteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// fetchRetryAfter reads a Retry-After header: seconds or an HTTP date.
func fetchRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}

// fetchMaxAge reads max-age from Cache-Control headers; no-store and
// no-cache say nothing about how often to poll, so they are ignored.
func fetchMaxAge(values []string) time.Duration {
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(d), "=")
			if !ok || !strings.EqualFold(k, "max-age") {
				continue
			}
			s, err := strconv.Atoi(strings.Trim(val, `"`))
			if err == nil && s > 0 {
				return time.Duration(s) * time.Second
			}
		}
	}
	return 0
}

// fetchLinkHeader finds rel=hub and rel=self in Link headers.
func fetchLinkHeader(values []string) (hub, self string) {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if !strings.HasPrefix(part, "<") {
				continue
			}
			end := strings.Index(part, ">")
			if end < 0 {
				continue
			}
			target := part[1:end]
			for _, param := range strings.Split(part[end+1:], ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(param), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(val, `"`)) {
					switch strings.ToLower(rel) {
					case "hub":
						if hub == "" {
							hub = target
						}
					case "self":
						if self == "" {
							self = target
						}
					}
				}
			}
		}
	}
	return hub, self
}
