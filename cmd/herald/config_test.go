package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("123:abc\n"), 0o600)
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		check   func(t *testing.T, c config)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, c config) {
			if c.DB != "./herald.db" || c.HTTPAddr != "127.0.0.1:8080" || c.PollMin != time.Minute || c.PollMax != 30*time.Minute ||
				c.LogFormat != "text" || c.TelegramToken != "" || c.DiscordShards != 1 || c.MaxSubs != 50 || c.MaxQueryLen != 300 {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{name: "env", env: map[string]string{"HERALD_DB": "/data/h.db", "HERALD_POLL_MIN": "30s", "HERALD_LOG_FORMAT": "json"}, check: func(t *testing.T, c config) {
			if c.DB != "/data/h.db" || c.PollMin != 30*time.Second || c.LogFormat != "json" {
				t.Errorf("env: %+v", c)
			}
		}},
		{name: "name lists", env: map[string]string{"HERALD_ACTORS": "/etc/herald/actors.txt", "HERALD_TOPICS": "/etc/herald/topics.txt"}, check: func(t *testing.T, c config) {
			if c.Actors != "/etc/herald/actors.txt" || c.Topics != "/etc/herald/topics.txt" {
				t.Errorf("name lists: %+v", c)
			}
		}},
		{name: "flag overrides env", env: map[string]string{"HERALD_DB": "/a.db"}, args: []string{"--db", "/b.db", "--http-addr", "0.0.0.0:9000"}, check: func(t *testing.T, c config) {
			if c.DB != "/b.db" || c.HTTPAddr != "0.0.0.0:9000" {
				t.Errorf("flags: %+v", c)
			}
		}},
		{name: "secret from file", env: map[string]string{"HERALD_TELEGRAM_TOKEN_FILE": tokenFile}, check: func(t *testing.T, c config) {
			if c.TelegramToken != "123:abc" {
				t.Errorf("token from file = %q", c.TelegramToken)
			}
		}},
		{name: "secret from file flag", args: []string{"--discord-token-file", tokenFile}, check: func(t *testing.T, c config) {
			if c.DiscordToken != "123:abc" {
				t.Errorf("token from file flag = %q", c.DiscordToken)
			}
		}},
		{name: "discord Bot prefix dropped", env: map[string]string{"HERALD_DISCORD_TOKEN": "Bot xyz"}, check: func(t *testing.T, c config) {
			if c.DiscordToken != "xyz" {
				t.Errorf("discord token = %q", c.DiscordToken)
			}
		}},
		{name: "both secret forms", env: map[string]string{"HERALD_TELEGRAM_TOKEN": "a", "HERALD_TELEGRAM_TOKEN_FILE": tokenFile}, wantErr: "HERALD_TELEGRAM_TOKEN and HERALD_TELEGRAM_TOKEN_FILE are both set"},
		{name: "missing secret file", env: map[string]string{"HERALD_INGEST_TOKEN_FILE": filepath.Join(dir, "nope")}, wantErr: "HERALD_INGEST_TOKEN_FILE"},
		{name: "bad duration", env: map[string]string{"HERALD_POLL_MAX": "soon"}, wantErr: "invalid HERALD_POLL_MAX=soon"},
		{name: "min above max", env: map[string]string{"HERALD_POLL_MIN": "1h", "HERALD_POLL_MAX": "5m"}, wantErr: "HERALD_POLL_MIN=1h0m0s: longer than HERALD_POLL_MAX"},
		{name: "bad level", env: map[string]string{"HERALD_LOG_LEVEL": "loud"}, wantErr: "invalid HERALD_LOG_LEVEL=loud"},
		{name: "bad format", env: map[string]string{"HERALD_LOG_FORMAT": "xml"}, wantErr: "invalid HERALD_LOG_FORMAT=xml: want text or json"},
		{name: "bad addr", env: map[string]string{"HERALD_HTTP_ADDR": "8080"}, wantErr: "invalid HERALD_HTTP_ADDR=8080"},
		{name: "bad bool", env: map[string]string{"HERALD_ALLOW_PRIVATE_FEEDS": "maybe"}, wantErr: "HERALD_ALLOW_PRIVATE_FEEDS"},
		{name: "cluster mode", env: map[string]string{"HERALD_NATS_URL": "nats://a:4222, tls://b:4222", "HERALD_NATS_CREDS_FILE": tokenFile, "HERALD_NATS_PREFIX": "news-eu"}, check: func(t *testing.T, c config) {
			if c.NATSURL != "nats://a:4222, tls://b:4222" || c.NATSCreds != "123:abc" || c.NATSPrefix != "news-eu" {
				t.Errorf("cluster settings: %q %q %q", c.NATSURL, c.NATSCreds, c.NATSPrefix)
			}
		}},
		{name: "nats prefix default", check: func(t *testing.T, c config) {
			if c.NATSURL != "" || c.NATSPrefix != "herald" {
				t.Errorf("without HERALD_NATS_URL: %q, prefix %q", c.NATSURL, c.NATSPrefix)
			}
		}},
		{name: "bad nats url", env: map[string]string{"HERALD_NATS_URL": "http://a:4222"}, wantErr: `invalid HERALD_NATS_URL=http://a:4222: "http://a:4222" is not a nats:// or tls:// URL`},
		{name: "bad nats prefix", env: map[string]string{"HERALD_NATS_URL": "nats://a:4222", "HERALD_NATS_PREFIX": "a.b"}, wantErr: "invalid HERALD_NATS_PREFIX=a.b"},
		{name: "bad url", env: map[string]string{"HERALD_TELEGRAM_API": "ftp://x"}, wantErr: "invalid HERALD_TELEGRAM_API"},
		{name: "bad shards", env: map[string]string{"HERALD_DISCORD_SHARDS": "0"}, wantErr: "HERALD_DISCORD_SHARDS"},
		{name: "chat sources by default from any admin", check: func(t *testing.T, c config) {
			if c.ChatSources != nil {
				t.Errorf("ChatSources = %v, want nil (any admin)", c.ChatSources)
			}
		}},
		{name: "chat sources off", env: map[string]string{"HERALD_CHAT_SOURCES": "off"}, check: func(t *testing.T, c config) {
			if c.ChatSources == nil || len(c.ChatSources) != 0 {
				t.Errorf("ChatSources = %v, want empty", c.ChatSources)
			}
		}},
		{name: "chat sources from listed chats", env: map[string]string{"HERALD_CHAT_SOURCES": "telegram:-1001, discord:42"}, check: func(t *testing.T, c config) {
			if len(c.ChatSources) != 2 || !c.ChatSources["telegram:-1001"] || !c.ChatSources["discord:42"] {
				t.Errorf("ChatSources = %v", c.ChatSources)
			}
		}},
		{name: "chat sources malformed", env: map[string]string{"HERALD_CHAT_SOURCES": "everyone"}, wantErr: `invalid HERALD_CHAT_SOURCES=everyone: "everyone" is not a chat ID`},
		{name: "everyone may use the bot by default", check: func(t *testing.T, c config) {
			if c.AllowedChats != nil {
				t.Errorf("AllowedChats = %v, want nil (everyone)", c.AllowedChats)
			}
		}},
		{name: "allowed chats", env: map[string]string{"HERALD_ALLOWED_CHATS": "telegram:-1001,telegram:42, discord:4000"}, check: func(t *testing.T, c config) {
			if len(c.AllowedChats) != 3 || !c.AllowedChats["telegram:42"] || !c.AllowedChats["discord:4000"] {
				t.Errorf("AllowedChats = %v", c.AllowedChats)
			}
		}},
		{name: "allowed chats malformed", env: map[string]string{"HERALD_ALLOWED_CHATS": "-1001"}, wantErr: `invalid HERALD_ALLOWED_CHATS=-1001: "-1001" is not a chat ID like telegram:`},
		{name: "allowed chats of an unknown platform", env: map[string]string{"HERALD_ALLOWED_CHATS": "slack:C1"}, wantErr: `"slack:C1" is not a chat ID`},
		{name: "bad flag value named", args: []string{"--poll-min", "x"}, wantErr: "invalid --poll-min=x"},
		{name: "unknown flag", args: []string{"--colour"}, wantErr: "colour"},
		{name: "secret value never shown", env: map[string]string{"HERALD_TELEGRAM_TOKEN_FILE": tokenFile, "HERALD_TELEGRAM_API": "::"}, wantErr: "HERALD_TELEGRAM_API"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(tc.args, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "123:abc") {
					t.Fatalf("error shows a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestUnknownEnvStopsStartup(t *testing.T) {
	got := unknownEnv([]string{"HERALD_DB=x", "HERALD_TELEGRAM_TOKNE=y", "PATH=/bin", "HERALD_DISCORD_TOKEN_FILE=z"})
	if len(got) != 1 || got[0] != "HERALD_TELEGRAM_TOKNE" {
		t.Fatalf("unknown = %v", got)
	}
	var out, errb strings.Builder
	t.Setenv("HERALD_LOG_LEVL", "debug")
	if code := run([]string{"run"}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "HERALD_LOG_LEVL") {
		t.Fatalf("run with a typo: exit %d, %q", code, errb.String())
	}
}

func TestDemoRunsOffline(t *testing.T) {
	var out, errb strings.Builder
	if code := run([]string{"demo"}, nil, &out, &errb); code != 0 {
		t.Fatalf("demo exit %d: %s", code, errb.String())
	}
	s := out.String()
	for _, want := range []string{"Subscribed #1: ceasefire", "── alert #1", "matched: #1 ceasefire", "seen before: no alert", "alert #1 updated", "also reported by: Globe Report", "matched: #4 Kharkiv OR Odesa"} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	for _, bad := range []string{"Rasputin biopic tops box office\\n\\n──", "ARTICLE AD BOX", "Read Entire Article"} {
		if strings.Contains(s, bad) {
			t.Errorf("demo output has %q", bad)
		}
	}
}
