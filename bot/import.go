package bot

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
)

// cmdImport adds to the chat what an exported file has and it lacks,
// and says line by line what it could not take.
func (b *Bot) cmdImport(c *call) Reply {
	exportText := texts(c.lang, &exportText)
	f := c.cmd.File
	if f == nil {
		return Reply{Text: exportText.NoFile}
	}
	if len(f.Data) > MaxFileSize {
		return Reply{Text: fmt.Sprintf(exportText.TooBig, MaxFileSize>>10)}
	}
	lines, err := exportLines(f.Data)
	if err != nil {
		return Reply{Text: fmt.Sprintf(exportText.NotExport, f.Name)}
	}
	t := c.target
	var notes []string
	var taken []string
	added, dup, bad, restored := 0, 0, 0, 0
	st := t.Settings
	in := importing{guild: c.cmd.Guild}
	for n, l := range lines {
		if n == maxImportLines {
			notes = append(notes, trPlural(c.lang, "importTooMany", maxImportLines))
			break
		}
		word, rest, _ := strings.Cut(l.text, " ")
		word, rest = strings.ToLower(word), strings.TrimSpace(rest)
		problem := ""
		switch {
		case word == "subscribe":
			in.sub, in.seen = nil, true
			s, err := b.subscribe(t, rest, c.now, "", "")
			var already *alreadyFollowed
			switch {
			case errors.As(err, &already):
				dup++
				problem = fmt.Sprintf(exportText.Duplicate, already.id)
				if own, err := b.store.GetSubscription(already.id); err == nil {
					in.sub = &own // its role and mute below apply where it has none
				}
			case errors.Is(err, errFull):
				bad++
				problem = trPlural(c.lang, "importFull", b.limits.SubsPerTarget)
			case err != nil:
				bad++
				problem = err.Error()
			default:
				added++
				in.sub = &s
			}
		case word == "server":
			in.server = rest
		case word == "role" || word == "mute" && !strings.HasPrefix(strings.ToLower(rest), "all"):
			ok, err := b.importSubLine(c, &in, word, rest)
			switch {
			case err != nil:
				bad++
				problem = err.Error()
			case ok:
				restored++
			}
		case word == "mute":
			until, err := readUntil(c.lang, strings.TrimSpace(rest[len("all"):]))
			switch {
			case err != nil:
				bad++
				problem = err.Error()
			case !until.After(c.now):
				// An old file's mute has run out.
			case t.Settings.MutedUntil.After(c.now):
				problem = fmt.Sprintf(exportText.Kept, exportText.NameMute, fmtTime(c.lang, t.Settings.MutedUntil, t.Settings))
			default:
				st.MutedUntil = until
				taken = append(taken, exportText.NameMute)
			}
		default:
			name, ok, err := importSetting(c.lang, &st, t.Settings, word, rest)
			switch {
			case err != nil:
				bad++
				problem = err.Error()
			case name == "":
				bad++
				problem = fmt.Sprintf(exportText.Unknown, word)
			case !ok:
				problem = fmt.Sprintf(exportText.Kept, name, settingValue(c.lang, t.Settings, name))
			default:
				taken = append(taken, name)
			}
		}
		if problem != "" {
			notes = append(notes, fmt.Sprintf(exportText.Line, l.n, problem))
		}
	}
	if len(taken) > 0 {
		t.Settings = st
		if err := b.saveSettings(t); err != nil {
			return b.storeTrouble(c.lang, err)
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, exportText.Summary, trPlural(c.lang, "importAdded", added), trPlural(c.lang, "importDuplicates", dup), trPlural(c.lang, "importErrors", bad))
	if len(taken) > 0 {
		sb.WriteString("\n" + fmt.Sprintf(exportText.Settings, strings.Join(taken, ", ")))
	}
	if restored > 0 {
		sb.WriteString("\n" + trPlural(c.lang, "importRestored", restored))
	}
	for _, n := range notes {
		sb.WriteString("\n" + n)
	}
	if added > 0 {
		sb.WriteString("\n" + exportText.Move)
	}
	return Reply{Text: sb.String()}
}

// importing is what /import remembers from line to line.
type importing struct {
	// sub is the subscription of the last subscribe line (added, or the
	// chat's own it duplicated), which the indented lines under it
	// (role, mute until) apply to; nil after one that failed.
	sub *alerts.Subscription
	// seen is set once a subscribe line came.
	seen bool
	// server is the Discord server the file's roles belong to, and guild
	// the one /import was given in.
	server, guild string
}

// importSubLine applies a line that belongs to the subscription above it:
// "role ID NAME", the Discord role its alerts ping, or "mute until TIME".
// The subscription takes it where it has none of its own. It reports
// whether it took it, or why the line is unusable; a line under a
// subscribe line that failed is passed over (that line says why).
func (b *Bot) importSubLine(c *call, in *importing, word, arg string) (bool, error) {
	x := texts(c.lang, &exportText)
	s := in.sub
	if s == nil {
		if !in.seen {
			return false, errors.New(x.NoSub)
		}
		return false, nil
	}
	switch word {
	case "role":
		id, name, _ := strings.Cut(arg, " ")
		t := c.target
		switch {
		case t.ID.Platform() != alerts.PlatformDiscord || t.Kind == alerts.KindDM || !isSnowflake(id) || id == in.guild:
			return false, errors.New(texts(c.lang, &subscribeText).NoRole)
		case in.server != in.guild:
			// A role's ID means nothing in another server.
			return false, fmt.Errorf(x.RoleServer, nonEmpty(strings.TrimSpace(name), id), s.ID)
		case s.Role != "":
			return false, nil
		}
		s.Role, s.RoleName = id, strings.TrimSpace(name)
	case "mute":
		until, err := readUntil(c.lang, arg)
		if err != nil {
			return false, err
		}
		if !until.After(c.now) || s.MutedUntil.After(c.now) {
			return false, nil // run out, or muted here already
		}
		s.MutedUntil = until
	}
	if err := b.store.PutSubscription(*s); err != nil {
		return false, err
	}
	b.setSub(*s)
	return true, nil
}

// readUntil reads the instant of an exported mute: "until" and RFC 3339.
func readUntil(lang, arg string) (time.Time, error) {
	arg = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(arg), "until"))
	t, err := time.Parse(time.RFC3339, strings.ToUpper(arg))
	if err != nil {
		return time.Time{}, fmt.Errorf(texts(lang, &exportText).BadUntil, arg)
	}
	return t, nil
}

type exportLine struct {
	n    int
	text string
}

// exportLines returns the lines of an export after its header, with their
// numbers, or an error when it has no header.
func exportLines(data []byte) ([]exportLine, error) {
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	sc.Buffer(make([]byte, 4096), MaxFileSize)
	var out []exportLine
	header := false
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if !header {
			if !strings.EqualFold(l, exportHeader) {
				return nil, errors.New("no header")
			}
			header = true
			continue
		}
		out = append(out, exportLine{n: n, text: l})
	}
	if err := sc.Err(); err != nil || !header {
		return nil, errors.Join(err, errors.New("no header"))
	}
	return out, nil
}

// importSetting applies one setting line to st where the chat (had)
// still has the default, and reports its name, whether it was taken (not
// when the chat has its own value), or why the value is unusable.
func importSetting(lang string, st *alerts.TargetSettings, had alerts.TargetSettings, word, arg string) (string, bool, error) {
	x := texts(lang, &exportText)
	switch word {
	case "timezone":
		name, _, _, ok := readZone(arg)
		if !ok {
			return x.NameZone, false, fmt.Errorf(x.BadZone, arg)
		}
		if had.TimeZone != "" {
			return x.NameZone, false, nil
		}
		st.TimeZone = name
		return x.NameZone, true, nil
	case "digest":
		f := strings.Fields(strings.ToLower(arg))
		if len(f) == 0 || (f[0] != "hourly" && f[0] != "daily" && f[0] != "off") {
			return x.NameDigest, false, fmt.Errorf(x.BadDigest, arg)
		}
		at := ""
		if f[0] == "daily" {
			at = "08:00"
			if len(f) > 1 {
				m, err := parseClockIn(lang, f[1])
				if err != nil {
					return x.NameDigest, false, err
				}
				at = fmtClock(m)
			}
		}
		if had.Digest != "" {
			return x.NameDigest, false, nil
		}
		if f[0] != "off" {
			st.Digest, st.DigestAt = f[0], at
		}
		return x.NameDigest, true, nil
	case "quiet":
		from, to, ok := strings.Cut(strings.ReplaceAll(arg, " ", ""), "-")
		fm, err1 := parseClockIn(lang, from)
		tm, err2 := parseClockIn(lang, to)
		if !ok || err1 != nil || err2 != nil || fm == tm {
			return x.NameQuiet, false, fmt.Errorf(x.BadQuiet, arg)
		}
		if had.QuietFrom != "" {
			return x.NameQuiet, false, nil
		}
		st.QuietFrom, st.QuietTo = fmtClock(fm), fmtClock(tm)
		return x.NameQuiet, true, nil
	case "previews":
		v := strings.ToLower(arg)
		if v != "on" && v != "off" {
			return x.NamePrev, false, fmt.Errorf(x.BadOnOff, arg)
		}
		if had.NoPreviews {
			return x.NamePrev, false, nil
		}
		st.NoPreviews = v == "off"
		return x.NamePrev, true, nil
	case "threads":
		v := strings.ToLower(arg)
		if v != "on" && v != "off" {
			return x.NameThread, false, fmt.Errorf(x.BadOnOff, arg)
		}
		if had.Threads {
			return x.NameThread, false, nil
		}
		st.Threads = v == "on"
		return x.NameThread, true, nil
	case "language":
		l := matchLanguage(arg)
		if l == "" {
			return x.NameLang, false, fmt.Errorf(x.BadLang, arg)
		}
		if had.Language != "" {
			return x.NameLang, false, nil
		}
		st.Language = l
		return x.NameLang, true, nil
	case "format":
		if _, err := alerts.ParseTemplate(arg); err != nil {
			return x.NameFormat, false, err
		}
		if had.Format != "" {
			return x.NameFormat, false, nil
		}
		st.Format = arg
		return x.NameFormat, true, nil
	}
	return "", false, nil
}

// settingValue is a chat's own value of a setting, as /import names it.
func settingValue(lang string, st alerts.TargetSettings, name string) string {
	x := texts(lang, &exportText)
	switch name {
	case x.NameZone:
		return zoneName(st)
	case x.NameDigest:
		return strings.TrimSpace(st.Digest + " " + st.DigestAt)
	case x.NameQuiet:
		return st.QuietFrom + "-" + st.QuietTo
	case x.NamePrev:
		return "off"
	case x.NameFormat:
		return strconv.Quote(st.Format)
	case x.NameLang:
		return st.Language
	case x.NameThread:
		return "on"
	}
	return ""
}
