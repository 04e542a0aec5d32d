package alerts_test

import (
	"testing"

	"github.com/herald-news/herald/alerts"
)

func TestGUIDKey(t *testing.T) {
	tests := []struct {
		guid, source, want string
	}{
		{"", "One News", ""},
		{"https://one.example/p/7", "One News", "g:https://one.example/p/7"},
		{"urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", "Two News", "g:urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"},
		{"tag:one.example,2026:7", "", "g:tag:one.example,2026:7"},
		{"7", "One News", "l:One News\x007"},
		{"7", "Two News", "l:Two News\x007"},
		{"7", "", "l:\x007"},
	}
	for _, tt := range tests {
		if got := alerts.GUIDKey(&alerts.Article{GUID: tt.guid, Source: tt.source}); got != tt.want {
			t.Errorf("GUIDKey(%q from %q) = %q, want %q", tt.guid, tt.source, got, tt.want)
		}
	}
}
