package alerts_test

import (
	"testing"

	"github.com/herald-news/herald/alerts"
)

func TestImageURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://cdn.example.com/a.jpg":         true,
		"http://images.news.org/x.png?w=800":    true,
		"https://93.184.216.34/a.jpg":           true,
		"https://[2606:4700::1111]/a.jpg":       true,
		"javascript:alert(1)":                   false,
		"data:image/png;base64,AAAA":            false,
		"ftp://cdn.example.com/a.jpg":           false,
		"//cdn.example.com/a.jpg":               false,
		"https://localhost/a.jpg":               false,
		"https://intranet/a.jpg":                false,
		"https://printer.local/a.jpg":           false,
		"https://db.internal/a.jpg":             false,
		"https://nas.home.arpa/a.jpg":           false,
		"http://127.0.0.1/a.jpg":                false,
		"http://10.1.2.3/a.jpg":                 false,
		"http://192.168.1.1/a.jpg":              false,
		"http://172.16.0.1/a.jpg":               false,
		"http://169.254.169.254/latest/meta":    false,
		"http://100.64.0.1/a.jpg":               false,
		"http://[::1]/a.jpg":                    false,
		"http://[fd00::1]/a.jpg":                false,
		"http://[::ffff:10.0.0.1]/a.jpg":        false,
		"http://0.0.0.0/a.jpg":                  false,
		"http://2130706433/a.jpg":               false,
		"http://0x7f.1/a.jpg":                   false,
		"http://127.1/a.jpg":                    false,
		"https://user:pw@cdn.example.com/a.jpg": false,
		"":                                      false,
	} {
		if got := alerts.ImageURL(u) != ""; got != ok {
			t.Errorf("ImageURL(%q) allowed = %v, want %v", u, got, ok)
		}
	}
}

// FuzzImageURL: whatever ImageURL lets through is an http(s) URL that
// parses again to the same host.
func FuzzImageURL(f *testing.F) {
	for _, s := range []string{"https://cdn.example.com/a.jpg", "http://10.0.0.1/", "http://[::1]/", "javascript:x", "http://2130706433/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u := alerts.ImageURL(s)
		if u == "" {
			return
		}
		if alerts.ImageURL(u) != u {
			t.Fatalf("ImageURL(%q) = %q, which does not pass again", s, u)
		}
	})
}
