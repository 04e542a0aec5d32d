package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/summary"
)

// HandleCommand runs one command or button press and returns the reply.
// It never panics on user input and always has something to say.
func (b *Bot) HandleCommand(ctx context.Context, c Command) Reply {
	if !b.allowed(c) {
		return b.refuse(c)
	}
	if strings.HasPrefix(c.Button, "/") {
		c.Text, c.Button = c.Button, "" // a ReplyButton: its command
	}
	if c.UserID != "" && !c.Operator && !b.cmdRate.allow(string(c.Target.ID.Platform())+":"+c.UserID) {
		return Reply{Text: fmt.Sprintf("Slow down: at most %d commands a minute. Try again in a minute.", b.limits.CommandsPerMinute)}
	}
	if c.Button != "" {
		return b.handleButton(ctx, c)
	}
	name, args := splitCommand(c.Text)
	if name == "" {
		return Reply{Text: "Commands start with /. Type /help to see them."}
	}
	spec, ok := findSpec(name)
	if !ok {
		return Reply{Text: fmt.Sprintf("I don't know /%s. Type /help to see what I can do.", name)}
	}
	if spec.Name == "start" || spec.Name == "help" {
		b.ensureTarget(c)
		return Reply{Text: helpText}
	}
	manage := spec.Manage || (spec.Name == "sources" && args != "")
	if spec.Name == "sources" && args != "" && c.Target.Kind == alerts.KindDM && !c.Operator {
		// A feed serves every chat of this Herald, so adding one is for
		// admins of a group or channel, not anyone who can DM the bot.
		return Reply{Text: "Sources are shared by every chat, so only admins of a group or channel can add or remove one there. Ask the operator to add it to HERALD_FEEDS."}
	}
	if manage && c.Target.Kind != alerts.KindDM && !c.CanManage {
		return Reply{Text: fmt.Sprintf("Only people who manage this %s can use /%s here. "+
			"Ask an admin, or message me directly to follow topics for yourself.", kindNoun(c.Target.Kind), spec.Name)}
	}
	t, err := b.ensureTarget(c)
	if err != nil {
		b.log.Error("Target not stored", "target", c.Target.ID, "err", err)
		return Reply{Text: "Something went wrong on my side saving this chat. Please try again in a minute."}
	}
	now := b.now()
	switch spec.Name {
	case "subscribe":
		return b.cmdSubscribe(t, args, now)
	case "unsubscribe":
		return b.cmdUnsubscribe(t, args)
	case "list":
		return b.cmdList(t, now)
	case "test":
		return b.cmdTest(args)
	case "why":
		return b.cmdWhy(t, args)
	case "mute":
		return b.cmdMute(t, args, now)
	case "digest":
		return b.cmdDigest(t, args, now)
	case "quiet":
		return b.cmdQuiet(t, args)
	case "timezone":
		return b.cmdTimezone(t, args, now)
	case "sources":
		return b.cmdSources(ctx, t, args, c.Operator)
	case "previews":
		return b.cmdPreviews(t, args)
	}
	return Reply{Text: helpText}
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

var aliases = map[string]string{"start": "help", "sub": "subscribe", "unsub": "unsubscribe", "tz": "timezone"}

func findSpec(name string) (CommandSpec, bool) {
	if a, ok := aliases[name]; ok {
		if name == "start" {
			return CommandSpec{Name: "start"}, true
		}
		name = a
	}
	for _, s := range commandSpecs {
		if s.Name == name {
			return s, true
		}
	}
	return CommandSpec{}, false
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

const queryHelp = `Write queries like: ceasefire · "peace deal" · Zelensky · Kyiv -sport · (drone OR missile) AND Odesa · title:ceasefire · source:reuters`

func (b *Bot) cmdSubscribe(t alerts.Target, q string, now time.Time) Reply {
	if q == "" {
		return Reply{Text: "Tell me what to follow: /subscribe ceasefire\n" + queryHelp}
	}
	if n := len([]rune(q)); n > b.limits.QueryLength {
		return Reply{Text: fmt.Sprintf("That query is %d characters; the limit is %d. Shorten it, or split it into two subscriptions.", n, b.limits.QueryLength)}
	}
	parsed, err := b.parse(q)
	if err != nil {
		return Reply{Text: fmt.Sprintf("I can't read that query: %v.\n%s", err, queryHelp)}
	}
	subs, err := b.store.ListSubscriptions(t.ID)
	if err != nil {
		return b.storeTrouble(err)
	}
	for _, s := range subs {
		if s.Query == q || b.canonical(s.Query) == parsed.String() {
			return Reply{Text: fmt.Sprintf("Already following that as #%d. /list shows everything this chat follows.", s.ID)}
		}
	}
	if len(subs) >= b.limits.SubsPerTarget {
		return Reply{Text: fmt.Sprintf("This chat already follows %d topics, the most allowed. /unsubscribe one first (see /list).", len(subs))}
	}
	sub, err := b.store.AddSubscription(alerts.Subscription{Target: t.ID, Query: q, Created: now})
	if err != nil {
		return b.storeTrouble(err)
	}
	if err := b.matcher.Add(sub); err != nil {
		b.store.DeleteSubscription(sub.ID)
		return Reply{Text: fmt.Sprintf("I can't use that query: %v.\n%s", err, queryHelp)}
	}
	b.setSub(sub)
	var sb strings.Builder
	fmt.Fprintf(&sb, "Subscribed #%d: %s\n", sub.ID, parsed.String())
	if ex := parsed.Expansions(); len(ex) > 0 {
		sb.WriteString("That includes:\n")
		for _, e := range ex {
			sb.WriteString("  " + e + "\n")
		}
	}
	sb.WriteString("Alerts arrive here as the news breaks. /test shows what would have matched lately; /unsubscribe " + itoa(sub.ID) + " stops it.")
	return Reply{Text: sb.String()}
}

func (b *Bot) canonical(q string) string {
	p, err := b.parse(q)
	if err != nil {
		return q
	}
	return p.String()
}

func (b *Bot) storeTrouble(err error) Reply {
	b.log.Error("Store error in a command", "err", err)
	return Reply{Text: "Something went wrong on my side. Please try again in a minute."}
}

// findSub resolves "#3", "3" or a query text to one of the target's
// subscriptions.
func (b *Bot) findSub(t alerts.Target, arg string) (alerts.Subscription, []alerts.Subscription, error) {
	subs, err := b.store.ListSubscriptions(t.ID)
	if err != nil {
		return alerts.Subscription{}, nil, err
	}
	arg = strings.TrimSpace(arg)
	if id, err := strconv.ParseUint(strings.TrimPrefix(arg, "#"), 10, 64); err == nil {
		for _, s := range subs {
			if s.ID == id {
				return s, subs, nil
			}
		}
		return alerts.Subscription{}, subs, alerts.ErrNotFound
	}
	want := b.canonical(arg)
	for _, s := range subs {
		if strings.EqualFold(s.Query, arg) || b.canonical(s.Query) == want {
			return s, subs, nil
		}
	}
	return alerts.Subscription{}, subs, alerts.ErrNotFound
}

func (b *Bot) cmdUnsubscribe(t alerts.Target, arg string) Reply {
	if arg == "" {
		return Reply{Text: "Which one? /unsubscribe 3 (the number /list shows), /unsubscribe ceasefire, or /unsubscribe all."}
	}
	if f := strings.Fields(strings.ToLower(arg)); len(f) > 0 && f[0] == "all" {
		return b.unsubscribeAll(t, len(f) == 2 && f[1] == "confirm")
	}
	s, _, err := b.findSub(t, arg)
	if errors.Is(err, alerts.ErrNotFound) {
		return Reply{Text: fmt.Sprintf("This chat doesn't follow %q. /list shows what it follows.", arg)}
	}
	if err != nil {
		return b.storeTrouble(err)
	}
	if err := b.removeSub(s.ID); err != nil {
		return b.storeTrouble(err)
	}
	return Reply{Text: fmt.Sprintf("Unsubscribed #%d: %s", s.ID, s.Query)}
}

// confirmUnsubscribeAll is the command that removes every subscription.
const confirmUnsubscribeAll = "/unsubscribe all confirm"

// unsubscribeAll removes every subscription of the chat once confirmed,
// and otherwise asks: one slip of the fingers should not lose a chat's
// whole setup.
func (b *Bot) unsubscribeAll(t alerts.Target, confirmed bool) Reply {
	subs, err := b.store.ListSubscriptions(t.ID)
	if err != nil {
		return b.storeTrouble(err)
	}
	if len(subs) == 0 {
		return Reply{Text: "This chat follows nothing. /subscribe to follow something."}
	}
	if !confirmed {
		return Reply{Text: fmt.Sprintf("Stop following %s, everything this chat follows? Confirm with %s.", countTopics(len(subs)), confirmUnsubscribeAll),
			Buttons: []ReplyButton{{Label: "Yes, unsubscribe from all", Command: confirmUnsubscribeAll}}}
	}
	for _, s := range subs {
		if err := b.removeSub(s.ID); err != nil {
			return b.storeTrouble(err)
		}
	}
	return Reply{Text: fmt.Sprintf("Unsubscribed from %s. /subscribe to follow something again.", countTopics(len(subs)))}
}

func countTopics(n int) string {
	if n == 1 {
		return "the 1 topic"
	}
	return fmt.Sprintf("all %d topics", n)
}

func (b *Bot) removeSub(id uint64) error {
	if err := b.store.DeleteSubscription(id); err != nil && !errors.Is(err, alerts.ErrNotFound) {
		return err
	}
	b.matcher.Remove(id)
	b.dropSub(id)
	return nil
}

func (b *Bot) cmdList(t alerts.Target, now time.Time) Reply {
	subs, err := b.store.ListSubscriptions(t.ID)
	if err != nil {
		return b.storeTrouble(err)
	}
	var sb strings.Builder
	if len(subs) == 0 {
		sb.WriteString("This chat follows nothing yet. Try /subscribe ceasefire\n")
	} else {
		fmt.Fprintf(&sb, "This chat follows %d of at most %d:\n", len(subs), b.limits.SubsPerTarget)
		for _, s := range subs {
			fmt.Fprintf(&sb, "#%d  %s", s.ID, s.Query)
			if s.MutedUntil.After(now) {
				fmt.Fprintf(&sb, "  (muted until %s)", fmtTime(s.MutedUntil, t.Settings))
			}
			sb.WriteString("\n")
		}
	}
	st := t.Settings
	switch st.Digest {
	case "hourly":
		sb.WriteString("Delivery: an hourly digest.\n")
	case "daily":
		fmt.Fprintf(&sb, "Delivery: a daily digest at %s.\n", st.DigestAt)
	default:
		sb.WriteString("Delivery: immediately.\n")
	}
	if st.QuietFrom != "" {
		fmt.Fprintf(&sb, "Quiet hours: %s-%s.\n", st.QuietFrom, st.QuietTo)
	}
	if st.MutedUntil.After(now) {
		fmt.Fprintf(&sb, "Everything is muted until %s.\n", fmtTime(st.MutedUntil, st))
	}
	fmt.Fprintf(&sb, "Time zone: %s.", zoneName(st))
	return Reply{Text: sb.String()}
}

func zoneName(st alerts.TargetSettings) string {
	if st.TimeZone == "" {
		return "UTC"
	}
	return st.TimeZone
}

func fmtTime(t time.Time, st alerts.TargetSettings) string {
	return t.In(location(st)).Format("Mon 15:04 MST")
}

func (b *Bot) cmdTest(q string) Reply {
	if q == "" {
		return Reply{Text: "Give me a query to try: /test ceasefire\n" + queryHelp}
	}
	parsed, err := b.parse(q)
	if err != nil {
		return Reply{Text: fmt.Sprintf("I can't read that query: %v.\n%s", err, queryHelp)}
	}
	recent, err := b.store.RecentArticles(500)
	if err != nil {
		return b.storeTrouble(err)
	}
	var sb strings.Builder
	n := 0
	for i := range recent {
		ok, terms := parsed.Explain(&recent[i])
		if !ok {
			continue
		}
		n++
		if n <= 5 {
			fmt.Fprintf(&sb, "• %s (%s)\n  %s\n", recent[i].Title, sourceOf(recent[i]), describeTerms(terms))
		}
	}
	if n == 0 {
		return Reply{Text: fmt.Sprintf("None of the last %d articles would have matched %s.", len(recent), parsed.String())}
	}
	head := fmt.Sprintf("%d of the last %d articles would have matched %s", n, len(recent), parsed.String())
	if n > 5 {
		head += "; the newest 5"
	}
	return Reply{Text: head + ":\n" + sb.String()}
}

func sourceOf(a alerts.Article) string {
	switch {
	case a.Outlet != "":
		return a.Outlet
	case a.Source != "":
		return a.Source
	}
	return "unknown source"
}

func describeTerms(terms []alerts.TermHit) string {
	parts := make([]string, 0, len(terms))
	for _, th := range terms {
		s := th.Term
		if th.Matched != "" && !strings.EqualFold(th.Matched, strings.Trim(th.Term, `"`)) {
			s += fmt.Sprintf(" (as %q)", th.Matched)
		}
		parts = append(parts, s+" in "+string(th.Field))
	}
	if len(parts) == 0 {
		return "matched"
	}
	return "matched " + strings.Join(parts, ", ")
}

func (b *Bot) cmdWhy(t alerts.Target, _ string) Reply {
	s, err := b.store.LastSent(t.ID)
	if errors.Is(err, alerts.ErrNotFound) {
		return Reply{Text: "No alert has been sent here yet."}
	}
	if err != nil {
		return b.storeTrouble(err)
	}
	return Reply{Text: b.explainAlert(s.Alert)}
}

// explainAlert says which subscriptions and terms made an alert, and quotes
// the sentence of the article where they occur, terms in «».
func (b *Bot) explainAlert(a alerts.Alert) string {
	s := explainMatches(a)
	var terms []string
	for _, m := range a.Matches {
		for _, th := range m.Terms {
			if th.Field == alerts.FieldSource {
				continue
			}
			terms = append(terms, nonEmpty(th.Matched, th.Term))
		}
	}
	text := a.Article.Summary
	if art, err := b.store.GetArticle(a.Article.ID); err == nil && art.Body != "" {
		text = art.Body
	}
	if sentence, marks := summary.WhySentence(text, terms); sentence != "" {
		s += "\nIn the article: " + summary.Mark(sentence, marks, "«", "»", nil)
	} else if sentence, marks := summary.WhySentence(a.Article.Title, terms); sentence != "" {
		s += "\nIn the headline: " + summary.Mark(sentence, marks, "«", "»", nil)
	}
	return s
}

func explainMatches(a alerts.Alert) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "“%s” (%s) was sent because:\n", a.Article.Title, sourceOf(a.Article))
	for _, m := range a.Matches {
		fmt.Fprintf(&sb, "#%d %s: %s\n", m.Sub, m.Query, describeTerms(m.Terms))
	}
	if len(a.Sources) > 1 {
		fmt.Fprintf(&sb, "Reported by: %s", strings.Join(a.Sources, ", "))
	}
	return strings.TrimSpace(sb.String())
}

func (b *Bot) cmdMute(t alerts.Target, args string, now time.Time) Reply {
	f := strings.Fields(args)
	if len(f) < 2 {
		return Reply{Text: "Write /mute 3 8h to pause subscription #3 for 8 hours, /mute all 2d for everything, or /mute 3 off to resume."}
	}
	f = []string{f[0], strings.Join(f[1:], " ")} // "2 days"
	var until time.Time
	if !strings.EqualFold(f[1], "off") {
		d, err := parseDuration(f[1])
		if err != nil {
			return Reply{Text: err.Error() + "."}
		}
		until = now.Add(d)
	}
	if strings.EqualFold(f[0], "all") {
		t.Settings.MutedUntil = until
		if err := b.store.PutTarget(t); err != nil {
			return b.storeTrouble(err)
		}
		if until.IsZero() {
			return Reply{Text: "Unmuted: alerts flow again."}
		}
		return Reply{Text: fmt.Sprintf("Muted everything until %s. /mute all off resumes sooner.", fmtTime(until, t.Settings))}
	}
	s, _, err := b.findSub(t, f[0])
	if errors.Is(err, alerts.ErrNotFound) {
		return Reply{Text: fmt.Sprintf("This chat has no subscription %s. /list shows the numbers.", f[0])}
	}
	if err != nil {
		return b.storeTrouble(err)
	}
	s.MutedUntil = until
	if err := b.store.PutSubscription(s); err != nil {
		return b.storeTrouble(err)
	}
	b.setSub(s)
	if until.IsZero() {
		return Reply{Text: fmt.Sprintf("Unmuted #%d: %s", s.ID, s.Query)}
	}
	return Reply{Text: fmt.Sprintf("Muted #%d (%s) until %s.", s.ID, s.Query, fmtTime(until, t.Settings))}
}

func (b *Bot) cmdDigest(t alerts.Target, args string, now time.Time) Reply {
	f := strings.Fields(strings.ToLower(args))
	if len(f) == 0 {
		return Reply{Text: "Write /digest off (alerts immediately), /digest hourly, or /digest daily 08:00."}
	}
	st := &t.Settings
	switch f[0] {
	case "off":
		st.Digest, st.DigestAt = "", ""
	case "hourly":
		st.Digest, st.DigestAt = "hourly", ""
	case "daily":
		at := "08:00"
		if len(f) > 1 {
			at = f[1]
		}
		m, err := parseClock(at)
		if err != nil {
			return Reply{Text: err.Error() + "."}
		}
		st.Digest, st.DigestAt = "daily", fmt.Sprintf("%02d:%02d", m/60, m%60)
	default:
		return Reply{Text: fmt.Sprintf("%q is not a digest mode: write off, hourly, or daily 08:00.", f[0])}
	}
	if err := b.store.PutTarget(t); err != nil {
		return b.storeTrouble(err)
	}
	if err := b.replan(t); err != nil {
		b.log.Error("Held alerts not re-planned", "target", t.ID, "err", err)
	}
	if st.Digest == "" {
		return Reply{Text: "Digest off: alerts arrive as the news breaks."}
	}
	return Reply{Text: fmt.Sprintf("Alerts now come as a %s digest; the next at %s.", st.Digest, fmtTime(nextDigest(*st, now), *st))}
}

func (b *Bot) cmdQuiet(t alerts.Target, args string) Reply {
	args = strings.TrimSpace(args)
	if strings.EqualFold(args, "off") {
		t.Settings.QuietFrom, t.Settings.QuietTo = "", ""
		if err := b.store.PutTarget(t); err != nil {
			return b.storeTrouble(err)
		}
		return Reply{Text: "Quiet hours off."}
	}
	from, to, ok := strings.Cut(strings.ReplaceAll(args, " ", ""), "-")
	if !ok {
		return Reply{Text: "Write /quiet 22:00-07:00 to hold alerts overnight, or /quiet off."}
	}
	f, err1 := parseClock(from)
	e, err2 := parseClock(to)
	if err := errors.Join(err1, err2); err != nil {
		return Reply{Text: err.Error() + "."}
	}
	if f == e {
		return Reply{Text: "Quiet hours need a different start and end, e.g. /quiet 22:00-07:00."}
	}
	t.Settings.QuietFrom, t.Settings.QuietTo = fmt.Sprintf("%02d:%02d", f/60, f%60), fmt.Sprintf("%02d:%02d", e/60, e%60)
	if err := b.store.PutTarget(t); err != nil {
		return b.storeTrouble(err)
	}
	if err := b.replan(t); err != nil {
		b.log.Error("Held alerts not re-planned", "target", t.ID, "err", err)
	}
	return Reply{Text: fmt.Sprintf("Quiet hours %s-%s (%s): alerts wait and arrive as one digest when they end.",
		t.Settings.QuietFrom, t.Settings.QuietTo, zoneName(t.Settings))}
}

func (b *Bot) cmdTimezone(t alerts.Target, zone string, now time.Time) Reply {
	zone = strings.TrimSpace(zone)
	if zone == "" {
		return Reply{Text: fmt.Sprintf("This chat's time zone is %s. Set it with /timezone Europe/Kyiv (or an offset such as UTC+3).", zoneName(t.Settings))}
	}
	name, loc, fixed, ok := readZone(zone)
	if !ok {
		return Reply{Text: fmt.Sprintf("I don't know the time zone %q. Use a name like Europe/Kyiv, America/New_York or UTC, or an offset such as UTC+3 or +05:30.", zone)}
	}
	t.Settings.TimeZone = name
	if err := b.store.PutTarget(t); err != nil {
		return b.storeTrouble(err)
	}
	if err := b.replan(t); err != nil {
		b.log.Error("Held alerts not re-planned", "target", t.ID, "err", err)
	}
	msg := fmt.Sprintf("Time zone set to %s; it is %s there now.", name, now.In(loc).Format("15:04"))
	if fixed {
		msg += " A fixed offset does not follow daylight saving time; a zone name such as Europe/Kyiv does."
	}
	return Reply{Text: msg}
}

func (b *Bot) cmdPreviews(t alerts.Target, arg string) Reply {
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "on":
		t.Settings.NoPreviews = false
	case "off":
		t.Settings.NoPreviews = true
	default:
		return Reply{Text: "Write /previews off to hide link previews under alerts, or /previews on to show them."}
	}
	if err := b.store.PutTarget(t); err != nil {
		return b.storeTrouble(err)
	}
	if t.Settings.NoPreviews {
		return Reply{Text: "Link previews off: alerts show only their own text."}
	}
	return Reply{Text: "Link previews on."}
}

func (b *Bot) cmdSources(ctx context.Context, t alerts.Target, args string, operator bool) Reply {
	if b.catalog == nil {
		return Reply{Text: "This Herald has no feeds configured; articles arrive only by push."}
	}
	sub, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(sub) {
	case "":
		return b.listSources(t)
	case "add":
		if cs := b.limits.ChatSources; !operator && cs != nil && !cs[t.ID] && !cs[t.ID.Chat()] {
			return Reply{Text: fmt.Sprintf("The operator of this Herald chooses its sources; ask them to add the feed, or to let this chat add feeds (its ID is %s).", t.ID.Chat())}
		}
		if rest == "" || strings.ContainsAny(rest, " \t\n") {
			return Reply{Text: "Write /sources add with one feed's URL: /sources add https://example.com/feed.xml"}
		}
		st, err := b.catalog.AddSource(ctx, rest, t.ID.Chat())
		if err != nil {
			return Reply{Text: "Not added: " + err.Error()}
		}
		if !st.UserAdded || st.AddedBy != t.ID.Chat() {
			return Reply{Text: fmt.Sprintf("%s is already among the sources.", nonEmpty(st.Title, st.URL))}
		}
		return Reply{Text: fmt.Sprintf("Added %s. New articles from it will be matched from now on (its backlog is skipped). /sources remove takes it out again.", nonEmpty(st.Title, st.URL))}
	case "remove", "rm", "delete":
		if rest == "" || strings.ContainsAny(rest, " \t\n") {
			return Reply{Text: "Write /sources remove N, with the number /sources shows, or the feed's URL."}
		}
		return b.removeSource(ctx, t, rest, operator)
	}
	return Reply{Text: "Write /sources to see the sources, /sources add URL to add a feed, or /sources remove N to take one out."}
}

func (b *Bot) listSources(t alerts.Target) Reply {
	srcs := b.catalog.Sources()
	if len(srcs) == 0 {
		return Reply{Text: "No feeds yet. Add one with /sources add URL."}
	}
	// The first 30, and past them the ones this chat added (it may want
	// to remove them).
	const shown = 30
	var sb strings.Builder
	if len(srcs) == 1 {
		sb.WriteString("1 source:\n")
	} else {
		fmt.Fprintf(&sb, "%d sources:\n", len(srcs))
	}
	hidden := 0
	for i, s := range srcs {
		ours := s.UserAdded && s.AddedBy == t.ID.Chat()
		if i >= shown && !ours {
			hidden++
			continue
		}
		fmt.Fprintf(&sb, "%d. ", i+1)
		if s.Title != "" {
			fmt.Fprintf(&sb, "%s (%s)", s.Title, s.URL)
		} else {
			sb.WriteString(s.URL)
		}
		fmt.Fprintf(&sb, ": %s", s.State)
		if s.State != "ok" && !s.FailingSince.IsZero() {
			fmt.Fprintf(&sb, " since %s", s.FailingSince.UTC().Format("Jan 2 15:04 MST"))
		}
		if s.LastError != "" && s.State != "ok" {
			fmt.Fprintf(&sb, " (%s)", s.LastError)
		}
		if ours {
			sb.WriteString(" (added here)")
		}
		sb.WriteString("\n")
	}
	if hidden > 0 {
		fmt.Fprintf(&sb, "(%d more from the operator and other chats not shown.)", hidden)
	}
	return Reply{Text: strings.TrimSpace(sb.String())}
}

// removeSource takes out a feed this chat added, by its number in
// /sources or its URL. Feeds of the operator, feeds another chat added,
// and feeds added before Herald recorded by whom stay: sources serve
// every chat of this Herald. (The catalogue checks again, under its lock.)
func (b *Bot) removeSource(ctx context.Context, t alerts.Target, ref string, operator bool) Reply {
	srcs := b.catalog.Sources()
	var src *SourceStatus
	if n, err := strconv.Atoi(ref); err == nil {
		if n < 1 || n > len(srcs) {
			return Reply{Text: fmt.Sprintf("There is no source %d; /sources lists %d.", n, len(srcs))}
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
			return Reply{Text: fmt.Sprintf("%s is not among the sources; /sources lists them.", ref)}
		}
	}
	name := nonEmpty(src.Title, src.URL)
	by := t.ID.Chat()
	switch {
	case !src.UserAdded && operator:
		return Reply{Text: fmt.Sprintf("%s is one of the feeds this Herald was started with (HERALD_FEEDS, or herald console's arguments); restart without it to stop polling it.", name)}
	case operator:
		by = "" // the operator removes any feed added from chat
	case !src.UserAdded:
		return Reply{Text: fmt.Sprintf("%s is configured by the operator of this Herald; only they can remove it.", name)}
	case src.AddedBy == "":
		return Reply{Text: fmt.Sprintf("%s was added before Herald recorded who adds feeds; only the operator can remove it.", name)}
	case src.AddedBy != t.ID.Chat():
		return Reply{Text: fmt.Sprintf("%s was added by another chat; only that chat's admins can remove it.", name)}
	}
	if err := b.catalog.RemoveSource(ctx, src.URL, by); err != nil {
		return Reply{Text: "Not removed: " + err.Error()}
	}
	return Reply{Text: fmt.Sprintf("Removed %s: its new articles no longer arrive. Alerts already sent stay.", name)}
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// handleButton acts on an alert button. Tokens resolve through the store,
// so forged or stale data does nothing but say so.
func (b *Bot) handleButton(_ context.Context, c Command) Reply {
	action, tok, ok := strings.Cut(c.Button, ":")
	if !ok {
		return Reply{Text: "This button has expired."}
	}
	btn, err := b.store.Button(tok)
	// The button acts for the target its alert went to; the press must
	// come from that chat (a forum topic's message may arrive without its
	// topic, so the chat is what is compared).
	if err != nil || btn.Target.Chat() != c.Target.ID.Chat() {
		return Reply{Text: "This button has expired."}
	}
	t, err := b.store.GetTarget(btn.Target)
	if err != nil {
		return Reply{Text: "This button has expired."}
	}
	if action != "w" && t.Kind != alerts.KindDM && !c.CanManage {
		return Reply{Text: fmt.Sprintf("Only people who manage this %s can change its subscriptions.", kindNoun(t.Kind))}
	}
	now := b.now()
	switch action {
	case "m":
		var names []string
		for _, id := range btn.Subs {
			s, err := b.store.GetSubscription(id)
			if err != nil || s.Target != t.ID {
				continue
			}
			s.MutedUntil = now.Add(8 * time.Hour)
			if err := b.store.PutSubscription(s); err != nil {
				return b.storeTrouble(err)
			}
			b.setSub(s)
			names = append(names, s.Query)
		}
		if len(names) == 0 {
			return Reply{Text: "That subscription is gone already."}
		}
		return Reply{Text: fmt.Sprintf("Muted %s for 8 hours.", strings.Join(names, ", "))}
	case "u":
		var names []string
		for _, id := range btn.Subs {
			s, err := b.store.GetSubscription(id)
			if err != nil || s.Target != t.ID {
				continue
			}
			if err := b.removeSub(id); err != nil {
				return b.storeTrouble(err)
			}
			names = append(names, s.Query)
		}
		if len(names) == 0 {
			return Reply{Text: "That subscription is gone already."}
		}
		return Reply{Text: "Unsubscribed from " + strings.Join(names, ", ") + "."}
	case "w":
		s, err := b.store.Sent(btn.Key)
		if err != nil {
			return Reply{Text: "I no longer remember that alert."}
		}
		return Reply{Text: b.explainAlert(s.Alert)}
	}
	return Reply{Text: "This button has expired."}
}

const helpText = `Herald sends you news as it breaks, on the topics you follow.

/subscribe QUERY: follow a topic. ceasefire · "peace deal" · Zelensky · Kyiv -sport · (drone OR missile) AND Odesa · title:ceasefire · source:reuters
/list: what this chat follows
/unsubscribe N: stop following #N (or the query, or all)
/test QUERY: what recent articles would have matched
/why: why the last alert was sent
/mute N|all 8h: pause for a while (off to resume)
/digest off|hourly|daily 08:00: immediately, or bundled
/quiet 22:00-07:00: hold alerts overnight (off to end)
/timezone Europe/Kyiv: the zone for digests and quiet hours
/previews on|off: link previews under alerts
/sources: the news sources and their health (add URL, remove N: admins of a group or channel)

Words match whole words in any form (ceasefire, ceasefires, cease-fire); quotes match exactly; names of people and places match all their spellings (Kyiv, Kiev, Київ).
In a group or channel, only its admins can change what it follows.`
