package bot

import (
	"strings"
)

// CommandSpec is one chat command: its name, its arguments, its help and
// its handler. One table of them (commandTable) drives dispatch
// (HandleCommand), /help, and the menus platforms register (Telegram's
// setMyCommands, Discord's application commands). Adding a command is one
// entry in the table and one handler.
//
// The text form a platform passes to HandleCommand is "/name opt1 opt2 …",
// with the options in the order listed; Line renders it from named values.
type CommandSpec struct {
	// Name is what users type after the slash: lowercase letters, at most
	// 32 (what both platforms accept).
	Name string
	// Aliases also run the command (/sub, /start); menus and /help list
	// only Name.
	Aliases []string
	// Description is the one line menus show (Discord cuts it at 100
	// characters).
	Description string
	// Usage is the arguments as /help writes them after the name
	// ("QUERY", "N|all DURATION").
	Usage string
	// Help is /help's line for the command; empty takes Description.
	Help    string
	Options []OptionSpec
	// Manage is true when the command changes a group or channel and needs
	// a manager there. In a DM a person manages their own chat.
	Manage bool
	// Query is true when the command's argument is a query: it is cleaned
	// of characters a reader cannot see before the handler reads it.
	Query bool
	// run answers the command. The target is stored and the caller's
	// right to manage it checked before.
	run func(b *Bot, c *call) Reply
}

// OptionSpec is one option of a command. All options are strings.
type OptionSpec struct {
	Name        string
	Description string
	Required    bool
	// Choices, when set, are the only values allowed.
	Choices []string
	// Rest is true for the last option when it takes the rest of the line
	// (a query).
	Rest bool
	// Keyword is true for an option whose name goes before its value in
	// the command's text: /sources add URL.
	Keyword bool
	// File is true for an attachment (Discord's attachment option); it
	// reaches the bot as Command.File, not in the text.
	File bool
	// Role is true for a Discord role (a role option); it reaches the bot
	// as Command.Role, not in the text, and platforms without roles leave
	// it out.
	Role bool
}

// commandTable is every command, in menu order. It is a function, not a
// variable, because /help's handler reads the table it is part of.
func commandTable() []CommandSpec {
	return []CommandSpec{
		{Name: "subscribe", Aliases: []string{"sub"}, Manage: true, Query: true, run: (*Bot).cmdSubscribe,
			Description: "Follow a topic: words, \"phrases\", people and places",
			Usage:       "QUERY", Help: "follow a topic. " + queryExamples,
			Options: []OptionSpec{{Name: "query", Description: `What to follow, e.g. ceasefire, "peace deal", Zelensky -sport`, Required: true, Rest: true},
				{Name: "role", Description: "A role its alerts ping (Discord server channels; never @everyone)", Role: true}}},
		{Name: "unsubscribe", Aliases: []string{"unsub"}, Manage: true, Query: true, run: (*Bot).cmdUnsubscribe,
			Description: "Stop following a topic",
			Usage:       "N", Help: "stop following #N (or the query, or all)",
			Options: []OptionSpec{{Name: "subscription", Description: "The number /list shows, or the query itself", Required: true, Rest: true}}},
		{Name: "list", run: (*Bot).cmdList,
			Description: "Show what this chat follows", Help: "what this chat follows, its settings, and alerts held for later"},
		{Name: "test", Query: true, run: (*Bot).cmdTest,
			Description: "Try a query on recent articles without subscribing",
			Usage:       "QUERY", Help: "what recent articles would have matched",
			Options: []OptionSpec{{Name: "query", Description: "The query to try", Required: true, Rest: true}}},
		{Name: "why", run: (*Bot).cmdWhy,
			Description: "Explain why the last alert (or alert N) was sent",
			Usage:       "[N]", Help: "why the last alert was sent; /why 2 the one before it, and so on",
			Options: []OptionSpec{{Name: "alert", Description: "1 for the last alert here (the default), 2 for the one before, …"}}},
		{Name: "mute", Manage: true, run: (*Bot).cmdMute,
			Description: "Pause a subscription, or all of them, for a while",
			Usage:       "N|all 8h", Help: "pause for a while (off to resume)",
			Options: []OptionSpec{
				{Name: "subscription", Description: "The number /list shows, or all", Required: true},
				{Name: "duration", Description: "How long, e.g. 30m, 8h, 2d", Required: true},
			}},
		{Name: "digest", Manage: true, run: (*Bot).cmdDigest,
			Description: "Get alerts immediately, hourly, or once a day",
			Usage:       "off|hourly|daily 08:00", Help: "immediately, or bundled",
			Options: []OptionSpec{
				{Name: "mode", Description: "off, hourly or daily", Required: true, Choices: []string{"off", "hourly", "daily"}},
				{Name: "time", Description: "For daily: HH:MM in this chat's time zone"},
			}},
		{Name: "quiet", Manage: true, run: (*Bot).cmdQuiet,
			Description: "Hold alerts during quiet hours, e.g. 22:00-07:00 (off to end)",
			Usage:       "22:00-07:00", Help: "hold alerts overnight (off to end)",
			Options: []OptionSpec{{Name: "hours", Description: "HH:MM-HH:MM, or off", Required: true}}},
		{Name: "timezone", Aliases: []string{"tz"}, Manage: true, run: (*Bot).cmdTimezone,
			Description: "Set this chat's time zone, e.g. Europe/Kyiv",
			Usage:       "Europe/Kyiv", Help: "the zone for digests and quiet hours",
			Options: []OptionSpec{{Name: "zone", Description: "An IANA time zone name", Required: true}}},
		{Name: "previews", Manage: true, run: (*Bot).cmdPreviews,
			Description: "Show or hide link previews under alerts",
			Usage:       "on|off", Help: "link previews under alerts",
			Options: []OptionSpec{{Name: "mode", Description: "on or off", Required: true, Choices: []string{"on", "off"}}}},
		{Name: "format", Manage: true, run: (*Bot).cmdFormat,
			Description: "Lay out this chat's alerts your way, e.g. {title} ({source})\\n{summary}",
			Usage:       "[TEMPLATE|default]", Help: "this chat's alert layout with {title} {summary} {source} {url} {time} {matched}; alone it shows the layout and a preview",
			Options: []OptionSpec{{Name: "template", Description: "e.g. {title} ({source})\\n{summary}, or default", Rest: true}}},
		{Name: "language", Manage: true, run: (*Bot).cmdLanguage,
			Description: "Choose the language Herald speaks here: en, ru or uk",
			Usage:       "en|ru|uk|auto", Help: "the language of replies, help, menus and alerts here (auto follows whoever writes)",
			Options: []OptionSpec{{Name: "language", Description: "en, ru, uk, or auto", Required: true, Choices: []string{"en", "ru", "uk", "auto"}}}},
		{Name: "threads", Manage: true, run: (*Bot).cmdThreads,
			Description: "Start a discussion thread on each alert in this Discord channel",
			Usage:       "on|off", Help: "a thread on each alert (Discord text channels; forum channels get a post per alert anyway)",
			Options: []OptionSpec{{Name: "mode", Description: "on or off", Required: true, Choices: []string{"on", "off"}}}},
		{Name: "export", run: (*Bot).cmdExport,
			Description: "Save this chat's subscriptions and settings as a file, for /import here or elsewhere",
			Help:        "this chat's subscriptions and settings as a file"},
		{Name: "import", Manage: true, run: (*Bot).cmdImport,
			Description: "Add what an exported file has and this chat lacks (attach the file)",
			Usage:       "(with the file of /export attached)", Help: "add the subscriptions and settings of an exported file that this chat lacks",
			Options: []OptionSpec{{Name: "file", Description: "The file /export made", Required: true, File: true}}},
		// Listing sources is for anyone; adding and removing need a
		// manager, which the handler checks (sources.go).
		{Name: "sources", run: (*Bot).cmdSources,
			Description: "Show the news sources and their health; admins add and remove feeds",
			Help:        "the news sources and their health (add URL, remove N: admins of a group or channel)",
			Options: []OptionSpec{
				{Name: "add", Description: "A feed URL to add (admins of a group or channel)", Keyword: true},
				{Name: "remove", Description: "The number /sources shows, or the feed URL, to remove (admins)", Keyword: true},
			}},
		{Name: "help", Aliases: []string{"start"}, run: (*Bot).cmdHelp,
			Description: "How to use Herald", Help: "this list"},
	}
}

// CommandSpecs returns the commands every platform offers, in menu order.
func CommandSpecs() []CommandSpec { return commandTable() }

// FindCommand returns the command a name (or an alias) stands for.
func FindCommand(name string) (CommandSpec, bool) {
	name = strings.ToLower(name)
	for _, s := range commandTable() {
		if s.Name == name {
			return s, true
		}
		for _, a := range s.Aliases {
			if a == name {
				return s, true
			}
		}
	}
	return CommandSpec{}, false
}

// Line renders the command's text form from named option values: options
// in the spec's order, keyword options with their name before the value,
// empty ones left out. A value for an option the spec does not have is
// ignored.
func (s CommandSpec) Line(values map[string]string) string {
	parts := []string{"/" + s.Name}
	for _, o := range s.Options {
		v := strings.TrimSpace(values[o.Name])
		if v == "" || o.File || o.Role {
			continue
		}
		if o.Keyword {
			parts = append(parts, o.Name)
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, " ")
}

// synopsis is the command as /help writes it: "/mute N|all 8h".
func (s CommandSpec) synopsis() string {
	if s.Usage == "" {
		return "/" + s.Name
	}
	return "/" + s.Name + " " + s.Usage
}

// commandIndex maps every name and alias to its command.
type commandIndex map[string]CommandSpec

func newCommandIndex(specs []CommandSpec) commandIndex {
	idx := commandIndex{}
	for _, s := range specs {
		idx[s.Name] = s
		for _, a := range s.Aliases {
			idx[a] = s
		}
	}
	return idx
}

// helpText holds /help's reply around the list of commands.
var helpText = struct {
	Intro, Outro string
}{
	Intro: "Herald sends you news as it breaks, on the topics you follow.",
	Outro: "Words match whole words in any form (ceasefire, ceasefires, cease-fire); quotes match exactly; " +
		"names of people and places match all their spellings (Kyiv, Kiev, Київ).\n" +
		"In a group or channel, only its admins can change what it follows.",
}

// cmdHelp lists the commands of the table, one line each.
func (b *Bot) cmdHelp(c *call) Reply {
	helpText := texts(c.lang, &helpText)
	var sb strings.Builder
	sb.WriteString(helpText.Intro + "\n\n")
	for _, s := range CommandSpecsIn(c.lang) {
		help := s.Help
		if help == "" {
			help = s.Description
		}
		sb.WriteString(s.synopsis() + ": " + help + "\n")
	}
	sb.WriteString("\n" + helpText.Outro)
	return Reply{Text: sb.String()}
}
