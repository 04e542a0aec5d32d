package discord

import (
	"net/http"
	"testing"
	"time"
)

func TestInvalidCounterWindow(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	c := newInvalidCounter(10*time.Minute, 3, func() time.Time { return now })
	for range 2 {
		c.add()
	}
	if w := c.backoff(); w != 0 {
		t.Fatalf("backoff below the limit = %s", w)
	}
	now = now.Add(5 * time.Minute)
	c.add()
	w := c.backoff()
	if w <= 0 || w > 5*time.Minute+10*time.Second {
		t.Fatalf("backoff at the limit = %s, want until the first refusals age out (~5m)", w)
	}
	now = now.Add(w)
	if w := c.backoff(); w != 0 {
		t.Errorf("backoff after the oldest left the window = %s", w)
	}
}

func TestObserveAnswers(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  map[string]string
		invalid int
		global  time.Duration
	}{
		{"ok", 200, nil, 0, 0},
		{"forbidden", 403, nil, 1, 0},
		{"unauthorized", 401, nil, 1, 0},
		{"not found", 404, nil, 0, 0},
		{"route 429", 429, map[string]string{"X-RateLimit-Scope": "user", "X-RateLimit-Limit": "5", "Retry-After": "2"}, 1, 0},
		{"shared 429 is not counted", 429, map[string]string{"X-RateLimit-Scope": "shared", "X-RateLimit-Limit": "5"}, 0, 0},
		{"global 429", 429, map[string]string{"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global", "Retry-After": "3"}, 1, 3 * time.Second},
		{"cloudflare 429", 429, map[string]string{"Retry-After": "120"}, 1, 2 * time.Minute},
		{"cloudflare 429 without Retry-After", 429, nil, 1, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
			a := &Adapter{now: func() time.Time { return now },
				invalid: newInvalidCounter(10*time.Minute, 1, func() time.Time { return now })}
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			a.observe(&http.Response{StatusCode: tt.status, Header: h})
			if got := a.invalid.backoff() > 0; got != (tt.invalid > 0) {
				t.Errorf("counted = %v, want %v", got, tt.invalid > 0)
			}
			if got := time.Duration(a.globalUntil.Load() - now.UnixNano()); tt.global == 0 && a.globalUntil.Load() != 0 || tt.global != 0 && got != tt.global {
				t.Errorf("global hold = %s, want %s", got, tt.global)
			}
		})
	}
}
