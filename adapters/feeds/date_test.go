package feeds

import (
	"testing"
	"time"
)

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"Tue,24 Nov 2026 10:00:00 +0300", "24 ноября 2026 г., 10:00 +0300", "Вт, 24 Ноя 2026 10:00:00 +0300",
		"24 листопада 2026 р. о 10:00", "Tue, 24 Nov 2026 10:00:00 GMT+3", "03.11.2026 10:00", "20261124T100000Z", "2026-11-24T10:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := parseDate(s); !d.IsZero() && d.Location() != time.UTC {
			t.Fatalf("%q: %v is not in UTC", s, d)
		}
	})
}
