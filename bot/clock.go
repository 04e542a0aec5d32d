package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
)

// parseClock reads "HH:MM" (24-hour) into minutes after midnight.
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, fmt.Errorf("%q is not a time of day: write HH:MM, e.g. 08:00", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a time of day: write HH:MM between 00:00 and 23:59", s)
	}
	return hh*60 + mm, nil
}

func location(st alerts.TargetSettings) *time.Location { return st.Location() }

// atClock returns the first instant at or after now whose local time is
// minutes after midnight.
func atClock(now time.Time, loc *time.Location, minutes int) time.Time {
	l := now.In(loc)
	t := time.Date(l.Year(), l.Month(), l.Day(), minutes/60, minutes%60, 0, 0, loc)
	if t.Before(now) {
		t = time.Date(l.Year(), l.Month(), l.Day()+1, minutes/60, minutes%60, 0, 0, loc)
	}
	return t
}

// quietEnd returns when the quiet hours that contain now end, or the zero
// time when now is not within them.
func quietEnd(st alerts.TargetSettings, now time.Time) time.Time {
	if st.QuietFrom == "" || st.QuietTo == "" {
		return time.Time{}
	}
	from, err1 := parseClock(st.QuietFrom)
	to, err2 := parseClock(st.QuietTo)
	if err1 != nil || err2 != nil || from == to {
		return time.Time{}
	}
	loc := location(st)
	l := now.In(loc)
	cur := l.Hour()*60 + l.Minute()
	in := false
	if from < to {
		in = cur >= from && cur < to
	} else {
		in = cur >= from || cur < to
	}
	if !in {
		return time.Time{}
	}
	return atClock(now, loc, to)
}

// nextDigest returns when the target's next digest goes out, or zero for
// immediate delivery.
func nextDigest(st alerts.TargetSettings, now time.Time) time.Time {
	switch st.Digest {
	case "hourly":
		return now.Truncate(time.Hour).Add(time.Hour)
	case "daily":
		m, err := parseClock(st.DigestAt)
		if err != nil {
			m = 8 * 60
		}
		return atClock(now, location(st), m)
	}
	return time.Time{}
}

// holdUntil says how long a new alert for a target waits: until its next
// digest, or the end of quiet hours, whichever is later; zero to send now.
func holdUntil(st alerts.TargetSettings, now time.Time) time.Time {
	t := nextDigest(st, now)
	if q := quietEnd(st, now); q.After(t) {
		t = q
	}
	if !t.IsZero() {
		if q := quietEnd(st, t); q.After(t) {
			t = q // a digest that falls in quiet hours waits for their end
		}
	}
	return t
}

// durationUnits are the units a duration may be written in.
var durationUnits = map[string]time.Duration{
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// parseDuration reads durations people type: 30m, 8h, 1.5h, 2d, 1w,
// 1h30m, "2 days".
func parseDuration(s string) (time.Duration, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, fmt.Errorf("missing duration: write e.g. 30m, 8h or 2d")
	}
	rest := strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), ",", ".")
	var total float64
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && rest[j] >= 'a' && rest[j] <= 'z' {
			j++
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if i == 0 || err != nil || j == i {
			return 0, fmt.Errorf("%q is not a duration: write a number and a unit, e.g. 30m, 1.5h, 2d or 1w", s)
		}
		unit, ok := durationUnits[rest[i:j]]
		if !ok {
			return 0, fmt.Errorf("%q is not a duration: %q is not a unit; use m (minutes), h, d or w, e.g. 90m or 1.5h", s, rest[i:j])
		}
		total += n * float64(unit)
		rest = rest[j:]
	}
	if total < float64(time.Minute) || total > float64(365*24*time.Hour) {
		return 0, fmt.Errorf("%q: a duration must be between 1m and 365d", s)
	}
	return time.Duration(total).Round(time.Second), nil
}
