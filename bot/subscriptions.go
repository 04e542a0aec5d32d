package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/alerts/match"
)

// queryExamples shows the query language in one line, for /help and for
// replies to a query that did not parse.
const queryExamples = `ceasefire · "peace deal" · Zelensky · Kyiv -sport · (drone OR missile) AND Odesa · title:ceasefire · source:reuters`

// queryText holds the replies about queries that /subscribe and /test
// share.
var queryText = struct {
	Help       string
	Unreadable string // the parse error, Help
}{
	Help:       "Write queries like: " + queryExamples,
	Unreadable: "I can't read that query: %v.\n%s",
}

// subscribeText holds the replies of /subscribe.
var subscribeText = struct {
	Usage    string // queryText.Help
	Already  string // the subscription's ID
	Unusable string // the matcher's error, queryText.Help
	Done     string // ID, the query as read
	Includes string
	Next     string // ID
	Role     string // ID, the role's name
	NoRole   string
	RoleSet  string // ID, the role's name
}{
	Usage:    "Tell me what to follow: /subscribe ceasefire\n%s",
	Already:  "Already following that as #%d. /list shows everything this chat follows.",
	Unusable: "I can't use that query: %v.\n%s",
	Done:     "Subscribed #%d: %s\n",
	Includes: "That includes:\n",
	Next:     "Alerts arrive here as the news breaks. /test shows what would have matched lately; /unsubscribe %d stops it.",
	Role:     "Alerts of #%d ping the role %s, and only it.\n",
	NoRole:   "A role can be pinged only in a Discord server's channel, and never @everyone.",
	RoleSet:  "#%d now pings the role %s, and only it.",
}

func (b *Bot) cmdSubscribe(c *call) Reply {
	queryText := texts(c.lang, &queryText)
	subscribeText := texts(c.lang, &subscribeText)
	q, t := c.args, c.target
	if q == "" {
		return Reply{Text: fmt.Sprintf(subscribeText.Usage, queryText.Help)}
	}
	role := c.cmd.Role
	if role != "" && (t.ID.Platform() != alerts.PlatformDiscord || t.Kind == alerts.KindDM || role == c.cmd.Guild || !isSnowflake(role)) {
		// A guild's @everyone role has the guild's own ID.
		return Reply{Text: subscribeText.NoRole}
	}
	sub, err := b.subscribe(t, q, c.now, role, c.cmd.RoleName)
	var already *alreadyFollowed
	var tooLong *queryTooLong
	var unreadable *unreadableQuery
	switch {
	case errors.As(err, &tooLong):
		return Reply{Text: pluralf(c.lang, "subscribeTooLong", tooLong.n, tooLong.n, b.limits.QueryLength)}
	case errors.As(err, &unreadable):
		if unreadable.unusable {
			return Reply{Text: fmt.Sprintf(subscribeText.Unusable, unreadable.err, queryText.Help)}
		}
		return Reply{Text: fmt.Sprintf(queryText.Unreadable, unreadable.err, queryText.Help)}
	case errors.As(err, &already) && role != "":
		// Following it already: the role is what changes.
		s, err := b.store.GetSubscription(already.id)
		if err != nil {
			return b.storeTrouble(c.lang, err)
		}
		s.Role, s.RoleName = role, c.cmd.RoleName
		if err := b.store.PutSubscription(s); err != nil {
			return b.storeTrouble(c.lang, err)
		}
		b.setSub(s)
		return Reply{Text: fmt.Sprintf(subscribeText.RoleSet, s.ID, nonEmpty(s.RoleName, s.Role))}
	case errors.As(err, &already):
		return Reply{Text: fmt.Sprintf(subscribeText.Already, already.id)}
	case errors.Is(err, errFull):
		return Reply{Text: trPlural(c.lang, "subscribeFull", b.limits.SubsPerTarget)}
	case err != nil:
		return b.storeTrouble(c.lang, err)
	}
	parsed, _ := b.parse(q)
	var sb strings.Builder
	fmt.Fprintf(&sb, subscribeText.Done, sub.ID, parsed.String())
	if role != "" {
		fmt.Fprintf(&sb, subscribeText.Role, sub.ID, nonEmpty(c.cmd.RoleName, role))
	}
	if ex := parsed.Expansions(); len(ex) > 0 {
		sb.WriteString(subscribeText.Includes)
		for _, e := range ex {
			sb.WriteString("  " + e + "\n")
		}
	}
	fmt.Fprintf(&sb, subscribeText.Next, sub.ID)
	return Reply{Text: sb.String()}
}

// isSnowflake reports whether s is a Discord ID: decimal digits.
func isSnowflake(s string) bool {
	return s != "" && len(s) <= 20 && strings.Trim(s, "0123456789") == ""
}

// Why subscribe refused a query; each error's text is what /import says
// of the line.
type (
	queryTooLong    struct{ n, limit int }
	unreadableQuery struct {
		unusable bool // the matcher refused it, not the parser
		err      error
	}
	alreadyFollowed struct{ id uint64 }
)

func (e *queryTooLong) Error() string {
	return fmt.Sprintf("the query is %d characters; the limit is %d", e.n, e.limit)
}
func (e *unreadableQuery) Error() string { return e.err.Error() }
func (e *alreadyFollowed) Error() string { return fmt.Sprintf("already following that as #%d", e.id) }

// errFull is subscribe's error when the chat follows as many topics as
// it may.
var errFull = errors.New("this chat follows as many topics as allowed")

// subscribe adds a query to the chat's subscriptions and to the matcher,
// unless the chat already follows it (the same query, or the same
// canonical form) or may follow no more. Other errors are the store's.
func (b *Bot) subscribe(t alerts.Target, q string, now time.Time, role, roleName string) (alerts.Subscription, error) {
	q = match.CleanQuery(q) // /import's lines come here without HandleCommand
	if n := len([]rune(q)); n > b.limits.QueryLength {
		return alerts.Subscription{}, &queryTooLong{n: n, limit: b.limits.QueryLength}
	}
	parsed, err := b.parse(q)
	if err != nil {
		return alerts.Subscription{}, &unreadableQuery{err: err}
	}
	subs, err := b.store.ListSubscriptions(t.ID)
	if err != nil {
		return alerts.Subscription{}, err
	}
	want := canonicalOf(parsed)
	for _, s := range subs {
		if s.Query == q || b.canonical(s.Query) == want {
			return alerts.Subscription{}, &alreadyFollowed{id: s.ID}
		}
	}
	if len(subs) >= b.limits.SubsPerTarget {
		return alerts.Subscription{}, errFull
	}
	sub, err := b.store.AddSubscription(alerts.Subscription{Target: t.ID, Query: q, Created: now, Role: role, RoleName: roleName})
	if err != nil {
		return alerts.Subscription{}, err
	}
	if err := b.matcher.Add(sub); err != nil {
		if derr := b.store.DeleteSubscription(sub.ID); derr != nil {
			b.log.Error("Subscription the matcher refused is still stored", "sub", sub.ID, "target", t.ID, "err", derr)
		}
		return alerts.Subscription{}, &unreadableQuery{unusable: true, err: err}
	}
	b.setSub(sub)
	return sub, nil
}

// canonical is the form two queries share when they follow the same
// thing ("Zelensky" and "Зеленский", "cease-fire" and "ceasefire"), or q
// itself if it does not parse.
func (b *Bot) canonical(q string) string {
	p, err := b.parse(q)
	if err != nil {
		return q
	}
	return canonicalOf(p)
}

// canonicalOf is the query's Canonical form if it has one (the matcher's
// queries do), else its String.
func canonicalOf(q alerts.Query) string {
	if c, ok := q.(interface{ Canonical() string }); ok {
		return c.Canonical()
	}
	return q.String()
}

// findSub resolves "#3", "3" or a query text to one of the target's
// subscriptions.
func (b *Bot) findSub(t alerts.Target, arg string) (alerts.Subscription, error) {
	subs, err := b.store.ListSubscriptions(t.ID)
	if err != nil {
		return alerts.Subscription{}, err
	}
	arg = strings.TrimSpace(arg)
	if id, err := strconv.ParseUint(strings.TrimPrefix(arg, "#"), 10, 64); err == nil {
		for _, s := range subs {
			if s.ID == id {
				return s, nil
			}
		}
		return alerts.Subscription{}, alerts.ErrNotFound
	}
	want := b.canonical(arg)
	for _, s := range subs {
		if strings.EqualFold(s.Query, arg) || b.canonical(s.Query) == want {
			return s, nil
		}
	}
	return alerts.Subscription{}, alerts.ErrNotFound
}

// unsubscribeText holds the replies of /unsubscribe.
var unsubscribeText = struct {
	Usage   string
	Unknown string // the argument
	Done    string // ID, query
	Ask     string // how many, the confirming command
	Button  string
	Nothing string
	All     string // how many
	Failed  string // ID, query: one that could not be removed
	Retry   string
}{
	Usage:   "Which one? /unsubscribe 3 (the number /list shows), /unsubscribe ceasefire, or /unsubscribe all.",
	Unknown: "This chat doesn't follow %q. /list shows what it follows.",
	Done:    "Unsubscribed #%d: %s",
	Ask:     "Stop following %s, everything this chat follows? Confirm with %s.",
	Button:  "Yes, unsubscribe from all",
	Nothing: "This chat follows nothing. /subscribe to follow something.",
	All:     "Unsubscribed from %s. /subscribe to follow something again.",
	Failed:  "#%d %s\n",
	Retry:   "Something went wrong on my side; try /unsubscribe all confirm again in a minute.",
}

func (b *Bot) cmdUnsubscribe(c *call) Reply {
	unsubscribeText := texts(c.lang, &unsubscribeText)
	arg, t := c.args, c.target
	if arg == "" {
		return Reply{Text: unsubscribeText.Usage}
	}
	if f := strings.Fields(strings.ToLower(arg)); len(f) > 0 && f[0] == "all" {
		subs, err := b.store.ListSubscriptions(t.ID)
		if err != nil {
			return b.storeTrouble(c.lang, err)
		}
		// One slip of the fingers should not lose a chat's whole setup.
		switch {
		case len(subs) == 0:
			return Reply{Text: unsubscribeText.Nothing}
		case len(f) != 2 || f[1] != "confirm":
			return Reply{Text: fmt.Sprintf(unsubscribeText.Ask, trPlural(c.lang, "topics", len(subs)), confirmUnsubscribeAll),
				Buttons: []ReplyButton{{Label: unsubscribeText.Button, Command: confirmUnsubscribeAll}}}
		}
		var failed []alerts.Subscription
		for _, s := range subs {
			if err := b.removeSub(s.ID); err != nil {
				b.log.Error("Subscription not removed", "sub", s.ID, "target", t.ID, "err", err)
				failed = append(failed, s)
			}
		}
		if len(failed) == 0 {
			return Reply{Text: fmt.Sprintf(unsubscribeText.All, trPlural(c.lang, "topics", len(subs)))}
		}
		var sb strings.Builder
		sb.WriteString(pluralf(c.lang, "unsubscribeSome", len(subs)-len(failed), len(subs)-len(failed), len(subs)))
		for _, s := range failed {
			fmt.Fprintf(&sb, unsubscribeText.Failed, s.ID, s.Query)
		}
		sb.WriteString(unsubscribeText.Retry)
		return Reply{Text: sb.String()}
	}
	s, err := b.findSub(t, arg)
	if errors.Is(err, alerts.ErrNotFound) {
		return Reply{Text: fmt.Sprintf(unsubscribeText.Unknown, arg)}
	}
	if err != nil {
		return b.storeTrouble(c.lang, err)
	}
	if err := b.removeSub(s.ID); err != nil {
		return b.storeTrouble(c.lang, err)
	}
	return Reply{Text: fmt.Sprintf(unsubscribeText.Done, s.ID, s.Query)}
}

// confirmUnsubscribeAll is the command that removes every subscription.
const confirmUnsubscribeAll = "/unsubscribe all confirm"

// removeSub deletes a subscription from the store, then from the matcher
// and planning. One already gone from the store is not an error.
func (b *Bot) removeSub(id uint64) error {
	if err := b.store.DeleteSubscription(id); err != nil && !errors.Is(err, alerts.ErrNotFound) {
		return err
	}
	b.matcher.Remove(id)
	b.dropSub(id)
	return nil
}

// listText holds the replies of /list.
var listText = struct {
	Role      string // the role
	Nothing   string
	Item      string // ID, query
	MutedSub  string // until
	Immediate string
	Hourly    string
	Daily     string // HH:MM
	Quiet     string // from, to
	MutedAll  string // until
	Zone      string // zone name
}{
	Nothing:   "This chat follows nothing yet. Try /subscribe ceasefire\n",
	Item:      "#%d  %s",
	Role:      "  (pings %s)",
	MutedSub:  "  (muted until %s)",
	Immediate: "Delivery: immediately.\n",
	Hourly:    "Delivery: an hourly digest.\n",
	Daily:     "Delivery: a daily digest at %s.\n",
	Quiet:     "Quiet hours: %s-%s.\n",
	MutedAll:  "Everything is muted until %s.\n",
	Zone:      "Time zone: %s.",
}

func (b *Bot) cmdList(c *call) Reply {
	listText := texts(c.lang, &listText)
	t, now := c.target, c.now
	subs, err := b.store.ListSubscriptions(t.ID)
	if err != nil {
		return b.storeTrouble(c.lang, err)
	}
	var sb strings.Builder
	if len(subs) == 0 {
		sb.WriteString(listText.Nothing)
	} else {
		sb.WriteString(pluralf(c.lang, "listHeader", len(subs), len(subs), b.limits.SubsPerTarget))
		for _, s := range subs {
			fmt.Fprintf(&sb, listText.Item, s.ID, s.Query)
			if s.Role != "" {
				fmt.Fprintf(&sb, listText.Role, nonEmpty(s.RoleName, s.Role))
			}
			if s.MutedUntil.After(now) {
				fmt.Fprintf(&sb, listText.MutedSub, fmtTime(c.lang, s.MutedUntil, t.Settings))
			}
			sb.WriteString("\n")
		}
	}
	st := t.Settings
	switch st.Digest {
	case "hourly":
		sb.WriteString(listText.Hourly)
	case "daily":
		fmt.Fprintf(&sb, listText.Daily, st.DigestAt)
	default:
		sb.WriteString(listText.Immediate)
	}
	if st.QuietFrom != "" {
		fmt.Fprintf(&sb, listText.Quiet, st.QuietFrom, st.QuietTo)
	}
	if st.MutedUntil.After(now) {
		fmt.Fprintf(&sb, listText.MutedAll, fmtTime(c.lang, st.MutedUntil, st))
	}
	n, until, err := b.held(t.ID, now)
	if err != nil {
		return b.storeTrouble(c.lang, err)
	}
	if n > 0 {
		sb.WriteString(pluralf(c.lang, "listHeld", n, n, fmtTime(c.lang, until, st)))
	}
	fmt.Fprintf(&sb, listText.Zone, zoneName(st))
	return Reply{Text: sb.String()}
}

// held counts the alerts the outbox holds for a target's digest or the end
// of its quiet hours, and says when the first of them goes.
func (b *Bot) held(id alerts.TargetID, now time.Time) (n int, until time.Time, err error) {
	queued, err := b.store.Queued(id)
	if err != nil {
		return 0, time.Time{}, err
	}
	for _, d := range queued {
		if !d.Held || !d.NotBefore.After(now) {
			continue
		}
		n += len(d.Alerts)
		if until.IsZero() || d.NotBefore.Before(until) {
			until = d.NotBefore
		}
	}
	return n, until, nil
}
