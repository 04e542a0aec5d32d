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
	// Errors of parseDuration; each takes what was typed but NoDuration,
	// and BadUnit the unit too.
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
	NotDuration: "%q is not a duration: write a number and a unit, e.g. 30m, 1.5h, 2d or 1w",
	BadUnit:     "%q is not a duration: %q is not a unit; use m (minutes), h, d or w, e.g. 90m or 1.5h",
	OutOfRange:  "%q: a duration must be between 1m and 365d",
}

func (b *Bot) cmdMute(c *call) Reply {
	muteText := texts(c.lang, &muteText)
	t, now := c.target, c.now
	f := strings.Fields(c.args)
	if len(f) < 2 {
		return Reply{Text: muteText.Usage}
	}
	f = []string{f[0], strings.Join(f[1:], " ")} // "2 days"
	var until time.Time
	if !strings.EqualFold(f[1], "off") {
		d, err := parseDuration(c.lang, f[1])
		if err != nil {
			return Reply{Text: fmt.Sprintf(muteText.Duration, err)}
		}
		until = now.Add(d)
	}
	if strings.EqualFold(f[0], "all") {
		t.Settings.MutedUntil = until
		if err := b.saveSettings(t); err != nil {
			return b.storeTrouble(c.lang, err)
		}
		if until.IsZero() {
			return Reply{Text: muteText.AllOff}
		}
		return Reply{Text: fmt.Sprintf(muteText.AllOn, fmtTime(c.lang, until, t.Settings))}
	}
	s, err := b.findSub(t, f[0])
	if errors.Is(err, alerts.ErrNotFound) {
		return Reply{Text: fmt.Sprintf(muteText.Unknown, f[0])}
	}
	if err != nil {
		return b.storeTrouble(c.lang, err)
	}
	s.MutedUntil = until
	if err := b.store.PutSubscription(s); err != nil {
		return b.storeTrouble(c.lang, err)
	}
	b.setSub(s)
	if until.IsZero() {
		return Reply{Text: fmt.Sprintf(muteText.SubOff, s.ID, s.Query)}
	}
	return Reply{Text: fmt.Sprintf(muteText.SubOn, s.ID, s.Query, fmtTime(c.lang, until, t.Settings))}
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
	digestText := texts(c.lang, &digestText)
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
		m, err := parseClockIn(c.lang, at)
		if err != nil {
			return Reply{Text: fmt.Sprintf(digestText.BadTime, err)}
		}
		st.Digest, st.DigestAt = "daily", fmtClock(m)
	default:
		return Reply{Text: fmt.Sprintf(digestText.BadMode, f[0])}
	}
	if err := b.saveSettings(t); err != nil {
		return b.storeTrouble(c.lang, err)
	}
	if st.Digest == "" {
		return Reply{Text: digestText.Off}
	}
	return Reply{Text: fmt.Sprintf(digestText.On, st.Digest, fmtTime(c.lang, nextDigest(*st, c.now), *st))}
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
	quietText := texts(c.lang, &quietText)
	t := c.target
	args := strings.TrimSpace(c.args)
	if strings.EqualFold(args, "off") {
		t.Settings.QuietFrom, t.Settings.QuietTo = "", ""
		if err := b.saveSettings(t); err != nil {
			return b.storeTrouble(c.lang, err)
		}
		return Reply{Text: quietText.Off}
	}
	from, to, ok := strings.Cut(strings.ReplaceAll(args, " ", ""), "-")
	if !ok {
		return Reply{Text: quietText.Usage}
	}
	f, err1 := parseClockIn(c.lang, from)
	e, err2 := parseClockIn(c.lang, to)
	if err := errors.Join(err1, err2); err != nil {
		return Reply{Text: fmt.Sprintf(quietText.BadTime, err)}
	}
	if f == e {
		return Reply{Text: quietText.Same}
	}
	t.Settings.QuietFrom, t.Settings.QuietTo = fmtClock(f), fmtClock(e)
	if err := b.saveSettings(t); err != nil {
		return b.storeTrouble(c.lang, err)
	}
	return Reply{Text: fmt.Sprintf(quietText.On, t.Settings.QuietFrom, t.Settings.QuietTo, zoneName(t.Settings))}
}

// timezoneText holds the replies of /timezone.
var timezoneText = struct {
	Show    string // zone
	Unknown string // the name typed
	Set     string // zone, the time there now
	Fixed   string
}{
	Show:    "This chat's time zone is %s. Set it with /timezone Europe/Kyiv (or an offset such as UTC+3).",
	Unknown: "I don't know the time zone %q. Use a name like Europe/Kyiv, America/New_York or UTC, or an offset such as UTC+3 or +05:30.",
	Set:     "Time zone set to %s; it is %s there now.",
	Fixed:   " A fixed offset does not follow daylight saving time; a zone name such as Europe/Kyiv does.",
}

func (b *Bot) cmdTimezone(c *call) Reply {
	timezoneText := texts(c.lang, &timezoneText)
	t := c.target
	zone := strings.TrimSpace(c.args)
	if zone == "" {
		return Reply{Text: fmt.Sprintf(timezoneText.Show, zoneName(t.Settings))}
	}
	name, loc, fixed, ok := readZone(zone)
	if !ok {
		return Reply{Text: fmt.Sprintf(timezoneText.Unknown, zone)}
	}
	t.Settings.TimeZone = name
	if err := b.saveSettings(t); err != nil {
		return b.storeTrouble(c.lang, err)
	}
	msg := fmt.Sprintf(timezoneText.Set, name, c.now.In(loc).Format("15:04"))
	if fixed {
		msg += timezoneText.Fixed
	}
	return Reply{Text: msg}
}

// threadsText holds the replies of /threads.
var threadsText = struct {
	Usage   string
	On      string
	Off     string
	NotHere string
}{
	Usage:   "Write /threads on to start a discussion thread on each alert here, or /threads off.",
	On:      "Each alert here now starts a thread for discussion, named after its article. Story updates still edit the alert itself.",
	Off:     "Alerts here no longer start threads.",
	NotHere: "Threads are for Discord server channels. In a forum channel each alert is a post of its own anyway.",
}

func (b *Bot) cmdThreads(c *call) Reply {
	threadsText := texts(c.lang, &threadsText)
	t := c.target
	if t.ID.Platform() != alerts.PlatformDiscord || t.Kind == alerts.KindDM {
		return Reply{Text: threadsText.NotHere}
	}
	return b.onOff(c, threadsText.Usage, threadsText.On, threadsText.Off,
		func(st *alerts.TargetSettings, on bool) { st.Threads = on })
}

// onOff runs a setting that is on or off: set applies it to the chat's
// settings, which are saved, and the reply is on or off (usage for
// anything else).
func (b *Bot) onOff(c *call, usage, on, off string, set func(st *alerts.TargetSettings, on bool)) Reply {
	t := c.target
	var v bool
	switch strings.ToLower(strings.TrimSpace(c.args)) {
	case "on":
		v = true
	case "off":
		v = false
	default:
		return Reply{Text: usage}
	}
	set(&t.Settings, v)
	if err := b.saveSettings(t); err != nil {
		return b.storeTrouble(c.lang, err)
	}
	if v {
		return Reply{Text: on}
	}
	return Reply{Text: off}
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
	previewsText := texts(c.lang, &previewsText)
	return b.onOff(c, previewsText.Usage, previewsText.On, previewsText.Off,
		func(st *alerts.TargetSettings, on bool) { st.NoPreviews = !on })
}

func zoneName(st alerts.TargetSettings) string {
	if st.TimeZone == "" {
		return "UTC"
	}
	return st.TimeZone
}

// fmtTime writes an instant as the chat reads it, in its language:
// "Tue 07:00 EET", "вт 07:00 EET".
func fmtTime(lang string, t time.Time, st alerts.TargetSettings) string {
	return formatTime(lang, t.In(location(st)), "Mon 15:04 MST")
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

// durationUnits are the units a duration may be written in.
var durationUnits = map[string]time.Duration{
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// parseDuration reads durations people type: 30m, 8h, 1.5h, 2d, 1w,
// 1h30m, "2 days".
func parseDuration(lang, s string) (time.Duration, error) {
	muteText := texts(lang, &muteText)
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, errors.New(muteText.NoDuration)
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
			return 0, fmt.Errorf(muteText.NotDuration, s)
		}
		unit, ok := durationUnits[rest[i:j]]
		if !ok {
			return 0, fmt.Errorf(muteText.BadUnit, s, rest[i:j])
		}
		total += n * float64(unit)
		rest = rest[j:]
	}
	if total < float64(time.Minute) || total > float64(365*24*time.Hour) {
		return 0, fmt.Errorf(muteText.OutOfRange, s)
	}
	return time.Duration(total).Round(time.Second), nil
}
