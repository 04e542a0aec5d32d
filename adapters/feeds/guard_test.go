package feeds

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-news/herald/adapters/feeds/feedtest"
)

func TestRefusedKind(t *testing.T) {
	for _, tt := range []struct {
		ip, want string
	}{
		{"127.0.0.1", "a loopback address"},
		{"127.8.9.10", "a loopback address"},
		{"::1", "a loopback address"},
		{"::ffff:127.0.0.1", "a loopback address"},
		{"10.1.2.3", "a private address"},
		{"172.16.0.1", "a private address"},
		{"192.168.1.1", "a private address"},
		{"fd00::1", "a private address"},
		{"169.254.169.254", "a link-local address"},
		{"fe80::1", "a link-local address"},
		{"0.0.0.0", "an unspecified address"},
		{"::", "an unspecified address"},
		{"224.0.0.1", "a link-local address"},
		{"239.1.2.3", "a multicast address"},
		{"ff02::1", "a link-local address"},
		{"100.64.0.1", "a shared (carrier-grade NAT) address"},
		{"255.255.255.255", "a broadcast address"},
		{"93.184.216.34", ""},
		{"2606:2800:220:1:248:1893:25c8:1946", ""},
	} {
		if got := refusedKind(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.ip, got, tt.want)
		}
	}
}

func TestAddSourceRefusesPrivateAddresses(t *testing.T) {
	fd := feedtest.NewFeed("Local", item(1))
	srv := httptest.NewServer(fd)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	_, port, _ := net.SplitHostPort(u.Host)

	p := NewPoller(PollerOptions{}, newMemStore(), nil)
	ctx := context.Background()

	_, err := p.AddSource(ctx, srv.URL+"/", "test:chat")
	want := "refusing to fetch " + srv.URL + "/: 127.0.0.1 is a loopback address; the operator can allow private feeds with HERALD_ALLOW_PRIVATE_FEEDS=true"
	if err == nil || err.Error() != want {
		t.Fatalf("AddSource(loopback) = %v\nwant %s", err, want)
	}
	var ae *AddressError
	if !errors.As(err, &ae) {
		t.Errorf("error is not an *AddressError: %T", err)
	}
	// A name is checked after resolution, at connect time: localhost is
	// refused like its address (DNS rebinding gets the same treatment).
	_, err = p.AddSource(ctx, "http://localhost:"+port+"/", "test:chat")
	if err == nil || !strings.Contains(err.Error(), "is a loopback address") {
		t.Errorf("AddSource(localhost) = %v", err)
	}
	if fd.Requests.Load() != 0 {
		t.Errorf("the guarded poller reached the private server %d times", fd.Requests.Load())
	}
	if len(p.Sources()) != 0 {
		t.Errorf("refused feeds were added: %+v", p.Sources())
	}

	// The operator can allow it.
	p2 := NewPoller(PollerOptions{AllowPrivate: true}, newMemStore(), nil)
	if s, err := p2.AddSource(ctx, srv.URL+"/", "test:chat"); err != nil || s.State != StateOK {
		t.Errorf("with AllowPrivate: %+v, %v", s, err)
	}
	// And the operator's own feeds reach any address.
	p3 := NewPoller(PollerOptions{Feeds: []string{srv.URL}}, newMemStore(), nil)
	pollOnce(t, p3, srv.URL)
	if s := sourceOf(t, p3, srv.URL); s.State != StateOK {
		t.Errorf("operator feed on loopback: %+v", s)
	}
}

func TestGuardedFeedLaterRefusedIsReportedInHealth(t *testing.T) {
	// A chat-added feed restored from the store is polled through the
	// guard too: its health says why it fails.
	fd := feedtest.NewFeed("Local", item(1))
	srv := httptest.NewServer(fd)
	defer srv.Close()
	store := newMemStore()
	p := NewPoller(PollerOptions{AllowPrivate: true}, store, nil)
	if _, err := p.AddSource(context.Background(), srv.URL, "test:chat"); err != nil {
		t.Fatal(err)
	}
	// The operator turns private feeds off again.
	p2 := NewPoller(PollerOptions{}, store, nil)
	pollOnce(t, p2, srv.URL)
	s := sourceOf(t, p2, srv.URL)
	if s.State != StateFailing || !strings.Contains(s.LastError, "127.0.0.1 is a loopback address") {
		t.Errorf("guarded restored feed: %+v", s)
	}
}
