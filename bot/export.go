package bot

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/herald-news/herald/alerts"
)

// An export is a text file a person can read and edit: comment lines,
// a header line, then one line per setting and per subscription, written
// as the chat commands that make them without their slash:
//
//	# Herald export of "Analysts" (telegram:-1001234), 7 Dec 2026 10:00 UTC
//	herald export 1
//	timezone Europe/Kyiv
//	digest daily 08:00
//	subscribe ceasefire
//
// /import adds to a chat what the file has and the chat lacks, so
// importing a chat's export into another copies its setup (and
// /unsubscribe all in the first then moves it).

// exportHeader is the first line that is not a comment.
const exportHeader = "herald export 1"

// maxImportLines bounds the lines /import reads.
const maxImportLines = 1000

// exportText holds the replies of /export and /import.
var exportText = struct {
	Comment    string // the chat's title, its ID, when
	Hint       string
	Done       string // how many subscriptions, the file's name
	NoFile     string
	TooBig     string // the size limit in KiB
	NotExport  string // the file's name
	Summary    string // added, already there, errors
	Settings   string
	Line       string // line number, the problem
	Duplicate  string // the existing subscription's ID
	Kept       string // setting, this chat's value
	Unknown    string // the line's first word
	Full       string // the limit
	Move       string
	BadSetting string // the error
	TooMany    string // the limit
	BadZone    string // what was typed
	BadDigest  string // what was typed
	BadQuiet   string // what was typed
	BadOnOff   string // what was typed
	NameZone   string
	NameDigest string
	NameQuiet  string
	NamePrev   string
	NameFormat string
	NameLang   string
	NameThread string
	BadLang    string // what was typed
}{
	Comment:    "# Herald export of %q (%s), %s",
	Hint:       "# Attach this file to /import in any chat to add what it lacks. Lines are commands without their slash.",
	Done:       "This chat's %d subscriptions and its settings are in %s. Attach it to /import in another chat to copy them there.",
	NoFile:     "Attach the file /export made to /import: on Telegram send it as a document with /import as its caption (or reply /import to it); on Discord pick it in the command's file option.",
	TooBig:     "That file is too big for an export: at most %d KiB.",
	NotExport:  "%s is not a Herald export: its first line (after # comments) should be \"" + exportHeader + "\".",
	Summary:    "Imported: %d subscriptions added, %d already here, %d lines with errors.",
	Settings:   "Settings taken from the file: %s.",
	Line:       "line %d: %s",
	Duplicate:  "already following that as #%d",
	Kept:       "this chat's %s stays %s",
	Unknown:    "%q is not something an export holds",
	Full:       "not added: this chat already follows %d topics, the most allowed",
	Move:       "To move rather than copy, run /unsubscribe all confirm in the old chat.",
	BadSetting: "%v",
	TooMany:    "only the first %d lines were read",
	BadZone:    "unknown time zone %q",
	BadDigest:  "%q is not a digest mode",
	BadQuiet:   "%q are not quiet hours like 22:00-07:00",
	BadOnOff:   "%q is not on or off",
	NameZone:   "time zone",
	NameDigest: "digest",
	NameQuiet:  "quiet hours",
	NamePrev:   "previews",
	NameFormat: "format",
	NameLang:   "language",
	NameThread: "threads",
	BadLang:    "%q is not a language Herald speaks (en, ru, uk)",
}

// cmdExport sends the chat's subscriptions and settings as a file.
func (b *Bot) cmdExport(c *call) Reply {
	exportText := texts(c.lang, &exportText)
	t := c.target
	subs, err := b.store.ListSubscriptions(t.ID)
	if err != nil {
		return b.storeTrouble(c.lang, err)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, exportText.Comment+"\n", oneLine(nonEmpty(t.Title, string(t.ID))), t.ID, c.now.UTC().Format("2 Jan 2006 15:04 MST"))
	buf.WriteString(exportText.Hint + "\n")
	buf.WriteString(exportHeader + "\n")
	for _, line := range settingLines(t.Settings) {
		buf.WriteString(line + "\n")
	}
	for _, s := range subs {
		buf.WriteString("subscribe " + oneLine(s.Query) + "\n")
	}
	name := "herald-" + strings.NewReplacer(":", "-", "/", "-").Replace(string(t.ID)) + ".txt"
	return Reply{Text: fmt.Sprintf(exportText.Done, len(subs), name), File: &File{Name: name, Data: buf.Bytes()}}
}

// settingLines writes a chat's settings as the commands that set them;
// defaults are left out.
func settingLines(st alerts.TargetSettings) []string {
	var out []string
	if st.TimeZone != "" {
		out = append(out, "timezone "+st.TimeZone)
	}
	switch st.Digest {
	case "hourly":
		out = append(out, "digest hourly")
	case "daily":
		out = append(out, "digest daily "+st.DigestAt)
	}
	if st.QuietFrom != "" {
		out = append(out, "quiet "+st.QuietFrom+"-"+st.QuietTo)
	}
	if st.NoPreviews {
		out = append(out, "previews off")
	}
	if st.Format != "" {
		out = append(out, "format "+strings.ReplaceAll(st.Format, "\n", `\n`))
	}
	if st.Language != "" {
		out = append(out, "language "+st.Language)
	}
	if st.Threads {
		out = append(out, "threads on")
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

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
	added, dup, bad := 0, 0, 0
	st := t.Settings
	for n, l := range lines {
		if n == maxImportLines {
			notes = append(notes, fmt.Sprintf(exportText.TooMany, maxImportLines))
			break
		}
		word, rest, _ := strings.Cut(l.text, " ")
		rest = strings.TrimSpace(rest)
		problem := ""
		switch strings.ToLower(word) {
		case "subscribe":
			_, err := b.subscribe(t, rest, c.now, "", "")
			var already *alreadyFollowed
			switch {
			case errors.As(err, &already):
				dup++
				problem = fmt.Sprintf(exportText.Duplicate, already.id)
			case errors.Is(err, errFull):
				bad++
				problem = fmt.Sprintf(exportText.Full, b.limits.SubsPerTarget)
			case err != nil:
				bad++
				problem = err.Error()
			default:
				added++
			}
		default:
			name, ok, err := importSetting(c.lang, &st, t.Settings, strings.ToLower(word), rest)
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
	fmt.Fprintf(&sb, exportText.Summary, added, dup, bad)
	if len(taken) > 0 {
		sb.WriteString("\n" + fmt.Sprintf(exportText.Settings, strings.Join(taken, ", ")))
	}
	for _, n := range notes {
		sb.WriteString("\n" + n)
	}
	if added > 0 {
		sb.WriteString("\n" + exportText.Move)
	}
	return Reply{Text: sb.String()}
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
