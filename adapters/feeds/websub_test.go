package feeds

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/feeds/feedtest"
	"github.com/herald-news/herald/alerts"
)

// fakeHub is a WebSub hub on loopback: it takes subscription requests,
// verifies intent against the callback, and can publish signed content.
type fakeHub struct {
	t     *testing.T
	mu    sync.Mutex
	req   url.Values
	posts int
	// verified receives the result of the verification of intent.
	verified chan error
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.req = r.PostForm
	h.posts++
	h.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	go func(form url.Values) {
		q := url.Values{
			"hub.mode":          {form.Get("hub.mode")},
			"hub.topic":         {form.Get("hub.topic")},
			"hub.challenge":     {"c-12345"},
			"hub.lease_seconds": {"3600"},
		}
		resp, err := http.Get(form.Get("hub.callback") + "?" + q.Encode())
		if err != nil {
			h.verified <- err
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "c-12345" {
			h.verified <- &StatusError{Code: resp.StatusCode, Status: resp.Status + " " + string(body)}
			return
		}
		h.verified <- nil
	}(r.PostForm)
}

func (h *fakeHub) form() url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.req
}

func sign(newHash func() hash.Hash, algo, secret string, body []byte) string {
	m := hmac.New(newHash, []byte(secret))
	m.Write(body)
	return algo + "=" + hex.EncodeToString(m.Sum(nil))
}

// webSubRig is a hub, a feed that names it (at topic), and Herald's HTTP
// server with a poller's callbacks mounted at /websub/.
type webSubRig struct {
	hub    *fakeHub
	fd     *feedtest.Feed
	topic  string
	herald *httptest.Server
	p      *Poller
}

// newWebSubRig starts the servers; opts gets PublicURL, and feeds(topic)
// the operator's feeds.
func newWebSubRig(t *testing.T, opts PollerOptions, feeds func(topic string) []string) *webSubRig {
	r := &webSubRig{hub: &fakeHub{t: t, verified: make(chan error, 1)}, fd: feedtest.NewFeed("Pushed", item(1))}
	hubSrv := httptest.NewServer(r.hub)
	t.Cleanup(hubSrv.Close)
	feedSrv := httptest.NewServer(r.fd)
	t.Cleanup(feedSrv.Close)
	r.topic = feedSrv.URL + "/feed"
	r.fd.SetHub(hubSrv.URL+"/", r.topic)
	mux := http.NewServeMux()
	r.herald = httptest.NewServer(mux)
	t.Cleanup(r.herald.Close)
	opts.PublicURL = r.herald.URL + "/"
	if feeds != nil {
		opts.Feeds = feeds(r.topic)
	}
	r.p = NewPoller(opts, newMemStore(), nil)
	mux.Handle("/websub/", r.p.Handler())
	return r
}

func TestWebSubHandshakeAndPush(t *testing.T) {
	rig := newWebSubRig(t, PollerOptions{MinInterval: time.Hour}, func(topic string) []string { return []string{topic} })
	hub, fd, topic, herald, p := rig.hub, rig.fd, rig.topic, rig.herald, rig.p

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan alerts.Article, 10)
	go p.Run(ctx, out)

	select {
	case err := <-hub.verified:
		if err != nil {
			t.Fatalf("verification of intent: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no subscription request reached the hub")
	}
	form := hub.form()
	if form.Get("hub.mode") != "subscribe" || form.Get("hub.topic") != topic || form.Get("hub.secret") == "" ||
		form.Get("hub.callback") != herald.URL+"/websub/"+p.feeds[topic].id {
		t.Fatalf("subscription request: %v", form)
	}
	secret, callback := form.Get("hub.secret"), form.Get("hub.callback")
	f := p.feeds[topic]
	f.mu.Lock()
	lease := f.st.LeaseUntil
	f.mu.Unlock()
	if lease.IsZero() {
		t.Error("the verified lease was not recorded")
	}

	// A challenge for a topic Herald did not ask about is refused.
	resp, err := http.Get(callback + "?hub.mode=subscribe&hub.topic=" + url.QueryEscape("https://evil.example/") + "&hub.challenge=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("foreign topic verification: %s, want 404", resp.Status)
	}

	post := func(body []byte, sig string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, callback, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/rss+xml")
		if sig != "" {
			req.Header.Set("X-Hub-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("push answered %s", resp.Status)
		}
	}

	// Forged and unsigned content is ignored.
	fd.Add(item(2))
	doc := fd.Document()
	post(doc, sign(sha256.New, "sha256", "wrong secret", doc))
	post(doc, "")
	if got := p.Stats().BadSignatures; got != 2 {
		t.Errorf("bad signatures counted %d, want 2", got)
	}
	select {
	case a := <-out:
		t.Fatalf("unsigned push emitted %+v", a)
	default:
	}

	// Signed content comes out, only the new item, once.
	post(doc, sign(sha256.New, "sha256", secret, doc))
	select {
	case a := <-out:
		if a.GUID != "item-2" {
			t.Errorf("pushed article %+v, want item-2", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("signed push emitted nothing")
	}
	fd.Add(item(3))
	doc = fd.Document()
	post(doc, sign(sha1.New, "sha1", secret, doc)) // sha1 still in use by hubs
	post(doc, sign(sha1.New, "sha1", secret, doc)) // delivered twice by the hub
	if a := <-out; a.GUID != "item-3" {
		t.Errorf("sha1 push: %+v", a)
	}
	select {
	case a := <-out:
		t.Errorf("a second delivery emitted %+v again", a)
	default:
	}
	if p.Stats().Pushes != 3 {
		t.Errorf("pushes = %d, want 3", p.Stats().Pushes)
	}

	// Unknown callback IDs are 404.
	resp, err = http.Get(herald.URL + "/websub/nope?hub.mode=subscribe&hub.challenge=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown callback: %s", resp.Status)
	}
}

func TestWebSubRenewsBeforeLeaseExpiry(t *testing.T) {
	clock := newFakeClock()
	p := NewPoller(PollerOptions{PublicURL: "https://herald.example", Now: clock.Now}, nil, nil)
	f := &feed{st: feedState{Hub: "https://hub.example/", Topic: "https://x.example/feed"}}
	now := clock.Now()
	f.st.SubscribeAsked = now.Add(-time.Hour)
	f.st.LeaseUntil = now.Add(5 * 24 * time.Hour)
	if p.websubDue(f, f.st.Hub, f.st.Topic, now) {
		t.Error("renewing a lease with 5 days left")
	}
	f.st.LeaseUntil = now.Add(12 * time.Hour)
	if !p.websubDue(f, f.st.Hub, f.st.Topic, now) {
		t.Error("not renewing a lease with 12 hours left")
	}
	f.st.SubscribeAsked = now.Add(-time.Minute)
	if p.websubDue(f, f.st.Hub, f.st.Topic, now) {
		t.Error("asking the hub again a minute after the last request")
	}
	if !p.websubDue(f, "https://other-hub.example/", f.st.Topic, now) {
		t.Error("not subscribing at a new hub")
	}
}

func TestWebSubSignature(t *testing.T) {
	body := []byte("<rss/>")
	for _, tt := range []struct {
		header string
		ok     bool
	}{
		{sign(sha256.New, "sha256", "s3cret", body), true},
		{sign(sha1.New, "sha1", "s3cret", body), true},
		{sign(sha1.New, "sha256", "s3cret", body), false},
		{sign(sha256.New, "sha256", "other", body), false},
		{"md5=abcd", false},
		{"sha256=zz", false},
		{"", false},
		{"sha256", false},
	} {
		if got := websubSignatureOK("s3cret", tt.header, body); got != tt.ok {
			t.Errorf("%q: %v, want %v", tt.header, got, tt.ok)
		}
	}
	if websubSignatureOK("", sign(sha256.New, "sha256", "", body), body) {
		t.Error("accepted a signature without a secret")
	}
}

func TestWebSubHubFromLinkHeader(t *testing.T) {
	hub := &fakeHub{t: t, verified: make(chan error, 1)}
	hubSrv := httptest.NewServer(hub)
	defer hubSrv.Close()
	fd := feedtest.NewFeed("Linked", item(1))
	var topic string
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "<"+hubSrv.URL+`/>; rel="hub"`)
		w.Header().Add("Link", "<"+topic+`>; rel="self"`)
		fd.ServeHTTP(w, r)
	}))
	defer feedSrv.Close()
	topic = feedSrv.URL + "/topic"

	mux := http.NewServeMux()
	herald := httptest.NewServer(mux)
	defer herald.Close()
	p := NewPoller(PollerOptions{Feeds: []string{feedSrv.URL}, PublicURL: herald.URL}, newMemStore(), nil)
	mux.Handle("/websub/", p.Handler())
	pollOnce(t, p, feedSrv.URL)
	if err := <-hub.verified; err != nil {
		t.Fatalf("verification: %v", err)
	}
	if got := hub.form().Get("hub.topic"); got != topic {
		t.Errorf("topic %q, want the Link header's self %q", got, topic)
	}
	// Polling again does not ask the hub again while the lease runs.
	pollOnce(t, p, feedSrv.URL)
	hub.mu.Lock()
	posts := hub.posts
	hub.mu.Unlock()
	if posts != 1 {
		t.Errorf("%d subscription requests, want 1 during a running lease", posts)
	}
}

// A feed removed from chat asks its hub to stop, confirms the hub's check
// of that intent, and refuses what the hub still pushes.
func TestRemovedFeedLeavesItsHub(t *testing.T) {
	rig := newWebSubRig(t, PollerOptions{AllowPrivate: true, MinInterval: time.Hour}, nil)
	hub, fd, topic, p := rig.hub, rig.fd, rig.topic, rig.p
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx, make(chan alerts.Article, 10))
	waitFor(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return p.runCtx != nil })

	if _, err := p.AddSource(ctx, topic, "test:chat"); err != nil {
		t.Fatal(err)
	}
	wait := func(what string) {
		t.Helper()
		select {
		case err := <-hub.verified:
			if err != nil {
				t.Fatalf("%s: verification of intent: %v", what, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no request reached the hub", what)
		}
	}
	wait("subscribe")
	callback := hub.form().Get("hub.callback")

	if err := p.RemoveSource(ctx, topic, "test:other"); err == nil || !strings.Contains(err.Error(), "another chat") {
		t.Fatalf("removal by another chat: %v", err)
	}
	if err := p.RemoveSource(ctx, topic, "test:chat"); err != nil {
		t.Fatal(err)
	}
	wait("unsubscribe")
	if m := hub.form().Get("hub.mode"); m != "unsubscribe" {
		t.Errorf("the hub was asked to %q, want unsubscribe", m)
	}
	resp, err := http.Post(callback, "application/rss+xml", bytes.NewReader(fd.Document()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// 410 while the hub has not let go; 404 once it has and the callback
	// is forgotten.
	if resp.StatusCode != http.StatusGone && resp.StatusCode != http.StatusNotFound {
		t.Errorf("a push to the removed feed: %s, want 410 or 404", resp.Status)
	}
	// The callback no longer confirms a subscription to the removed feed.
	q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.challenge": {"again"}}
	resp, err = http.Get(callback + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("the removed feed's callback confirmed a new subscription")
	}
}
