package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage"
)

// config is herald run's configuration: HERALD_* environment variables,
// overridden by flags of the same names (HERALD_HTTP_ADDR → --http-addr).
type config struct {
	DB                 string
	HTTPAddr           string
	Feeds              string
	PollMin, PollMax   time.Duration
	AllowPrivateFeeds  bool
	Extract            []string
	Actors             string
	Topics             string
	PublicURL          string
	TelegramToken      string
	TelegramAPI        string
	TelegramWebhookURL string
	DiscordToken       string
	DiscordAPI         string
	DiscordShards      int
	IngestToken        string
	LogLevel           slog.Level
	LogFormat          string
	MaxSubs            int
	MaxQueryLen        int
	CommandsPerMinute  int
	// NATSURL turns cluster mode on (HERALD_NATS_URL); NATSCreds is the
	// content of a NATS credentials file; NATSPrefix names the
	// deployment's buckets and subjects.
	NATSURL    string
	NATSCreds  string
	NATSPrefix string
	// ChatSources: nil for any admin, empty for none, else these chats.
	ChatSources map[alerts.TargetID]bool
	// AllowedChats: nil for everyone, else the only chats, users and
	// guilds that may use the bot.
	AllowedChats map[alerts.TargetID]bool

	// extra platforms, for tests: the console stands in for a chat.
	extra []platform
	// opened, for tests, is given the store once it is open, so a test
	// can check what the running service holds (it is safe for
	// concurrent use).
	opened func(*storage.DB)
}

// setting is one configuration name: its variable, default and help.
type setting struct {
	env    string
	def    string
	help   string
	secret bool // also read from <env>_FILE
	set    func(c *config, v string) error
}

var settings = []setting{
	{env: "HERALD_DB", def: "./herald.db", help: "bbolt database file", set: func(c *config, v string) error { c.DB = v; return nonEmpty(v) }},
	{env: "HERALD_HTTP_ADDR", def: "127.0.0.1:8080", help: "address of the HTTP server (health, metrics, ingest, webhooks)", set: setAddr},
	{env: "HERALD_FEEDS", help: "file of feed URLs, one a line, or an OPML file", set: func(c *config, v string) error { c.Feeds = v; return nil }},
	{env: "HERALD_POLL_MIN", def: "1m", help: "shortest poll interval of a feed", set: durSetter(func(c *config) *time.Duration { return &c.PollMin })},
	{env: "HERALD_POLL_MAX", def: "30m", help: "longest poll interval of a feed", set: durSetter(func(c *config) *time.Duration { return &c.PollMax })},
	{env: "HERALD_ALLOW_PRIVATE_FEEDS", def: "false", help: "let feeds added from chat reach private addresses", set: func(c *config, v string) error {
		b, err := strconv.ParseBool(v)
		c.AllowPrivateFeeds = b
		if err != nil {
			return errors.New("want true or false")
		}
		return nil
	}},
	{env: "HERALD_CHAT_SOURCES", def: "admins", help: "who may add feeds from chat: admins (of any group or channel), off, or a comma-separated list of chat IDs", set: func(c *config, v string) error {
		switch strings.TrimSpace(v) {
		case "admins":
			c.ChatSources = nil
			return nil
		case "off":
			c.ChatSources = map[alerts.TargetID]bool{}
			return nil
		}
		ids, err := chatIDs(v)
		if err != nil {
			return fmt.Errorf("%v; want admins, off, or such IDs", err)
		}
		c.ChatSources = ids
		return nil
	}},
	{env: "HERALD_ALLOWED_CHATS", help: "when set, the only users, groups, channels and guilds that may use the bot: a comma-separated list of IDs such as telegram:-1001234567890, telegram:12345 (a user), discord:123456789012345678 (a channel, user or server)", set: func(c *config, v string) error {
		c.AllowedChats = nil
		if strings.TrimSpace(v) == "" {
			return nil
		}
		ids, err := chatIDs(v)
		c.AllowedChats = ids
		return err
	}},
	{env: "HERALD_EXTRACT", help: "comma-separated feed URLs whose teaser-only items get the full page's text (or all)", set: func(c *config, v string) error {
		c.Extract = nil
		for _, u := range strings.Split(v, ",") {
			if u = strings.TrimSpace(u); u != "" {
				c.Extract = append(c.Extract, u)
			}
		}
		return nil
	}},
	{env: "HERALD_ACTORS", help: "file of extra actors and places, same format as the built-in list", set: func(c *config, v string) error { c.Actors = v; return nil }},
	{env: "HERALD_TOPICS", help: "file of extra topics (concepts with their forms in each language), same format as the built-in list", set: func(c *config, v string) error { c.Topics = v; return nil }},
	{env: "HERALD_PUBLIC_URL", help: "base URL where this server is reachable from outside (WebSub callbacks)", set: func(c *config, v string) error { c.PublicURL = v; return checkURL(v, "http", "https") }},
	{env: "HERALD_TELEGRAM_TOKEN", secret: true, help: "Telegram bot token; Telegram is off without it", set: func(c *config, v string) error { c.TelegramToken = v; return nil }},
	{env: "HERALD_TELEGRAM_API", def: "https://api.telegram.org", help: "Telegram Bot API base URL", set: func(c *config, v string) error { c.TelegramAPI = v; return checkURL(v, "http", "https") }},
	{env: "HERALD_TELEGRAM_WEBHOOK_URL", help: "public HTTPS URL for Telegram's webhook; long polling without it", set: func(c *config, v string) error { c.TelegramWebhookURL = v; return checkURL(v, "https", "http") }},
	{env: "HERALD_DISCORD_TOKEN", secret: true, help: "Discord bot token (bare, without \"Bot \"); Discord is off without it", set: func(c *config, v string) error { c.DiscordToken = strings.TrimPrefix(v, "Bot "); return nil }},
	{env: "HERALD_DISCORD_API", def: "https://discord.com/api/v10", help: "Discord REST base URL including the version", set: func(c *config, v string) error { c.DiscordAPI = v; return checkURL(v, "http", "https") }},
	{env: "HERALD_NATS_URL", help: "comma-separated nats:// or tls:// URLs: cluster mode, shared state in NATS JetStream instead of bbolt", set: func(c *config, v string) error {
		c.NATSURL = strings.TrimSpace(v)
		for _, u := range strings.Split(c.NATSURL, ",") {
			if u = strings.TrimSpace(u); c.NATSURL != "" && !strings.HasPrefix(u, "nats://") && !strings.HasPrefix(u, "tls://") {
				return fmt.Errorf("%q is not a nats:// or tls:// URL", u)
			}
		}
		return nil
	}},
	{env: "HERALD_NATS_CREDS", secret: true, help: "NATS credentials (the content of a .creds file); the _FILE form names the file", set: func(c *config, v string) error { c.NATSCreds = v; return nil }},
	{env: "HERALD_NATS_PREFIX", def: "herald", help: "prefix of the deployment's streams, buckets and subjects in NATS", set: func(c *config, v string) error {
		c.NATSPrefix = v
		if !natsPrefixRE.MatchString(v) {
			return errors.New("want letters, digits, - and _ (at most 32)")
		}
		return nil
	}},
	{env: "HERALD_DISCORD_SHARDS", def: "1", help: "Discord gateway shards: this process's, or the deployment's total in cluster mode", set: intSetter(1, 1024, func(c *config) *int { return &c.DiscordShards })},
	{env: "HERALD_INGEST_TOKEN", secret: true, help: "bearer token for POST /v1/articles; without it only loopback may push", set: func(c *config, v string) error { c.IngestToken = v; return nil }},
	{env: "HERALD_LOG_LEVEL", def: "info", help: "debug, info, warn or error", set: func(c *config, v string) error {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return errors.New("want debug, info, warn or error")
		}
		return nil
	}},
	{env: "HERALD_LOG_FORMAT", def: "text", help: "text or json", set: func(c *config, v string) error {
		c.LogFormat = v
		if v != "text" && v != "json" {
			return errors.New("want text or json")
		}
		return nil
	}},
	{env: "HERALD_MAX_SUBSCRIPTIONS", def: "50", help: "subscriptions per chat", set: intSetter(1, 100000, func(c *config) *int { return &c.MaxSubs })},
	{env: "HERALD_MAX_QUERY_LENGTH", def: "300", help: "characters per query", set: intSetter(10, 10000, func(c *config) *int { return &c.MaxQueryLen })},
	{env: "HERALD_COMMANDS_PER_MINUTE", def: "20", help: "commands per user per minute", set: intSetter(1, 10000, func(c *config) *int { return &c.CommandsPerMinute })},
}

var natsPrefixRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

func flagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, "HERALD_")), "_", "-")
}

// loadConfig reads the configuration from getenv and flags in args. Any
// invalid value is an error naming the variable or flag.
func loadConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("herald run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flags := map[string]*string{}
	for _, s := range settings {
		flags[s.env] = fs.String(flagName(s.env), "", s.help+" ("+s.env+")")
		if s.secret {
			flags[s.env+"_FILE"] = fs.String(flagName(s.env+"_FILE"), "", "file holding "+s.env)
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("herald run: %v (see herald run -h)", err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("herald run: unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	lookup := func(env string) (string, string) {
		if given[flagName(env)] {
			return *flags[env], "--" + flagName(env)
		}
		return getenv(env), env
	}
	for _, s := range settings {
		v, name := lookup(s.env)
		if s.secret {
			fv, fname := lookup(s.env + "_FILE")
			if fv != "" {
				if v != "" {
					return c, fmt.Errorf("%s and %s are both set: use one", name, fname)
				}
				raw, err := os.ReadFile(fv)
				if err != nil {
					return c, fmt.Errorf("%s: %v", fname, err)
				}
				v, name = strings.TrimSpace(string(raw)), fname
				if v == "" {
					return c, fmt.Errorf("%s: file %s is empty", fname, fv)
				}
			}
		}
		if v == "" {
			v = s.def
		}
		if err := s.set(&c, v); err != nil {
			shown := v
			if s.secret {
				shown = "(hidden)"
			}
			return c, fmt.Errorf("invalid %s=%s: %v", name, shown, err)
		}
	}
	if c.PollMin > c.PollMax {
		return c, fmt.Errorf("invalid HERALD_POLL_MIN=%s: longer than HERALD_POLL_MAX=%s", c.PollMin, c.PollMax)
	}
	return c, nil
}

// unknownEnv returns the HERALD_* variables in environ that herald does not
// know, so a typo stops start-up instead of being ignored.
func unknownEnv(environ []string) []string {
	known := map[string]bool{}
	for _, s := range settings {
		known[s.env] = true
		if s.secret {
			known[s.env+"_FILE"] = true
		}
	}
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "HERALD_") && !known[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// chatIDs reads a comma-separated list of platform:id chat IDs.
func chatIDs(v string) (map[alerts.TargetID]bool, error) {
	ids := map[alerts.TargetID]bool{}
	for _, id := range strings.Split(v, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		p, rest, ok := strings.Cut(id, ":")
		if !ok || rest == "" || p != string(alerts.PlatformTelegram) && p != string(alerts.PlatformDiscord) {
			return nil, fmt.Errorf("%q is not a chat ID like telegram:-1001234567890 or discord:123456789012345678", id)
		}
		ids[alerts.TargetID(id)] = true
	}
	if len(ids) == 0 {
		return nil, errors.New("no chat IDs")
	}
	return ids, nil
}

func nonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func setAddr(c *config, v string) error {
	c.HTTPAddr = v
	if _, _, err := net.SplitHostPort(v); err != nil {
		return errors.New("want host:port, e.g. 127.0.0.1:8080")
	}
	return nil
}

func checkURL(v string, schemes ...string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fmt.Errorf("scheme must be %s", strings.Join(schemes, " or "))
}

func durSetter(field func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("want a positive Go duration such as 90s, 5m or 1h")
		}
		*field(c) = d
		return nil
	}
}

func intSetter(lo, hi int, field func(*config) *int) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("want a whole number from %d to %d", lo, hi)
		}
		*field(c) = n
		return nil
	}
}

// configUsage prints the configuration names, defaults and help.
func configUsage(w io.Writer) {
	fmt.Fprintln(w, "Configuration (environment variable, or the flag in brackets):")
	for _, s := range settings {
		def := ""
		if s.def != "" {
			def = " (default " + s.def + ")"
		}
		fmt.Fprintf(w, "  %-28s [--%s] %s%s\n", s.env, flagName(s.env), s.help, def)
		if s.secret {
			fmt.Fprintf(w, "  %-28s [--%s-file] file holding %s\n", s.env+"_FILE", flagName(s.env), s.env)
		}
	}
}

func newLogger(w io.Writer, c config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
