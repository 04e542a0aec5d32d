package discord

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain words", "plain words"},
		{"*bold* _it_ `code` ~~gone~~ ||spoiler||", `\*bold\* \_it\_ \` + "`" + `code\` + "`" + ` \~\~gone\~\~ \|\|spoiler\|\|`},
		{"[click](https://evil.example)", `\[click\](https://evil.example)`},
		{"# Heading\n> quote\n- item\n  + item", "\\# Heading\n\\> quote\n\\- item\n  \\+ item"},
		{"cease-fire #1 > 0", "cease-fire #1 > 0"},
		{"@everyone @here <@123> <@!5> <@&456>", "@\u200beveryone @\u200bhere <@\u200b123> <@\u200b!5> <@\u200b&456>"},
		{`back\slash`, `back\\slash`},
		{"bell\x07 and \xff bad utf8", "bell and  bad utf8"},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
	}{
		{"short", "Ceasefire agreed", 250},
		{"long ascii", strings.Repeat("word ", 400), 250},
		{"emoji count twice", strings.Repeat("🕊", 300), 250},
		{"escapes are not split", strings.Repeat("*", 400), 250},
		{"cyrillic", strings.Repeat("Зеленский ", 100), 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := escapeFit(tt.in, tt.max, true)
			if u16len(got) > tt.max {
				t.Errorf("%d units, max %d", u16len(got), tt.max)
			}
			if u16len(escape(tt.in)) > tt.max && !strings.HasSuffix(got, ellipsis) {
				t.Errorf("cut text %q has no ellipsis", got)
			}
			if strings.HasSuffix(strings.TrimSuffix(got, ellipsis), `\`) && !strings.HasSuffix(got, `\\`) {
				t.Errorf("cut inside an escape: %q", got)
			}
			if !utf8.ValidString(got) {
				t.Error("invalid UTF-8")
			}
		})
	}
}

func alertFor(sub uint64, title string, sources ...string) alerts.Alert {
	return alerts.Alert{
		Target: "discord:1", Story: "s-" + title,
		Article: alerts.Article{Title: title, URL: "https://news.example/" + url.PathEscape(title),
			Summary: "Summary of " + title, Source: "news.example", Outlet: "Reuters",
			Published: time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC)},
		Matches: []alerts.Match{{Sub: sub, Query: `ceasefire OR "peace deal"`, Terms: []alerts.TermHit{
			{Term: "ceasefire", Matched: "Ceasefire", Field: alerts.FieldTitle},
			{Term: `"peace deal"`, Matched: "peace deal", Field: alerts.FieldBody}}}},
		Sources: sources,
	}
}

func TestAlertEmbed(t *testing.T) {
	tests := []struct {
		name  string
		alert alerts.Alert
		check func(t *testing.T, e *discordgo.MessageEmbed)
	}{
		{"linked title, source, time, terms", alertFor(3, "Ceasefire agreed", "Reuters"), func(t *testing.T, e *discordgo.MessageEmbed) {
			if e.Title != "Ceasefire agreed" || e.URL != "https://news.example/Ceasefire%20agreed" {
				t.Errorf("title %q url %q", e.Title, e.URL)
			}
			if e.Footer.Text != "Reuters · news.example" || e.Timestamp != "2026-11-25T08:30:00Z" {
				t.Errorf("footer %q time %q", e.Footer.Text, e.Timestamp)
			}
			if len(e.Fields) != 1 || e.Fields[0].Value != `ceasefire OR "peace deal" (#3): ceasefire (title), "peace deal"` {
				t.Errorf("fields %q", fieldText(e))
			}
			if e.Description != "Summary of Ceasefire agreed" {
				t.Errorf("description %q", e.Description)
			}
		}},
		{"also reported by", alertFor(3, "x", "Reuters", "AP", "BBC"), func(t *testing.T, e *discordgo.MessageEmbed) {
			if len(e.Fields) != 2 || e.Fields[1].Name != "Also reported by" || e.Fields[1].Value != "AP, BBC" {
				t.Errorf("fields %q", fieldText(e))
			}
		}},
		{"no link for a non-web URL", func() alerts.Alert {
			a := alertFor(1, "x")
			a.Article.URL = "javascript:alert(1)"
			return a
		}(), func(t *testing.T, e *discordgo.MessageEmbed) {
			if e.URL != "" {
				t.Errorf("url %q", e.URL)
			}
		}},
		{"body when no summary, untitled", func() alerts.Alert {
			a := alertFor(1, "")
			a.Article.Summary, a.Article.Body = "", strings.Repeat("long body ", 2000)
			return a
		}(), func(t *testing.T, e *discordgo.MessageEmbed) {
			if e.Title != "(untitled)" || !strings.HasPrefix(e.Description, "long body") || u16len(e.Description) > 4096 {
				t.Errorf("title %q, description of %d", e.Title, u16len(e.Description))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := formatAlert(tt.alert, bot.WordsIn("en"))
			checkLimits(t, e)
			tt.check(t, e)
		})
	}
	if colour(alertFor(1, "a")) == colour(alertFor(2, "a")) {
		t.Error("two subscriptions share a colour")
	}
}

func TestDigestEmbed(t *testing.T) {
	var as []alerts.Alert
	for i := range 120 {
		as = append(as, alertFor(uint64(i), fmt.Sprintf("Story %d %s", i, strings.Repeat("very long title ", 10))))
	}
	e, comps := format(bot.Message{Kind: alerts.DeliverDigest, Alerts: as, Buttons: []bot.MessageButton{{Token: "t"}}}, "en")
	checkLimits(t, e)
	if comps != nil {
		t.Error("a digest carries buttons")
	}
	if !strings.HasPrefix(e.Title, "Herald digest: 120 stories") {
		t.Errorf("title %q", e.Title)
	}
	if !strings.Contains(e.Description, "[Story 0 very long") || !regexp.MustCompile(`…and \d+ more stor(y|ies)$`).MatchString(e.Description) {
		t.Errorf("description %q", e.Description)
	}
	e, _ = format(bot.Message{Kind: alerts.DeliverDigest, Alerts: as[:2]}, "en")
	if strings.Contains(e.Description, "more") || strings.Count(e.Description, "\n") != 1 {
		t.Errorf("two-story digest %q", e.Description)
	}
}

func TestComponents(t *testing.T) {
	rows := components([]bot.MessageButton{
		{Action: alerts.ButtonMute, Label: "Mute 8h", Token: "m"},
		{Action: alerts.ButtonWhy, Label: "", Token: "w"},
		{Action: alerts.ButtonUnsub, Label: "x", Token: strings.Repeat("t", 99)}, // custom_id over 100
	})
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	bs := rows[0].(discordgo.ActionsRow).Components
	if len(bs) != 2 || bs[0].(discordgo.Button).CustomID != "h:m" || bs[1].(discordgo.Button).Label != "why" {
		t.Errorf("buttons %+v", bs)
	}
}

func TestSplitReply(t *testing.T) {
	long := strings.Repeat("line of a long /list answer\n", 300)
	parts := splitText(long, maxContent)
	if len(parts) < 2 {
		t.Fatalf("%d parts", len(parts))
	}
	if got := strings.Join(parts, "\n"); strings.Count(got, "line of") != 300 {
		t.Errorf("lines lost: %d", strings.Count(got, "line of"))
	}
	for _, p := range parts {
		if u16len(p) > maxContent {
			t.Errorf("part of %d units", u16len(p))
		}
	}
	if got := splitText("", maxContent); len(got) != 1 || got[0] == "" {
		t.Errorf("empty reply gives %q", got)
	}
}

func TestRewriteTransport(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path)
		w.Write([]byte(`{"url":"ws://x"}`))
	}))
	defer srv.Close()
	a, err := New(Options{Token: "t", APIBase: srv.URL + "/proxy/api/v10/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.rest.Gateway(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.rest.Request("PATCH", discordgo.EndpointWebhookMessage("app", "tok", "@original"), nil); err != nil {
		t.Fatal(err)
	}
	want := "[GET /proxy/api/v10/gateway PATCH /proxy/api/v10/webhooks/app/tok/messages/@original]"
	if fmt.Sprint(got) != want {
		t.Errorf("requests %v, want %s", got, want)
	}
	for _, bad := range []string{"", "ftp://x", "discord.com/api"} {
		if _, err := New(Options{Token: "t", APIBase: bad}); err == nil && bad != "" {
			t.Errorf("API base %q accepted", bad)
		}
	}
	if _, err := New(Options{}); err == nil {
		t.Error("no token accepted")
	}
}

var liveMention = regexp.MustCompile(`@everyone|@here|<@[!&]?\d`)

// checkLimits fails when an embed breaks a Discord limit or carries text
// that would ping.
func checkLimits(t *testing.T, e *discordgo.MessageEmbed) {
	t.Helper()
	if u16len(e.Title) > 256 || u16len(e.Description) > 4096 || embedSize(e) > 6000 || len(e.Fields) > 25 {
		t.Errorf("limits broken: title %d, description %d, total %d", u16len(e.Title), u16len(e.Description), embedSize(e))
	}
	texts := []string{e.Title, e.Description}
	for _, f := range e.Fields {
		if u16len(f.Name) > 256 || u16len(f.Value) > 1024 || f.Value == "" {
			t.Errorf("field %q of %d", f.Name, u16len(f.Value))
		}
		texts = append(texts, f.Name, f.Value)
	}
	if e.Footer != nil {
		if u16len(e.Footer.Text) > 2048 {
			t.Errorf("footer of %d", u16len(e.Footer.Text))
		}
		texts = append(texts, e.Footer.Text)
	}
	for _, s := range texts {
		if liveMention.MatchString(s) {
			t.Errorf("live mention in %q", s)
		}
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 in %q", s)
		}
	}
}

func FuzzFormat(f *testing.F) {
	f.Add("@everyone breaking", "summary <@123> @here", "Reuters", "ceasefire", uint64(1), 2)
	f.Add(strings.Repeat("🕊*", 300), strings.Repeat("_x_ ", 3000), strings.Repeat("s", 3000), strings.Repeat("q", 3000), uint64(9), 40)
	f.Add("\\", "\\@", "@", "<@&1>", uint64(0), 0)
	f.Fuzz(func(t *testing.T, title, summary, source, query string, sub uint64, n int) {
		a := alerts.Alert{
			Article: alerts.Article{Title: title, Summary: summary, Source: source, Outlet: query, URL: summary},
			Matches: []alerts.Match{{Sub: sub, Query: query, Terms: []alerts.TermHit{{Term: query, Matched: title}}}},
			Sources: []string{source, query, title},
		}
		checkLimits(t, formatAlert(a, bot.WordsIn("en")))
		n = max(0, min(n, 200))
		as := make([]alerts.Alert, n)
		for i := range as {
			as[i] = a
		}
		checkLimits(t, formatDigest(as, bot.WordsIn("en")))
		for _, p := range splitText(title+"\n"+summary, maxContent) {
			if u16len(p) > 2000 || liveMention.MatchString(p) {
				t.Errorf("reply part of %d: %q", u16len(p), p)
			}
		}
	})
}

func fieldText(e *discordgo.MessageEmbed) []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Name+": "+f.Value)
	}
	return out
}

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestAlertBodyGolden pins the JSON an alert is sent as.
func TestAlertBodyGolden(t *testing.T) {
	m := bot.Message{Kind: alerts.DeliverAlert, Alerts: []alerts.Alert{alertFor(7, "@everyone: *Ceasefire* agreed in [Geneva]", "Reuters", "AP", "BBC")},
		Buttons: []bot.MessageButton{{Action: alerts.ButtonMute, Label: "Mute 8h", Token: "m:abc"}, {Action: alerts.ButtonWhy, Label: "Why?", Token: "w:abc"}}}
	m.Alerts[0].Article.Summary = "Envoys met <@&42> and @here in # Geneva;\n- a truce was signed."
	e, comps := format(m, "en")
	got, err := json.MarshalIndent(messageBody{Embeds: []*discordgo.MessageEmbed{e}, Components: comps,
		AllowedMentions: noMentions(), Nonce: nonce("discord:1", m), EnforceNonce: true}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "alert.golden.json")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got)+"\n" {
		t.Errorf("alert body changed (go test -run TestAlertBodyGolden -update to accept):\n%s", got)
	}
}

// The embed's headings and the digest's title follow the channel's
// language; the time stays the embed's timestamp, which each reader's
// client shows in their own language and zone.
func TestEmbedSpeaksTheChannelsLanguage(t *testing.T) {
	w := bot.WordsIn("uk")
	e := formatAlert(alertFor(3, "", "Reuters", "AP"), w)
	if e.Title != "(без заголовка)" || len(e.Fields) != 2 || e.Fields[0].Name != "Збіглося" ||
		!strings.Contains(e.Fields[0].Value, "ceasefire (у заголовку)") || e.Fields[1].Name != "Також повідомили" {
		t.Errorf("title %q, fields %q", e.Title, fieldText(e))
	}
	if e.Timestamp != "2026-11-25T08:30:00Z" {
		t.Errorf("timestamp %q", e.Timestamp)
	}
	var as []alerts.Alert
	for i := range 120 {
		as = append(as, alertFor(uint64(i), fmt.Sprintf("Story %d %s", i, strings.Repeat("very long title ", 10))))
	}
	d, _ := format(bot.Message{Kind: alerts.DeliverDigest, Alerts: as}, "ru")
	if d.Title != "Сводка Herald: 120 историй" || !regexp.MustCompile(`…и ещё \d+ истори(я|и|й)$`).MatchString(d.Description) {
		t.Errorf("digest %q, ending %q", d.Title, d.Description[len(d.Description)-30:])
	}
	checkLimits(t, d)
}
