package feeds

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// WebSub (https://www.w3.org/TR/websub/): when a feed names a hub, Herald
// subscribes with a callback on its own HTTP server, so the hub pushes new
// content within seconds. Polling goes on as the safety net.

const (
	// websubLease is the lease Herald asks for; hubs may grant less.
	websubLease = 10 * 24 * time.Hour
	// websubRetry is how long to wait for a hub's verification before
	// asking again.
	websubRetry = 15 * time.Minute
)

// websubDue says whether the feed's subscription needs asking for or
// renewing. f.mu must be held.
func (p *Poller) websubDue(f *feed, hub, topic string, now time.Time) bool {
	if f.st.Hub != hub || f.st.Topic != topic {
		return true
	}
	if now.Sub(f.st.SubscribeAsked) < websubRetry {
		return false
	}
	if f.st.LeaseUntil.IsZero() {
		return true
	}
	// Renew ahead of expiry, by more than one poll interval so a quiet
	// feed does not miss the window.
	ahead := max(2*p.opts.MaxInterval, websubLease/10)
	return now.After(f.st.LeaseUntil.Add(-ahead))
}

// maybeSubscribe asks the feed's hub for (or renews) a subscription.
func (p *Poller) maybeSubscribe(ctx context.Context, f *feed, pf *parsedFeed, res *fetchResult, guarded bool) {
	if p.opts.PublicURL == "" || pf == nil {
		return
	}
	hub, topic := pf.Hub, pf.Self
	if hub == "" {
		hub = res.Hub
	}
	if topic == "" {
		topic = res.Self
	}
	if hub == "" {
		return
	}
	f.mu.Lock()
	base, _ := url.Parse(f.st.URL)
	if u, err := feedResolveURL(base, hub); err == nil {
		hub = u.String()
	}
	if topic == "" {
		topic = f.st.URL
	}
	now := p.opts.Now()
	if !p.websubDue(f, hub, topic, now) {
		f.mu.Unlock()
		return
	}
	if f.st.Hub != hub || f.st.Topic != topic {
		f.st.LeaseUntil = time.Time{}
	}
	if f.st.Secret == "" {
		var b [24]byte
		rand.Read(b[:])
		f.st.Secret = hex.EncodeToString(b[:])
	}
	f.st.Hub, f.st.Topic, f.st.SubscribeAsked = hub, topic, now
	secret := f.st.Secret
	feedURL := f.st.URL
	f.mu.Unlock()
	p.markDirty(f)

	if err := p.websubRequest(ctx, "subscribe", hub, topic, p.websubCallback(f), secret, guarded); err != nil {
		p.log.Warn("WebSub subscription failed; polling goes on", "feed", logURL(feedURL), "hub", hub, "error", err)
		return
	}
	p.log.Info("Asked WebSub hub for a subscription", "feed", logURL(feedURL), "hub", hub)
}

func (p *Poller) websubCallback(f *feed) string {
	return p.opts.PublicURL + "/websub/" + f.id
}

func (p *Poller) websubRequest(ctx context.Context, mode, hub, topic, callback, secret string, guarded bool) error {
	form := url.Values{
		"hub.mode":          {mode},
		"hub.topic":         {topic},
		"hub.callback":      {callback},
		"hub.lease_seconds": {strconv.Itoa(int(websubLease / time.Second))},
	}
	if secret != "" {
		form.Set("hub.secret", secret)
	}
	if u, err := url.Parse(hub); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("bad hub URL %q", hub)
	}
	ctx, cancel := context.WithTimeout(ctx, p.fetch.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hub, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", p.fetch.ua)
	c := p.fetch.open
	if guarded {
		c = p.fetch.guarded
	}
	resp, err := c.Do(req)
	if err != nil {
		return guardWithURL(err, hub)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("hub answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

// Handler serves WebSub callbacks: the hub's verification of intent (GET)
// and content notifications (POST). Mount it at /websub/ on Herald's HTTP
// server; the last path element is the feed's callback ID.
func (p *Poller) Handler() http.Handler {
	return http.HandlerFunc(p.serveWebSub)
}

func (p *Poller) serveWebSub(w http.ResponseWriter, r *http.Request) {
	id := path.Base(r.URL.Path)
	p.mu.Lock()
	f := p.byID[id]
	p.mu.Unlock()
	if f == nil {
		http.Error(w, "unknown subscription", http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodGet:
		p.websubVerify(w, r, f)
	case http.MethodPost:
		p.websubNotify(w, r, f)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// websubVerify answers the hub's verification of intent: the challenge is
// echoed only for the topic we asked about.
func (p *Poller) websubVerify(w http.ResponseWriter, r *http.Request, f *feed) {
	q := r.URL.Query()
	mode, topic, challenge := q.Get("hub.mode"), q.Get("hub.topic"), q.Get("hub.challenge")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch mode {
	case "subscribe":
		if f.st.Topic == "" || topic != f.st.Topic || challenge == "" || f.st.Disabled || f.removed.Load() {
			http.Error(w, "no such subscription was asked for", http.StatusNotFound)
			return
		}
		lease := websubLease
		if s, err := strconv.Atoi(q.Get("hub.lease_seconds")); err == nil && s > 0 {
			lease = time.Duration(s) * time.Second
		}
		f.st.LeaseUntil = p.opts.Now().Add(lease)
		p.log.Info("WebSub subscription verified", "feed", logURL(f.st.URL), "lease", lease)
	case "unsubscribe":
		// Herald asks to unsubscribe only for a feed it removed.
		if f.st.Topic == topic && !f.st.Disabled && !f.removed.Load() {
			http.Error(w, "still subscribed", http.StatusNotFound)
			return
		}
		f.st.LeaseUntil = time.Time{}
		if f.removed.Load() {
			go p.dropTombstone(f) // the hub let go: the callback can go too
		}
	case "denied":
		p.log.Warn("WebSub hub denied the subscription; polling goes on", "feed", logURL(f.st.URL), "reason", q.Get("hub.reason"))
		f.st.LeaseUntil = time.Time{}
		w.WriteHeader(http.StatusOK)
		go p.markDirty(f)
		return
	default:
		http.Error(w, "bad hub.mode", http.StatusBadRequest)
		return
	}
	go p.markDirty(f)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, challenge)
}

// websubNotify takes a pushed feed: its signature is checked against the
// subscription's secret, then its new items go out like polled ones.
func (p *Poller) websubNotify(w http.ResponseWriter, r *http.Request, f *feed) {
	if f.removed.Load() {
		http.Error(w, "this feed was removed", http.StatusGone)
		return
	}
	body, err := fetchReadCapped(r.Body, p.fetch.opts.MaxBody)
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	f.mu.Lock()
	secret, feedURL := f.st.Secret, f.st.URL
	f.mu.Unlock()
	sig := r.Header.Get("X-Hub-Signature-256")
	if sig == "" {
		sig = r.Header.Get("X-Hub-Signature")
	}
	if !websubSignatureOK(secret, sig, body) {
		// The spec asks to ignore such content, and allows a 2xx so a
		// forger learns nothing.
		p.stats.badSignatures.Add(1)
		p.log.Warn("WebSub notification ignored: bad or missing signature", "feed", logURL(feedURL))
		w.WriteHeader(http.StatusAccepted)
		return
	}
	p.mu.Lock()
	out, runCtx := p.out, p.runCtx
	p.mu.Unlock()
	if out == nil {
		http.Error(w, "not running", http.StatusServiceUnavailable)
		return
	}
	pf, err := parseFeedDoc(runCtx, bytes.NewReader(body), docMeta{ContentType: r.Header.Get("Content-Type"), FeedURL: feedURL}, p.opts.MaxItems)
	if err != nil {
		p.log.Warn("WebSub notification is not a feed", "feed", logURL(feedURL), "error", err)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	p.stats.pushes.Add(1)
	fresh := p.ingest(f, pf)
	p.markDirty(f)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(runCtx, cancel)
	defer stop()
	p.emit(ctx, f, fresh, out)
	w.WriteHeader(http.StatusAccepted)
}

// websubSignatureOK checks an X-Hub-Signature header: "<algo>=<hex HMAC of
// the body keyed by the secret>".
func websubSignatureOK(secret, header string, body []byte) bool {
	if secret == "" || header == "" {
		return false
	}
	algo, sig, ok := strings.Cut(strings.TrimSpace(header), "=")
	if !ok {
		return false
	}
	var h func() hash.Hash
	switch strings.ToLower(algo) {
	case "sha1":
		h = sha1.New
	case "sha256":
		h = sha256.New
	case "sha384":
		h = sha512.New384
	case "sha512":
		h = sha512.New
	default:
		return false
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hmac.Equal(m.Sum(nil), want)
}

// dropTombstone forgets the callback of a removed feed, unless the feed was
// added again under the same callback meanwhile.
func (p *Poller) dropTombstone(f *feed) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byID[f.id] == f {
		delete(p.byID, f.id)
	}
}
