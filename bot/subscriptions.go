package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts"
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
	TooLong  string // length, limit
	Already  string // the subscription's ID
	Full     string // how many the chat follows
	Unusable string // the matcher's error, queryText.Help
	Done     string // ID, the query as read
	Includes string
	Next     string // ID
}{
	Usage:    "Tell me what to follow: /subscribe ceasefire\n%s",
	TooLong:  "That query is %d characters; the limit is %d. Shorten it, or split it into two subscriptions.",
	Already:  "Already following that as #%d. /list shows everything this chat follows.",
	Full:     "This chat already follows %d topics, the most allowed. /unsubscribe one first (see /list).",
	Unusable: "I can't use that query: %v.\n%s",
	Done:     "Subscribed #%d: %s\n",
	Includes: "That includes:\n",
	Next:     "Alerts arrive here as the news breaks. /test shows what would have matched lately; /unsubscribe %d stops it.",
}

func (b *Bot) cmdSubscribe(c *call) Reply {
	q, t := c.args, c.target
	if q == "" {
		return Reply{Text: fmt.Sprintf(subscribeText.Usage, queryText.Help)}
	}
	if n := len([]rune(q)); n > b.limits.QueryLength {
		return Reply{Text: fmt.Sprintf(subscribeText.TooLong, n, b.limits.QueryLength)}
	}
	parsed, err := b.parse(q)
	if err != nil {
		return Reply{Text: fmt.Sprintf(queryText.Unreadable, err, queryText.Help)}
	}
	subs, err := b.store.ListSubscriptions(t.ID)
	if err != nil {
		return b.storeTrouble(err)
	}
	for _, s := range subs {
		if s.Query == q || b.canonical(s.Query) == parsed.String() {
			return Reply{Text: fmt.Sprintf(subscribeText.Already, s.ID)}
		}
	}
	if len(subs) >= b.limits.SubsPerTarget {
		return Reply{Text: fmt.Sprintf(subscribeText.Full, len(subs))}
	}
	sub, err := b.store.AddSubscription(alerts.Subscription{Target: t.ID, Query: q, Created: c.now})
	if err != nil {
		return b.storeTrouble(err)
	}
	if err := b.matcher.Add(sub); err != nil {
		if derr := b.store.DeleteSubscription(sub.ID); derr != nil {
			b.log.Error("Subscription the matcher refused is still stored", "sub", sub.ID, "target", t.ID, "err", derr)
		}
		return Reply{Text: fmt.Sprintf(subscribeText.Unusable, err, queryText.Help)}
	}
	b.setSub(sub)
	var sb strings.Builder
	fmt.Fprintf(&sb, subscribeText.Done, sub.ID, parsed.String())
	if ex := parsed.Expansions(); len(ex) > 0 {
		sb.WriteString(subscribeText.Includes)
		for _, e := range ex {
			sb.WriteString("  " + e + "\n")
		}
	}
	fmt.Fprintf(&sb, subscribeText.Next, sub.ID)
	return Reply{Text: sb.String()}
}

func (b *Bot) canonical(q string) string {
	p, err := b.parse(q)
	if err != nil {
		return q
	}
	return p.String()
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
	All     string // how many
	Some    string // how many went, of how many
	Failed  string // ID, query: one that could not be removed
	Retry   string
}{
	Usage:   "Which one? /unsubscribe 3 (the number /list shows), /unsubscribe ceasefire, or /unsubscribe all.",
	Unknown: "This chat doesn't follow %q. /list shows what it follows.",
	Done:    "Unsubscribed #%d: %s",
	All:     "Unsubscribed from all %d topics. /subscribe to follow something again.",
	Some:    "Unsubscribed from %d of %d topics. These could not be removed, and still deliver:\n",
	Failed:  "#%d %s\n",
	Retry:   "Something went wrong on my side; try /unsubscribe all again in a minute.",
}

func (b *Bot) cmdUnsubscribe(c *call) Reply {
	arg, t := c.args, c.target
	if arg == "" {
		return Reply{Text: unsubscribeText.Usage}
	}
	if strings.EqualFold(arg, "all") {
		subs, err := b.store.ListSubscriptions(t.ID)
		if err != nil {
			return b.storeTrouble(err)
		}
		var failed []alerts.Subscription
		for _, s := range subs {
			if err := b.removeSub(s.ID); err != nil {
				b.log.Error("Subscription not removed", "sub", s.ID, "target", t.ID, "err", err)
				failed = append(failed, s)
			}
		}
		if len(failed) == 0 {
			return Reply{Text: fmt.Sprintf(unsubscribeText.All, len(subs))}
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, unsubscribeText.Some, len(subs)-len(failed), len(subs))
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
		return b.storeTrouble(err)
	}
	if err := b.removeSub(s.ID); err != nil {
		return b.storeTrouble(err)
	}
	return Reply{Text: fmt.Sprintf(unsubscribeText.Done, s.ID, s.Query)}
}

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
	Nothing   string
	Header    string // how many, the limit
	Item      string // ID, query
	MutedSub  string // until
	Immediate string
	Hourly    string
	Daily     string // HH:MM
	Quiet     string // from, to
	MutedAll  string // until
	Held      string // how many, until
	Zone      string // zone name
}{
	Nothing:   "This chat follows nothing yet. Try /subscribe ceasefire\n",
	Header:    "This chat follows %d of at most %d:\n",
	Item:      "#%d  %s",
	MutedSub:  "  (muted until %s)",
	Immediate: "Delivery: immediately.\n",
	Hourly:    "Delivery: an hourly digest.\n",
	Daily:     "Delivery: a daily digest at %s.\n",
	Quiet:     "Quiet hours: %s-%s.\n",
	MutedAll:  "Everything is muted until %s.\n",
	Held:      "%d alerts held until %s; they arrive together then.\n",
	Zone:      "Time zone: %s.",
}

func (b *Bot) cmdList(c *call) Reply {
	t, now := c.target, c.now
	subs, err := b.store.ListSubscriptions(t.ID)
	if err != nil {
		return b.storeTrouble(err)
	}
	var sb strings.Builder
	if len(subs) == 0 {
		sb.WriteString(listText.Nothing)
	} else {
		fmt.Fprintf(&sb, listText.Header, len(subs), b.limits.SubsPerTarget)
		for _, s := range subs {
			fmt.Fprintf(&sb, listText.Item, s.ID, s.Query)
			if s.MutedUntil.After(now) {
				fmt.Fprintf(&sb, listText.MutedSub, fmtTime(s.MutedUntil, t.Settings))
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
		fmt.Fprintf(&sb, listText.MutedAll, fmtTime(st.MutedUntil, st))
	}
	n, until, err := b.held(t.ID, now)
	if err != nil {
		return b.storeTrouble(err)
	}
	if n > 0 {
		fmt.Fprintf(&sb, listText.Held, n, fmtTime(until, st))
	}
	fmt.Fprintf(&sb, listText.Zone, zoneName(st))
	return Reply{Text: sb.String()}
}

// held counts the alerts the outbox holds for a target's digest or the end
// of its quiet hours, and says when the first of them goes.
func (b *Bot) held(id alerts.TargetID, now time.Time) (n int, until time.Time, err error) {
	pending, err := b.store.Pending(1 << 30)
	if err != nil {
		return 0, time.Time{}, err
	}
	for _, d := range pending {
		if d.Target != id || !d.Held || !d.NotBefore.After(now) {
			continue
		}
		n += len(d.Alerts)
		if until.IsZero() || d.NotBefore.Before(until) {
			until = d.NotBefore
		}
	}
	return n, until, nil
}
