package loopback

import (
	"net/http/httptest"
	"testing"
)

func TestFrom(t *testing.T) {
	for _, tt := range []struct {
		remote, header string
		want           bool
	}{
		{"127.0.0.1:5000", "", true},
		{"[::1]:5000", "", true},
		{"127.0.0.1:5000", "X-Forwarded-For", false},
		{"127.0.0.1:5000", "Forwarded", false},
		{"127.0.0.1:5000", "X-Real-Ip", false},
		{"203.0.113.7:5000", "", false},
		{"10.0.0.2:5000", "", false},
		{"not an address", "", false},
	} {
		r := httptest.NewRequest("POST", "/v1/articles", nil)
		r.RemoteAddr = tt.remote
		if tt.header != "" {
			r.Header.Set(tt.header, "203.0.113.7")
		}
		if got := From(r); got != tt.want {
			t.Errorf("From(%s, %q) = %v, want %v", tt.remote, tt.header, got, tt.want)
		}
	}
}
