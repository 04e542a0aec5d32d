package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
)

// saveSettings stores a chat's changed settings and replans the alerts
// it holds, so that they follow the change at once: quiet hours switched
// off or moved, a digest switched off or to another time, another time
// zone. Every setting command goes through it. A replan that fails is
// logged and leaves the held alerts as they were: the setting is saved,
// and the next replan or the old hold's end sends them.
func (b *Bot) saveSettings(t alerts.Target) error {
	if err := b.store.PutTarget(t); err != nil {
		return err
	}
	if err := b.replan(t); err != nil {
		b.log.Error("Held alerts not re-planned", "target", t.ID, "err", err)
	}
	return nil
}

// muteText holds the replies of /mute.
var muteText = struct {
	Usage    string
	AllOff   string
	AllOn    string // until
	Unknown  string // the argument
	SubOff   string // ID, query
	SubOn    string // ID, query, until
	Duration string // the parse error
	// Errors of parseDuration; each takes what was typed but NoDuration.
	NoDuration  string
	NotDuration string
	BadUnit     string
	OutOfRange  string
}{
	Usage:       "Write /mute 3 8h to pause subscription #3 for 8 hours, /mute all 2d for everything, or /mute 3 off to resume.",
	AllOff:      "Unmuted: alerts flow again.",
	AllOn:       "Muted everything until %s. /mute all off resumes sooner.",
	Unknown:     "This chat has no subscription %s. /list shows the numbers.",
	SubOff:      "Unmuted #%d: %s",
	SubOn:       "Muted #%d (%s) until %s.",
	Duration:    "%v.",
	NoDuration:  "missing duration: write e.g. 30m, 8h or 2d",
	NotDuration: "%q is not a duration: write e.g. 30m, 8h or 2d",
	BadUnit:     "%q is not a duration: units are m, h, d and w",
	OutOfRange:  "%q: a duration must be between 1m and 365d",
}

func (b *Bot) cmdMute(c *call) Reply {
	t, now := c.target, c.now
	f := strings.Fields(c.args)
	if len(f) != 2 {
		return Reply{Text: muteText.Usage}
	}
	var until time.Time
	if !strings.EqualFold(f[1], "off") {
		d, err := parseDuration(f[1])
		if err != nil {
			return Reply{Text: fmt.Sprintf(muteText.Duration, err)}
		}
		until = now.Add(d)
	}
	if strings.EqualFold(f[0], "all") {
		t.Settings.MutedUntil = until
		if err := b.saveSettings(t); err != nil {
			return b.storeTrouble(err)
		}
		if until.IsZero() {
			return Reply{Text: muteText.AllOff}
		}
		return Reply{Text: fmt.Sprintf(muteText.AllOn, fmtTime(until, t.Settings))}
	}
	s, err := b.findSub(t, f[0])
	if errors.Is(err, alerts.ErrNotFound) {
		return Reply{Text: fmt.Sprintf(muteText.Unknown, f[0])}
	}
	if err != nil {
		return b.storeTrouble(err)
	}
	s.MutedUntil = until
	if err := b.store.PutSubscription(s); err != nil {
		return b.storeTrouble(err)
	}
	b.setSub(s)
	if until.IsZero() {
		return Reply{Text: fmt.Sprintf(muteText.SubOff, s.ID, s.Query)}
	}
	return Reply{Text: fmt.Sprintf(muteText.SubOn, s.ID, s.Query, fmtTime(until, t.Settings))}
}

// digestText holds the replies of /digest.
var digestText = struct {
	Usage   string
	BadMode string // the mode typed
	BadTime string // the parse error
	Off     string
	On      string // "hourly" or "daily", the next digest's time
}{
	Usage:   "Write /digest off (alerts immediately), /digest hourly, or /digest daily 08:00.",
	BadMode: "%q is not a digest mode: write off, hourly, or daily 08:00.",
	BadTime: "%v.",
	Off:     "Digest off: alerts arrive as the news breaks.",
	On:      "Alerts now come as a %s digest; the next at %s.",
}

func (b *Bot) cmdDigest(c *call) Reply {
	t := c.target
	f := strings.Fields(strings.ToLower(c.args))
	if len(f) == 0 {
		return Reply{Text: digestText.Usage}
	}
	st := &t.Settings
	switch f[0] {
	case "off":
		st.Digest, st.DigestAt = "", ""
	case "hourly":
		st.Digest, st.DigestAt = "hourly", ""
	case "daily":
		at := "08:00"
		if len(f) > 1 {
			at = f[1]
		}
		m, err := parseClock(at)
		if err != nil {
			return Reply{Text: fmt.Sprintf(digestText.BadTime, err)}
		}
		st.Digest, st.DigestAt = "daily", fmtClock(m)
	default:
		return Reply{Text: fmt.Sprintf(digestText.BadMode, f[0])}
	}
	if err := b.saveSettings(t); err != nil {
		return b.storeTrouble(err)
	}
	if st.Digest == "" {
		return Reply{Text: digestText.Off}
	}
	return Reply{Text: fmt.Sprintf(digestText.On, st.Digest, fmtTime(nextDigest(*st, c.now), *st))}
}

// quietText holds the replies of /quiet.
var quietText = struct {
	Usage   string
	BadTime string // the parse error
	Same    string
	Off     string
	On      string // from, to, zone
}{
	Usage:   "Write /quiet 22:00-07:00 to hold alerts overnight, or /quiet off.",
	BadTime: "%v.",
	Same:    "Quiet hours need a different start and end, e.g. /quiet 22:00-07:00.",
	Off:     "Quiet hours off.",
	On:      "Quiet hours %s-%s (%s): alerts wait and arrive as one digest when they end.",
}

func (b *Bot) cmdQuiet(c *call) Reply {
	t := c.target
	args := strings.TrimSpace(c.args)
	if strings.EqualFold(args, "off") {
		t.Settings.QuietFrom, t.Settings.QuietTo = "", ""
		if err := b.saveSettings(t); err != nil {
			return b.storeTrouble(err)
		}
		return Reply{Text: quietText.Off}
	}
	from, to, ok := strings.Cut(strings.ReplaceAll(args, " ", ""), "-")
	if !ok {
		return Reply{Text: quietText.Usage}
	}
	f, err1 := parseClock(from)
	e, err2 := parseClock(to)
	if err := errors.Join(err1, err2); err != nil {
		return Reply{Text: fmt.Sprintf(quietText.BadTime, err)}
	}
	if f == e {
		return Reply{Text: quietText.Same}
	}
	t.Settings.QuietFrom, t.Settings.QuietTo = fmtClock(f), fmtClock(e)
	if err := b.saveSettings(t); err != nil {
		return b.storeTrouble(err)
	}
	return Reply{Text: fmt.Sprintf(quietText.On, t.Settings.QuietFrom, t.Settings.QuietTo, zoneName(t.Settings))}
}

// timezoneText holds the replies of /timezone.
var timezoneText = struct {
	Show    string // zone
	Unknown string // the name typed
	Set     string // zone, the time there now
}{
	Show:    "This chat's time zone is %s. Set it with /timezone Europe/Kyiv.",
	Unknown: "I don't know the time zone %q. Use a name like Europe/Kyiv, America/New_York or UTC.",
	Set:     "Time zone set to %s; it is %s there now.",
}

func (b *Bot) cmdTimezone(c *call) Reply {
	t := c.target
	zone := strings.TrimSpace(c.args)
	if zone == "" {
		return Reply{Text: fmt.Sprintf(timezoneText.Show, zoneName(t.Settings))}
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		return Reply{Text: fmt.Sprintf(timezoneText.Unknown, zone)}
	}
	t.Settings.TimeZone = loc.String()
	if err := b.saveSettings(t); err != nil {
		return b.storeTrouble(err)
	}
	return Reply{Text: fmt.Sprintf(timezoneText.Set, loc, c.now.In(loc).Format("15:04"))}
}

// previewsText holds the replies of /previews.
var previewsText = struct {
	Usage string
	Off   string
	On    string
}{
	Usage: "Write /previews off to hide link previews under alerts, or /previews on to show them.",
	Off:   "Link previews off: alerts show only their own text.",
	On:    "Link previews on.",
}

func (b *Bot) cmdPreviews(c *call) Reply {
	t := c.target
	switch strings.ToLower(strings.TrimSpace(c.args)) {
	case "on":
		t.Settings.NoPreviews = false
	case "off":
		t.Settings.NoPreviews = true
	default:
		return Reply{Text: previewsText.Usage}
	}
	if err := b.saveSettings(t); err != nil {
		return b.storeTrouble(err)
	}
	if t.Settings.NoPreviews {
		return Reply{Text: previewsText.Off}
	}
	return Reply{Text: previewsText.On}
}

func zoneName(st alerts.TargetSettings) string {
	if st.TimeZone == "" {
		return "UTC"
	}
	return st.TimeZone
}

// fmtTime writes an instant as the chat reads it: "Tue 07:00 EET".
func fmtTime(t time.Time, st alerts.TargetSettings) string {
	return t.In(location(st)).Format("Mon 15:04 MST")
}

// clockText holds the replies about a time of day that /digest and
// /quiet share; each takes what was typed.
var clockText = struct {
	NotClock   string
	OutOfRange string
}{
	NotClock:   "%q is not a time of day: write HH:MM, e.g. 08:00",
	OutOfRange: "%q is not a time of day: write HH:MM between 00:00 and 23:59",
}

// fmtClock writes minutes after midnight as "HH:MM".
func fmtClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// parseDuration reads durations people type: 30m, 8h, 2d, 1w, 1h30m.
func parseDuration(s string) (time.Duration, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, errors.New(muteText.NoDuration)
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9') {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf(muteText.NotDuration, s)
		}
		n, _ := strconv.Atoi(rest[:i])
		var unit time.Duration
		switch rest[i] {
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		case 'w':
			unit = 7 * 24 * time.Hour
		default:
			return 0, fmt.Errorf(muteText.BadUnit, s)
		}
		total += time.Duration(n) * unit
		rest = rest[i+1:]
	}
	if total <= 0 || total > 365*24*time.Hour {
		return 0, fmt.Errorf(muteText.OutOfRange, s)
	}
	return total, nil
}
