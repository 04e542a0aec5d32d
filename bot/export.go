package bot

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
)

// An export is a text file a person can read and edit: comment lines,
// a header line, then one line per setting and per subscription, written
// as the chat commands that make them without their slash:
//
//	# Herald export of "#news" (discord:500000000000000001), 7 Dec 2026 10:00 UTC
//	herald export 1
//	timezone Europe/Kyiv
//	digest daily 08:00
//	mute all until 2026-12-08T10:00:00Z
//	server 400000000000000001
//	subscribe ceasefire
//	  role 700000000000000001 Breaking
//	  mute until 2026-12-07T18:00:00Z
//
// The indented lines belong to the subscription above them: the Discord
// role its alerts ping and how long it is muted. A role belongs to one
// Discord server, which the server line names; a mute is an instant, so
// an old file's mutes have simply run out.
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
	NoFile     string
	TooBig     string // the size limit in KiB
	NotExport  string // the file's name
	Summary    string // plurals importAdded, importDuplicates, importErrors
	Settings   string
	Line       string // line number, the problem
	Duplicate  string // the existing subscription's ID
	Kept       string // setting, this chat's value
	Unknown    string // the line's first word
	Move       string
	BadSetting string // the error
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
	NameMute   string
	NoSub      string
	RoleServer string // the role, the subscription's ID
	BadUntil   string // what was typed
}{
	Comment:    "# Herald export of %q (%s), %s",
	Hint:       "# Attach this file to /import in any chat to add what it lacks. Lines are commands without their slash.",
	NoFile:     "Attach the file /export made to /import: on Telegram send it as a document with /import as its caption (or reply /import to it); on Discord pick it in the command's file option.",
	TooBig:     "That file is too big for an export: at most %d KiB.",
	NotExport:  "%s is not a Herald export: its first line (after # comments) should be \"" + exportHeader + "\".",
	Summary:    "Imported: %s, %s, %s.",
	Settings:   "Settings taken from the file: %s.",
	Line:       "line %d: %s",
	Duplicate:  "already following that as #%d",
	Kept:       "this chat's %s stays %s",
	Unknown:    "%q is not something an export holds",
	Move:       "To move rather than copy, run /unsubscribe all confirm in the old chat.",
	BadSetting: "%v",
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
	NameMute:   "mute",
	NoSub:      "this line belongs under a subscribe line",
	RoleServer: "the role %s belongs to another Discord server: #%d pings nobody here",
	BadUntil:   "%q is not a time like 2026-12-08T10:00:00Z",
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
	for _, line := range settingLines(t.Settings, c.now) {
		buf.WriteString(line + "\n")
	}
	if c.cmd.Guild != "" && slices.ContainsFunc(subs, func(s alerts.Subscription) bool { return s.Role != "" }) {
		buf.WriteString("server " + c.cmd.Guild + "\n")
	}
	for _, s := range subs {
		buf.WriteString("subscribe " + oneLine(s.Query) + "\n")
		if s.Role != "" {
			buf.WriteString("  role " + strings.TrimSpace(s.Role+" "+oneLine(s.RoleName)) + "\n")
		}
		if s.MutedUntil.After(c.now) {
			buf.WriteString("  mute until " + s.MutedUntil.UTC().Format(time.RFC3339) + "\n")
		}
	}
	name := "herald-" + strings.NewReplacer(":", "-", "/", "-").Replace(string(t.ID)) + ".txt"
	return Reply{Text: pluralf(c.lang, "exportDone", len(subs), len(subs), name), File: &File{Name: name, Data: buf.Bytes()}}
}

// settingLines writes a chat's settings as the commands that set them;
// defaults, and a mute that ended before now, are left out.
func settingLines(st alerts.TargetSettings, now time.Time) []string {
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
	if st.MutedUntil.After(now) {
		out = append(out, "mute all until "+st.MutedUntil.UTC().Format(time.RFC3339))
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
