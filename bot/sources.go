package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/herald-news/herald/alerts"
)

// sourcesText holds the replies of /sources.
var sourcesText = struct {
	NoCatalog    string
	NotInDM      string
	NotAllowed   string // the chat's ID
	Usage        string
	AddUsage     string
	RemoveUsage  string
	NotAdded     string // the catalogue's error
	Already      string // name
	Added        string // name
	Empty        string
	One          string
	Item         string // number
	TitledURL    string // title, URL
	State        string // state
	Since        string // when
	LastError    string // the error
	Notice       string // what the feed did, such as a flood withheld
	AddedHere    string
	NoNumber     string // the number, how many
	NotASource   string // the URL typed
	Operator     string // name
	Configured   string // name
	NoAddedBy    string // name
	OtherChat    string // name
	NotRemoved   string // the catalogue's error
	Removed      string // name
	TimeOfFailed string // a time layout
}{
	NoCatalog:    "This Herald has no feeds configured; articles arrive only by push.",
	NotInDM:      "Sources are shared by every chat, so only admins of a group or channel can add or remove one there. Ask the operator to add it to HERALD_FEEDS.",
	NotAllowed:   "The operator of this Herald chooses its sources; ask them to add the feed, or to let this chat add feeds (its ID is %s).",
	Usage:        "Write /sources to see the sources, /sources add URL to add a feed, or /sources remove N to take one out.",
	AddUsage:     "Write /sources add with one feed's URL: /sources add https://example.com/feed.xml",
	RemoveUsage:  "Write /sources remove N, with the number /sources shows, or the feed's URL.",
	NotAdded:     "Not added: %v",
	Already:      "%s is already among the sources.",
	Added:        "Added %s. New articles from it will be matched from now on (its backlog is skipped). /sources remove takes it out again.",
	Empty:        "No feeds yet. Add one with /sources add URL.",
	One:          "1 source:\n",
	Item:         "%d. ",
	TitledURL:    "%s (%s)",
	State:        ": %s",
	Since:        " since %s",
	LastError:    " (%s)",
	Notice:       " [%s]",
	AddedHere:    " (added here)",
	NoNumber:     "There is no source %d; /sources lists %d.",
	NotASource:   "%s is not among the sources; /sources lists them.",
	Operator:     "%s is configured by the operator of this Herald; only they can remove it.",
	Configured:   "%s is one of the feeds this Herald was started with (HERALD_FEEDS, or herald console's arguments); restart without it to stop polling it.",
	NoAddedBy:    "%s was added before Herald recorded who adds feeds; only the operator can remove it.",
	OtherChat:    "%s was added by another chat; only that chat's admins can remove it.",
	NotRemoved:   "Not removed: %v",
	Removed:      "Removed %s: its new articles no longer arrive. Alerts already sent stay.",
	TimeOfFailed: "Jan 2 15:04 MST",
}

// cmdSources lists the feeds to anyone. Adding and removing one is for the
// managers of a group or channel, not for anyone who can DM the bot: a
// feed serves every chat of this Herald. The operator at the console adds
// and removes as the operator.
func (b *Bot) cmdSources(c *call) Reply {
	sourcesText := texts(c.lang, &sourcesText)
	sub, rest, _ := strings.Cut(strings.TrimSpace(c.args), " ")
	rest = strings.TrimSpace(rest)
	if sub != "" && c.target.Kind == alerts.KindDM && !c.cmd.Operator {
		return Reply{Text: sourcesText.NotInDM}
	}
	if sub != "" && !mayManage(c.cmd) {
		return notManager(c.lang, c.target.Kind, c.name)
	}
	if b.catalog == nil {
		return Reply{Text: sourcesText.NoCatalog}
	}
	if sub == "" {
		return b.listSources(c)
	}
	switch strings.ToLower(sub) {
	case "add":
		return b.addSource(c, rest)
	case "remove", "rm", "delete":
		if rest == "" || strings.ContainsAny(rest, " \t\n") {
			return Reply{Text: sourcesText.RemoveUsage}
		}
		return b.removeSource(c, rest)
	}
	return Reply{Text: sourcesText.Usage}
}

func (b *Bot) addSource(c *call, url string) Reply {
	sourcesText := texts(c.lang, &sourcesText)
	chat := c.target.ID.Chat()
	if cs := b.limits.ChatSources; !c.cmd.Operator && cs != nil && !cs[c.target.ID] && !cs[chat] {
		return Reply{Text: fmt.Sprintf(sourcesText.NotAllowed, chat)}
	}
	if url == "" || strings.ContainsAny(url, " \t\n") {
		return Reply{Text: sourcesText.AddUsage}
	}
	st, err := b.catalog.AddSource(c.ctx, url, chat)
	if err != nil {
		return Reply{Text: fmt.Sprintf(sourcesText.NotAdded, err)}
	}
	if !st.UserAdded || st.AddedBy != chat {
		return Reply{Text: fmt.Sprintf(sourcesText.Already, nonEmpty(st.Title, st.URL))}
	}
	return Reply{Text: fmt.Sprintf(sourcesText.Added, nonEmpty(st.Title, st.URL))}
}

// sourcesShown is how many sources /sources lists before it lists only
// the ones the asking chat added (it may want to remove them).
const sourcesShown = 30

func (b *Bot) listSources(c *call) Reply {
	sourcesText := texts(c.lang, &sourcesText)
	srcs := b.catalog.Sources()
	if len(srcs) == 0 {
		return Reply{Text: sourcesText.Empty}
	}
	var sb strings.Builder
	if len(srcs) == 1 {
		sb.WriteString(sourcesText.One)
	} else {
		sb.WriteString(trPlural(c.lang, "sourcesCount", len(srcs)))
	}
	hidden := 0
	for i, s := range srcs {
		ours := s.UserAdded && s.AddedBy == c.target.ID.Chat()
		if i >= sourcesShown && !ours {
			hidden++
			continue
		}
		fmt.Fprintf(&sb, sourcesText.Item, i+1)
		if s.Title != "" {
			fmt.Fprintf(&sb, sourcesText.TitledURL, s.Title, s.URL)
		} else {
			sb.WriteString(s.URL)
		}
		fmt.Fprintf(&sb, sourcesText.State, s.State)
		if s.State != "ok" && !s.FailingSince.IsZero() {
			fmt.Fprintf(&sb, sourcesText.Since, formatTime(c.lang, s.FailingSince.UTC(), sourcesText.TimeOfFailed))
		}
		if s.LastError != "" && s.State != "ok" {
			fmt.Fprintf(&sb, sourcesText.LastError, s.LastError)
		}
		if s.Notice != "" {
			fmt.Fprintf(&sb, sourcesText.Notice, s.Notice)
		}
		if ours {
			sb.WriteString(sourcesText.AddedHere)
		}
		sb.WriteString("\n")
	}
	if hidden > 0 {
		sb.WriteString(trPlural(c.lang, "sourcesHidden", hidden))
	}
	return Reply{Text: strings.TrimSpace(sb.String())}
}

// removeSource takes out a feed this chat added, by its number in
// /sources or its URL. Feeds of the operator, feeds another chat added,
// and feeds added before Herald recorded by whom stay: sources serve
// every chat of this Herald. (The catalogue checks again, under its lock.)
func (b *Bot) removeSource(c *call, ref string) Reply {
	sourcesText := texts(c.lang, &sourcesText)
	srcs := b.catalog.Sources()
	var src *SourceStatus
	if n, err := strconv.Atoi(ref); err == nil {
		if n < 1 || n > len(srcs) {
			return Reply{Text: fmt.Sprintf(sourcesText.NoNumber, n, len(srcs))}
		}
		src = &srcs[n-1]
	} else {
		for i := range srcs {
			if u := srcs[i].URL; u == ref || strings.TrimPrefix(u, "https://") == ref || strings.TrimPrefix(u, "http://") == ref {
				src = &srcs[i]
				break
			}
		}
		if src == nil {
			return Reply{Text: fmt.Sprintf(sourcesText.NotASource, ref)}
		}
	}
	name := nonEmpty(src.Title, src.URL)
	chat := c.target.ID.Chat()
	switch {
	case !src.UserAdded && c.cmd.Operator:
		return Reply{Text: fmt.Sprintf(sourcesText.Configured, name)}
	case c.cmd.Operator:
		chat = "" // the operator removes any feed added from chat
	case !src.UserAdded:
		return Reply{Text: fmt.Sprintf(sourcesText.Operator, name)}
	case src.AddedBy == "":
		return Reply{Text: fmt.Sprintf(sourcesText.NoAddedBy, name)}
	case src.AddedBy != chat:
		return Reply{Text: fmt.Sprintf(sourcesText.OtherChat, name)}
	}
	if err := b.catalog.RemoveSource(c.ctx, src.URL, chat); err != nil {
		return Reply{Text: fmt.Sprintf(sourcesText.NotRemoved, err)}
	}
	return Reply{Text: fmt.Sprintf(sourcesText.Removed, name)}
}
