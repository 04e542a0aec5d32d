package feeds

import (
	"strings"
	"time"

	"github.com/itlightning/dateparse"
)

// Feeds write dates every way: RFC 822 with any zone name, RFC 3339, W3C
// dates cut to the day or the month, and worse. The standard layouts are
// tried first; dateparse, which knows most of the rest, after.

var dateLayouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC3339Nano, time.RFC3339,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 -0700", "2 Jan 2006 15:04:05 MST", "Mon, 02 Jan 06 15:04:05 -0700",
	"2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05", "2006-01-02", "2006-01",
}

// zoneOffsets are the zone names of RFC 822 and the ones feeds add, which
// time.Parse would otherwise read as UTC.
var zoneOffsets = map[string]string{
	"UT": "+0000", "GMT": "+0000", "UTC": "+0000", "Z": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
	"BST": "+0100", "CET": "+0100", "CEST": "+0200", "EET": "+0200", "EEST": "+0300",
	"MSK": "+0300", "IST": "+0530", "JST": "+0900", "KST": "+0900", "AEST": "+1000", "AEDT": "+1100",
}

// parseDate reads a feed's date; the zero time when it cannot.
func parseDate(s string) (t time.Time) {
	defer func() {
		if recover() != nil { // a date is not worth a feed
			t = time.Time{}
		}
	}()
	s = strings.Join(strings.Fields(s), " ")
	if s == "" || len(s) > 64 {
		return time.Time{}
	}
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		if off, ok := zoneOffsets[strings.ToUpper(s[i+1:])]; ok {
			s = s[:i+1] + off
		}
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	if t, err := dateparse.ParseIn(s, time.UTC); err == nil {
		return t.UTC()
	}
	return time.Time{}
}
