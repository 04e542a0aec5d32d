package bot

import (
	"fmt"
	"strings"
	"sync"

	"github.com/herald-news/herald/alerts"
)

// A private Herald (HERALD_ALLOWED_CHATS) serves only the chats, users and
// guilds its operator listed. Anyone else is told so once, with the IDs
// the operator would list, and nothing is stored for them: the chats
// already told are remembered in memory only (refusedChats), so after a
// restart a chat may be told once more.

// allowed reports whether the command comes from a chat the operator
// lets use the bot: the chat itself (or the forum a topic belongs to), its
// Discord server, or, in a DM, the person.
func (b *Bot) allowed(c Command) bool {
	list := b.limits.AllowedChats
	if list == nil || c.Operator {
		return true
	}
	id, p := c.Target.ID, c.Target.ID.Platform()
	switch {
	case list[id], list[id.Chat()]:
		return true
	case c.Guild != "" && list[alerts.NewTargetID(p, c.Guild)]:
		return true
	case c.Target.Kind == alerts.KindDM && c.UserID != "" && list[alerts.NewTargetID(p, c.UserID)]:
		return true
	}
	return false
}

// privateText holds the refusal of a private Herald.
var privateText = struct {
	Refusal string // the IDs to list
	User    string // the person's ID
	Channel string // the channel's ID
	Server  string // the server's ID
	Group   string // the group's ID
	Chan    string // the channel's ID (Telegram)
}{
	Refusal: "Sorry, this Herald is private: its operator has not opened it to this chat, so I won't answer here. If you think I should, ask them to add it to HERALD_ALLOWED_CHATS: %s.",
	User:    "your ID is %s",
	Channel: "this channel's ID is %s",
	Server:  "this server's ID is %s",
	Group:   "this group's ID is %s",
	Chan:    "this channel's ID is %s",
}

// refuse is the answer to a chat the operator did not list: the first
// time a polite refusal naming the IDs to list, afterwards nothing.
func (b *Bot) refuse(c Command) Reply {
	if !b.refused.add(c.Target.ID.Chat()) {
		return Reply{}
	}
	b.log.Info("Chat not in HERALD_ALLOWED_CHATS refused", "target", c.Target.ID.Chat(), "guild", c.Guild, "user", c.UserID)
	privateText := texts(chatLanguage(c.Target, c.Lang), &privateText)
	p := c.Target.ID.Platform()
	var ids []string
	switch {
	case c.Target.Kind == alerts.KindDM && c.UserID != "":
		ids = append(ids, fmt.Sprintf(privateText.User, alerts.NewTargetID(p, c.UserID)))
	case c.Guild != "":
		ids = append(ids, fmt.Sprintf(privateText.Channel, c.Target.ID.Chat()), fmt.Sprintf(privateText.Server, alerts.NewTargetID(p, c.Guild)))
	case c.Target.Kind == alerts.KindGroup:
		ids = append(ids, fmt.Sprintf(privateText.Group, c.Target.ID.Chat()))
	default:
		ids = append(ids, fmt.Sprintf(privateText.Chan, c.Target.ID.Chat()))
	}
	return Reply{Text: fmt.Sprintf(privateText.Refusal, strings.Join(ids, ", "))}
}

// refusedChats is a bounded set of chats already refused: past its size
// the oldest is forgotten (and would be told once more).
type refusedChats struct {
	mu    sync.Mutex
	max   int
	seen  map[alerts.TargetID]bool
	order []alerts.TargetID
}

func newRefusedChats(max int) *refusedChats {
	return &refusedChats{max: max, seen: map[alerts.TargetID]bool{}}
}

// add records id and reports whether it is new.
func (r *refusedChats) add(id alerts.TargetID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[id] {
		return false
	}
	if len(r.order) >= r.max {
		delete(r.seen, r.order[0])
		r.order = r.order[1:]
	}
	r.seen[id] = true
	r.order = append(r.order, id)
	return true
}
