package alerts

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A chat's time zone is an IANA name ("Europe/Kyiv") or a fixed offset
// from UTC written "UTC+03:00" (no daylight saving time: for people who
// know their offset and not their zone's name).

// LoadZone returns the location TargetSettings.TimeZone names: an IANA
// zone, or a fixed offset as FixedZoneName writes it.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if rest, ok := strings.CutPrefix(name, "UTC"); ok && len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' {
		h, err1 := strconv.Atoi(rest[1:3])
		m, err2 := strconv.Atoi(rest[4:])
		if err1 == nil && err2 == nil {
			if secs, ok := offsetSeconds(rest[0] == '-', h, m); ok {
				return time.FixedZone(name, secs), nil
			}
		}
		return nil, fmt.Errorf("bad UTC offset %q", name)
	}
	return time.LoadLocation(name)
}

// FixedZoneName is the name of the zone offset seconds east of UTC:
// "UTC+03:00", "UTC-05:30", or "UTC" for no offset. ok is false past
// the offsets in use on Earth, -12:00 to +14:00.
func FixedZoneName(negative bool, hours, minutes int) (name string, ok bool) {
	if _, ok := offsetSeconds(negative, hours, minutes); !ok {
		return "", false
	}
	if hours == 0 && minutes == 0 {
		return "UTC", true
	}
	sign := "+"
	if negative {
		sign = "-"
	}
	return fmt.Sprintf("UTC%s%02d:%02d", sign, hours, minutes), true
}

func offsetSeconds(negative bool, hours, minutes int) (int, bool) {
	if hours < 0 || minutes < 0 || minutes > 59 {
		return 0, false
	}
	secs := hours*3600 + minutes*60
	if negative {
		secs = -secs
	}
	return secs, secs >= -12*3600 && secs <= 14*3600
}

// Location is the target's time zone; UTC when none is set or the stored
// name no longer loads.
func (s TargetSettings) Location() *time.Location {
	loc, err := LoadZone(s.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
