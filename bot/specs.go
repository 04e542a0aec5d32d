package bot

// CommandSpec describes one chat command, for platforms that register
// their commands (Telegram's setMyCommands, Discord's application
// commands). The text form a platform passes to HandleCommand is
// "/name opt1 opt2 …" with the options in the order listed.
type CommandSpec struct {
	Name        string
	Description string
	Options     []OptionSpec
	// Manage is true when the command changes a group or channel and needs
	// a manager there.
	Manage bool
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
}

var commandSpecs = []CommandSpec{
	{Name: "subscribe", Description: "Follow a topic: words, \"phrases\", people and places", Manage: true,
		Options: []OptionSpec{{Name: "query", Description: `What to follow, e.g. ceasefire, "peace deal", Zelensky -sport`, Required: true, Rest: true}}},
	{Name: "unsubscribe", Description: "Stop following a topic", Manage: true,
		Options: []OptionSpec{{Name: "subscription", Description: "The number /list shows, or the query itself", Required: true, Rest: true}}},
	{Name: "list", Description: "Show what this chat follows"},
	{Name: "test", Description: "Try a query on recent articles without subscribing",
		Options: []OptionSpec{{Name: "query", Description: "The query to try", Required: true, Rest: true}}},
	{Name: "why", Description: "Explain why the last alert (or alert N) was sent",
		Options: []OptionSpec{{Name: "alert", Description: "Alert number (optional)"}}},
	{Name: "mute", Description: "Pause a subscription, or all of them, for a while", Manage: true,
		Options: []OptionSpec{
			{Name: "subscription", Description: "The number /list shows, or all", Required: true},
			{Name: "duration", Description: "How long, e.g. 30m, 8h, 2d", Required: true},
		}},
	{Name: "digest", Description: "Get alerts immediately, hourly, or once a day", Manage: true,
		Options: []OptionSpec{
			{Name: "mode", Description: "off, hourly or daily", Required: true, Choices: []string{"off", "hourly", "daily"}},
			{Name: "time", Description: "For daily: HH:MM in this chat's time zone"},
		}},
	{Name: "quiet", Description: "Hold alerts during quiet hours, e.g. 22:00-07:00 (off to end)", Manage: true,
		Options: []OptionSpec{{Name: "hours", Description: "HH:MM-HH:MM, or off", Required: true}}},
	{Name: "timezone", Description: "Set this chat's time zone, e.g. Europe/Kyiv", Manage: true,
		Options: []OptionSpec{{Name: "zone", Description: "An IANA time zone name", Required: true}}},
	{Name: "previews", Description: "Show or hide link previews under alerts", Manage: true,
		Options: []OptionSpec{{Name: "mode", Description: "on or off", Required: true, Choices: []string{"on", "off"}}}},
	{Name: "sources", Description: "Show the news sources and their health; admins add and remove feeds",
		Options: []OptionSpec{
			{Name: "add", Description: "A feed URL to add (admins of a group or channel)", Keyword: true},
			{Name: "remove", Description: "The number /sources shows, or the feed URL, to remove (admins)", Keyword: true},
		}},
	{Name: "help", Description: "How to use Herald"},
}

// CommandSpecs returns the commands every platform offers, in menu order.
func CommandSpecs() []CommandSpec {
	out := make([]CommandSpec, len(commandSpecs))
	copy(out, commandSpecs)
	return out
}
