// The REST transport: discordgo's requests sent to the configured API base, and
// every answer watched for the limits Discord counts.

package discord

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// rewriteTransport sends discordgo's requests, built for
// https://discord.com/api/v9/..., to the configured API base, and shows
// every answer to observe.
type rewriteTransport struct {
	base    *url.URL
	next    http.RoundTripper
	observe func(*http.Response)
}

func (t *rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	if r.URL.Host != "discord.com" || !strings.HasPrefix(r.URL.Path, "/api/v") {
		return next.RoundTrip(r)
	}
	rest := strings.TrimPrefix(r.URL.Path, "/api/v")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[i:]
	} else {
		rest = ""
	}
	r = r.Clone(r.Context())
	r.URL.Scheme = t.base.Scheme
	r.URL.Host = t.base.Host
	r.URL.Path = t.base.Path + rest
	r.URL.RawPath = ""
	r.Host = ""
	resp, err := next.RoundTrip(r)
	if err == nil && t.observe != nil {
		t.observe(resp)
	}
	return resp, err
}

// observe watches every REST answer: 401, 403 and 429 (but a 429 of a
// shared bucket) count toward Discord's invalid-request limit, and a global
// 429 holds every send back until it ends. discordgo only learns of a
// global limit when X-RateLimit-Reset-After comes with it.
func (a *Adapter) observe(resp *http.Response) {
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		a.invalid.add()
	case http.StatusTooManyRequests:
		h := resp.Header
		if h.Get("X-RateLimit-Scope") != "shared" {
			a.invalid.add()
		}
		// A 429 without Discord's rate-limit headers comes from Cloudflare
		// (an IP ban), which holds everything back too.
		cloudflare := h.Get("X-RateLimit-Scope") == "" && h.Get("X-RateLimit-Limit") == "" && h.Get("X-RateLimit-Global") == ""
		if h.Get("X-RateLimit-Global") != "" || h.Get("X-RateLimit-Scope") == "global" || cloudflare {
			after := parseSeconds(h.Get("X-RateLimit-Reset-After"))
			if after <= 0 {
				after = parseSeconds(h.Get("Retry-After"))
			}
			if after <= 0 && cloudflare {
				after = time.Minute
			}
			if after <= 0 {
				after = time.Second
			}
			until := a.now().Add(after).UnixNano()
			for {
				cur := a.globalUntil.Load()
				if cur >= until || a.globalUntil.CompareAndSwap(cur, until) {
					break
				}
			}
		}
	}
}

// parseSeconds reads a header of (fractional) seconds.
func parseSeconds(v string) time.Duration {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 || f > 24*3600 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}
