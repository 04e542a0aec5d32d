package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
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
}

// commandText holds the replies every command shares.
var commandText = struct {
	SlowDown     string // limit per minute
	NotACommand  string
	Unknown      string // the name typed
	NotManager   string // "group" or "channel", the command's name
	StoreTrouble string
	TargetFailed string
}{
	SlowDown:     "Slow down: at most %d commands a minute. Try again in a minute.",
	NotACommand:  "Commands start with /. Type /help to see them.",
	Unknown:      "I don't know /%s. Type /help to see what I can do.",
	NotManager:   "Only people who manage this %s can use /%s here. Ask an admin, or message me directly to follow topics for yourself.",
	StoreTrouble: "Something went wrong on my side. Please try again in a minute.",
	TargetFailed: "Something went wrong on my side saving this chat. Please try again in a minute.",
}

// HandleCommand runs one command or button press and returns the reply.
// It never panics on user input and always has something to say.
func (b *Bot) HandleCommand(ctx context.Context, c Command) Reply {
	if c.UserID != "" && !b.cmdRate.allow(string(c.Target.ID.Platform())+":"+c.UserID) {
		return Reply{Text: fmt.Sprintf(commandText.SlowDown, b.limits.CommandsPerMinute)}
	}
	if c.Button != "" {
		return b.handleButton(ctx, c)
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
		return notManager(c.Target.Kind, spec.Name)
	}
	t, err := b.ensureTarget(c)
	if err != nil {
		b.log.Error("Target not stored", "target", c.Target.ID, "err", err)
		return Reply{Text: commandText.TargetFailed}
	}
	return spec.run(b, &call{ctx: ctx, cmd: c, target: t, name: spec.Name, args: args, now: b.now()})
}

// mayManage reports whether the command's author may change its chat: in
// a DM they act for themselves; elsewhere the platform says.
func mayManage(c Command) bool {
	return c.Target.Kind == alerts.KindDM || c.CanManage
}

func notManager(kind alerts.TargetKind, command string) Reply {
	return Reply{Text: fmt.Sprintf(commandText.NotManager, kindNoun(kind), command)}
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

func kindNoun(k alerts.TargetKind) string {
	if k == alerts.KindGroup {
		return "group"
	}
	return "channel"
}

// ensureTarget returns the command's target, creating it on first use and
// reactivating it when someone there talks to the bot again.
func (b *Bot) ensureTarget(c Command) (alerts.Target, error) {
	t, err := b.store.GetTarget(c.Target.ID)
	if errors.Is(err, alerts.ErrNotFound) {
		t = c.Target
		t.Active, t.InactiveReason, t.Created = true, "", b.now()
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
	if changed {
		err = b.store.PutTarget(t)
	}
	return t, err
}

// storeTrouble logs a store error and tells the user, without details.
func (b *Bot) storeTrouble(err error) Reply {
	b.log.Error("Store error in a command", "err", err)
	return Reply{Text: commandText.StoreTrouble}
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
