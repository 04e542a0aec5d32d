package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// The lines of an export that belong to a subscription (its role, its
// mute) are checked as a user would expect: a mute that ran out is no
// mute, a role pings only in the server it belongs to and never in a
// Telegram chat, a line under no subscription is an error, and a
// subscription the chat follows already keeps its own role and mute.
func TestImportRolesAndMutes(t *testing.T) {
	e := newEnv(t)
	ch := alerts.Target{ID: "discord:500", Kind: alerts.KindChannel, Title: "#news"}
	imp := func(target alerts.Target, guild, file string) string {
		t.Helper()
		return e.bot.HandleCommand(context.Background(), bot.Command{Target: target, UserID: "u1", CanManage: true, Guild: guild,
			Text: "/import", File: &bot.File{Name: "x.txt", Data: []byte("herald export 1\n" + file)}}).Text
	}
	// e's clock reads 25 Nov 2026 12:00 UTC.
	r := imp(ch, "400", `  role 700 Breaking
mute all until 2026-11-24T12:00:00Z
server 400
subscribe ceasefire
  mute until 2026-11-25T11:00:00Z
  mute until tomorrow
subscribe truce
  role 400 everyone
  role 701 Desk
`)
	for _, want := range []string{
		"line 2: this line belongs under a subscribe line",
		`line 7: "tomorrow" is not a time like 2026-12-08T10:00:00Z`,
		"line 9: A role can be pinged only in a Discord server's channel, and never @everyone.",
		"Imported: 2 subscriptions added, 0 already here, 3 lines with errors.",
		"Role pings and mutes restored on 1 subscription.",
	} {
		if !strings.Contains(r, want) {
			t.Errorf("/import's reply lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(r, "Settings taken") || strings.Contains(r, "line 3") || strings.Contains(r, "line 6") {
		t.Errorf("a mute that ran out was taken or reported:\n%s", r)
	}
	if l := e.cmd(ch, "/list"); !strings.Contains(l, "truce  (pings Desk)") || strings.Contains(l, "muted") {
		t.Errorf("/list:\n%s", l)
	}
	// The chat's own role and mute stay.
	e.cmd(ch, "/mute 2 8h")
	r = imp(ch, "400", "server 400\nsubscribe truce\n  role 702 Night\n  mute until 2026-11-30T00:00:00Z\n")
	if !strings.Contains(r, "0 subscriptions added, 1 already here, 0 lines with errors") || strings.Contains(r, "restored") {
		t.Errorf("a second /import:\n%s", r)
	}
	if l := e.cmd(ch, "/list"); !strings.Contains(l, "truce  (pings Desk)  (muted until Wed 20:00 UTC)") {
		t.Errorf("/list after the second /import:\n%s", l)
	}
	// A Telegram chat takes the mutes, not the roles.
	tg := alerts.Target{ID: "telegram:-100", Kind: alerts.KindGroup, Title: "Analysts"}
	r = imp(tg, "", "server 400\nsubscribe ceasefire\n  role 700 Breaking\n  mute until 2026-11-30T00:00:00Z\n")
	if !strings.Contains(r, "line 4: A role can be pinged only") || !strings.Contains(r, "restored on 1 subscription.") {
		t.Errorf("/import in Telegram:\n%s", r)
	}
}
