package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
)

// This file dispatches commands through the table in specs.go. The
// handlers live by job: subscriptions.go (/subscribe, /unsubscribe,
// /list), explain.go (/test, /why), settings.go (/mute, /digest, /quiet,
// /timezone, /previews), sources.go (/sources), buttons.go (alert
// buttons), and /help beside the table.

// call is one command on its way through its handler.
type call struct {
	ctx context.Context
	// cmd is the command as the platform gave it.
	cmd Command
	// target is the stored chat the command acts for.
	target alerts.Target
	// name is the command's name (not the alias typed), args the rest of
	// the line.
	name string
	args string
	now  time.Time
	// lang is the language to answer in (see chatLanguage).
	lang string
}

// commandText holds the replies every command shares.
var commandText = struct {
	NotACommand  string
	Unknown      string // the name typed
	NotManager   string // Group or Channel, the command's name
	Group        string
	Channel      string
	StoreTrouble string
	TargetFailed string
}{
	NotACommand:  "Commands start with /. Type /help to see them.",
	Unknown:      "I don't know /%s. Type /help to see what I can do.",
	NotManager:   "Only people who manage this %s can use /%s here. Ask an admin, or message me directly to follow topics for yourself.",
	Group:        "group",
	Channel:      "channel",
	StoreTrouble: "Something went wrong on my side. Please try again in a minute.",
	TargetFailed: "Something went wrong on my side saving this chat. Please try again in a minute.",
}

// HandleCommand runs one command or button press and returns the reply.
// It never panics on user input and always has something to say.
func (b *Bot) HandleCommand(ctx context.Context, c Command) Reply {
	if !b.allowed(c) {
		return b.refuse(c)
	}
	if strings.HasPrefix(c.Button, "/") {
		c.Text, c.Button = c.Button, "" // a ReplyButton: its command
	}
	lang := b.languageOf(c)
	commandText := texts(lang, &commandText)
	if c.UserID != "" && !c.Operator && !b.cmdRate.allow(string(c.Target.ID.Platform())+":"+c.UserID) {
		return Reply{Text: trPlural(lang, "slowDown", b.limits.CommandsPerMinute)}
	}
	if c.Button != "" {
		return b.handleButton(ctx, c, lang)
	}
	name, args := splitCommand(c.Text)
	if name == "" {
		return Reply{Text: commandText.NotACommand}
	}
	spec, ok := b.commands[name]
	if !ok {
		return Reply{Text: fmt.Sprintf(commandText.Unknown, name)}
	}
	if spec.Manage && !mayManage(c) {
		return notManager(lang, c.Target.Kind, spec.Name)
	}
	t, err := b.ensureTarget(c)
	if err != nil {
		b.log.Error("Target not stored", "target", c.Target.ID, "err", err)
		return Reply{Text: commandText.TargetFailed}
	}
	if spec.Query {
		// A query is stored and echoed as it matches: without characters
		// a reader cannot see (bidirectional controls, zero-width spaces).
		args = match.CleanQuery(args)
	}
	return spec.run(b, &call{ctx: ctx, cmd: c, target: t, name: spec.Name, args: args, now: b.now(),
		lang: chatLanguage(t, c.Lang)})
}

// languageOf is the language to answer a command in before its chat is
// stored: the stored chat's choice, else the speaker's.
func (b *Bot) languageOf(c Command) string {
	t, err := b.store.GetTarget(c.Target.ID)
	if err != nil {
		t = c.Target
	}
	return chatLanguage(t, c.Lang)
}

// mayManage reports whether the command's author may change its chat: in
// a DM they act for themselves; elsewhere the platform says.
func mayManage(c Command) bool {
	return c.Target.Kind == alerts.KindDM || c.CanManage
}

func notManager(lang string, kind alerts.TargetKind, command string) Reply {
	commandText := texts(lang, &commandText)
	noun := commandText.Channel
	if kind == alerts.KindGroup {
		noun = commandText.Group
	}
	return Reply{Text: fmt.Sprintf(commandText.NotManager, noun, command)}
}

// splitCommand reads "/name@Bot args" into "name" and "args".
func splitCommand(text string) (name, args string) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") {
		return "", ""
	}
	head, rest, _ := strings.Cut(text[1:], " ")
	if i := strings.IndexAny(head, "\n\t"); i >= 0 {
		rest = head[i+1:] + " " + rest
		head = head[:i]
	}
	head, _, _ = strings.Cut(head, "@")
	return strings.ToLower(head), strings.TrimSpace(rest)
}

// ensureTarget returns the command's target, creating it on first use and
// reactivating it when someone there talks to the bot again.
func (b *Bot) ensureTarget(c Command) (alerts.Target, error) {
	t, err := b.store.GetTarget(c.Target.ID)
	if errors.Is(err, alerts.ErrNotFound) {
		t = c.Target
		t.Active, t.InactiveReason, t.Created = true, "", b.now()
		t.Lang = matchLanguage(c.Lang)
		b.log.Info("New chat", "target", t.ID, "kind", t.Kind)
		return t, b.store.PutTarget(t)
	}
	if err != nil {
		return t, err
	}
	changed := false
	if !t.Active {
		t.Active, t.InactiveReason, changed = true, "", true
	}
	if c.Target.Title != "" && c.Target.Title != t.Title {
		t.Title, changed = c.Target.Title, true
	}
	if l := matchLanguage(c.Lang); l != "" && l != t.Lang {
		t.Lang, changed = l, true // alerts follow the last language spoken here
	}
	if changed {
		err = b.store.PutTarget(t)
	}
	return t, err
}

// storeTrouble logs a store error and tells the user, without details.
func (b *Bot) storeTrouble(lang string, err error) Reply {
	b.log.Error("Store error in a command", "err", err)
	return Reply{Text: texts(lang, &commandText).StoreTrouble}
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
