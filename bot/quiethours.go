package bot

// This file decides when a chat's alerts may go out: its quiet hours and
// its digest times, in its time zone (holdUntil).

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
)

// parseClock reads "HH:MM" (24-hour) into minutes after midnight.
func parseClock(s string) (int, error) { return parseClockIn("en", s) }

// parseClockIn is parseClock with its errors in lang.
func parseClockIn(lang, s string) (int, error) {
	clockText := texts(lang, &clockText)
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, fmt.Errorf(clockText.NotClock, s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf(clockText.OutOfRange, s)
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
