package main

import (
	"context"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	s := startService(t, nil)
	t.Setenv("HERALD_HTTP_ADDR", s.addr)
	var out, errb strings.Builder
	if code := runHealthcheck(context.Background(), nil, &out, &errb); code != 0 {
		t.Fatalf("healthcheck of a running herald: exit %d: %s", code, errb.String())
	}
	s.stop()
	errb.Reset()
	if code := runHealthcheck(context.Background(), nil, &out, &errb); code != 1 {
		t.Fatalf("healthcheck of a stopped herald: exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "unhealthy") {
		t.Errorf("stderr: %q", errb.String())
	}
	if code := runHealthcheck(context.Background(), []string{"extra"}, &out, &errb); code != 2 {
		t.Errorf("healthcheck with an argument: exit %d, want 2", code)
	}
}

func TestLocalURLAsksLoopbackForAWildcardAddress(t *testing.T) {
	// The Docker image listens on 0.0.0.0:8080; the check runs inside the
	// container and asks loopback.
	for _, tc := range []struct{ addr, want string }{
		{"0.0.0.0:8080", "http://127.0.0.1:8080/healthz"},
		{":8080", "http://127.0.0.1:8080/healthz"},
		{"[::]:8080", "http://[::1]:8080/healthz"},
		{"10.0.0.5:8080", "http://10.0.0.5:8080/healthz"},
		{"localhost:8080", "http://localhost:8080/healthz"},
	} {
		if got := localURL(tc.addr, "/healthz"); got != tc.want {
			t.Errorf("localURL(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
