package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// maxCallbackText is the most characters answerCallbackQuery shows.
// https://core.telegram.org/bots/api#answercallbackquery
const maxCallbackText = 200

// topics are the forum-topic fields of an update that v5.5.1 does not
// model: a message in a topic of a forum supergroup, and the message of a
// pressed button. Decoded from the same raw update.
type topics struct {
	Message       *topicMessage `json:"message"`
	CallbackQuery *struct {
		Message *topicMessage `json:"message"`
	} `json:"callback_query"`
}

type topicMessage struct {
	ThreadID int  `json:"message_thread_id"`
	IsTopic  bool `json:"is_topic_message"`
	// Service messages a forum posts in a topic when it is closed or
	// reopened.
	Closed   *struct{} `json:"forum_topic_closed"`
	Reopened *struct{} `json:"forum_topic_reopened"`
}

// thread is the forum topic a message is in, or 0. In a supergroup that
// is not a forum, message_thread_id names a reply thread, not a place.
func (m *topicMessage) thread() int {
	if m == nil || !m.IsTopic {
		return 0
	}
	return m.ThreadID
}

// decodeUpdate reads an update and its forum topics.
func decodeUpdate(raw []byte) (tgbotapi.Update, updateTopics, error) {
	var u tgbotapi.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		return u, updateTopics{}, err
	}
	var t topics
	json.Unmarshal(raw, &t) // best effort: without it, the chat itself
	ut := updateTopics{message: t.Message.thread()}
	if ut.message != 0 {
		ut.closed, ut.reopened = t.Message.Closed != nil, t.Message.Reopened != nil
	}
	if t.CallbackQuery != nil {
		ut.callback = t.CallbackQuery.Message.thread()
	}
	return u, ut, nil
}

// updateTopics are the forum topics of an update's message and of its
// pressed button's message.
type updateTopics struct {
	message, callback int
	closed, reopened  bool // the message's topic was closed or reopened
}

// handleUpdate dispatches one update. Errors are logged: an update is
// never retried, or one bad update would block every later one.
func (a *Adapter) handleUpdate(ctx context.Context, u *tgbotapi.Update, tp updateTopics) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("Telegram update handler panicked; update skipped", "update_id", u.UpdateID, "panic", r)
		}
	}()
	switch {
	case u.Message != nil && u.Message.Chat != nil && (tp.closed || tp.reopened):
		a.topicState(ctx, topicTargetID(u.Message.Chat.ID, tp.message), tp.reopened)
	case u.Message != nil:
		a.handleMessage(ctx, u.Message, tp.message)
	case u.ChannelPost != nil:
		a.handleMessage(ctx, u.ChannelPost, 0)
	case u.CallbackQuery != nil:
		a.handleCallback(ctx, u.CallbackQuery, tp.callback)
	case u.MyChatMember != nil:
		a.handleMyChatMember(ctx, u.MyChatMember)
	}
}

// chatTarget is the target a message in chat c speaks for: the chat, or in
// a forum supergroup the topic (thread) it was written in, so that each
// topic follows its own subjects.
func chatTarget(c *tgbotapi.Chat, thread int) alerts.Target {
	t := alerts.Target{ID: topicTargetID(c.ID, thread), Title: c.Title}
	if thread != 0 {
		t.Title = fmt.Sprintf("%s (topic %d)", c.Title, thread)
	}
	switch c.Type {
	case "private":
		t.Kind = alerts.KindDM
		t.Title = strings.TrimSpace(c.FirstName + " " + c.LastName)
		if t.Title == "" {
			t.Title = c.UserName
		}
	case "channel":
		t.Kind = alerts.KindChannel
	default:
		t.Kind = alerts.KindGroup
	}
	return t
}

func targetID(chatID int64) alerts.TargetID {
	return alerts.NewTargetID(alerts.PlatformTelegram, strconv.FormatInt(chatID, 10))
}

// topicTargetID names a forum topic as "telegram:CHAT/THREAD"; thread 0 is
// the chat itself (and its General topic).
func topicTargetID(chatID int64, thread int) alerts.TargetID {
	if thread == 0 {
		return targetID(chatID)
	}
	return alerts.NewTargetID(alerts.PlatformTelegram, strconv.FormatInt(chatID, 10)+"/"+strconv.Itoa(thread))
}

func userName(u *tgbotapi.User) string {
	if u == nil {
		return ""
	}
	if u.UserName != "" {
		return u.UserName
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// commandText returns the command line with "@BotName" removed, and false
// for text that is not a command for this bot.
func commandText(text, self string) (string, bool) {
	if !strings.HasPrefix(text, "/") {
		return "", false
	}
	end := strings.IndexFunc(text, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' })
	if end < 0 {
		end = len(text)
	}
	cmd, rest := text[:end], text[end:]
	name, at, addressed := strings.Cut(cmd, "@")
	if addressed && !strings.EqualFold(at, self) {
		return "", false // meant for another bot in the group
	}
	if len(name) < 2 {
		return "", false
	}
	return strings.ToLower(name) + rest, true
}

func (a *Adapter) handleMessage(ctx context.Context, m *tgbotapi.Message, thread int) {
	if m.Chat == nil {
		return
	}
	if m.MigrateToChatID != 0 {
		a.migrated(ctx, m.Chat.ID, m.MigrateToChatID)
		return
	}
	if m.IsAutomaticForward || m.ForwardDate != 0 {
		return // a channel post copied to its discussion group, a forward: not a command given here
	}
	typed := m.Text
	if typed == "" {
		typed = m.Caption // a document sent with "/import" as its caption
	}
	text, ok := commandText(typed, a.BotUserName())
	if !ok {
		// In a private chat, plain words still deserve an answer (the bot
		// says how commands look); elsewhere they are conversation.
		if m.Chat.Type != "private" || strings.HasPrefix(m.Text, "/") || strings.TrimSpace(m.Text) == "" {
			return
		}
		text = m.Text
	}
	c := bot.Command{Target: chatTarget(m.Chat, thread), Text: text}
	switch {
	case m.From != nil && (m.SenderChat == nil || m.SenderChat.ID != m.Chat.ID):
		c.UserID, c.UserName, c.Lang = strconv.FormatInt(m.From.ID, 10), userName(m.From), m.From.LanguageCode
	case m.SenderChat != nil:
		c.UserID, c.UserName = strconv.FormatInt(m.SenderChat.ID, 10), m.SenderChat.Title
	}
	c.CanManage = a.canManage(ctx, m.Chat, m.From, m.SenderChat)
	if name, _, _ := strings.Cut(text, " "); name == "/import" {
		if d := attachment(m); d != nil {
			f, err := a.download(ctx, d)
			if err != nil {
				a.log.Warn("Telegram attachment not read", "chat_id", m.Chat.ID, "err", err)
				if err := a.reply(ctx, c.Target, m.MessageID, bot.Reply{Text: bot.Text(c.Lang, "I could not read that file: ") + err.Error()}); err != nil {
					a.log.Warn("Telegram reply not sent", "chat_id", m.Chat.ID, "err", err)
				}
				return
			}
			c.File = f
		}
	}
	reply := a.h().HandleCommand(ctx, c)
	if reply.Text == "" {
		return
	}
	if err := a.reply(ctx, c.Target, m.MessageID, reply); err != nil {
		a.log.Warn("Telegram reply not sent", "chat_id", m.Chat.ID, "err", err)
	}
}

// canManage asks Telegram whether the sender may manage the chat, failing
// closed. A post signed by the chat itself (a channel post, an anonymous
// group admin) comes from an administrator by definition.
func (a *Adapter) canManage(ctx context.Context, chat *tgbotapi.Chat, from *tgbotapi.User, senderChat *tgbotapi.Chat) bool {
	if chat.Type == "private" {
		return true
	}
	if senderChat != nil && senderChat.ID == chat.ID {
		return true
	}
	if from == nil || senderChat != nil {
		return false // posted on behalf of another chat: nobody to ask about
	}
	return a.isAdmin(ctx, chat.ID, from.ID)
}

type adminKey struct{ chat, user int64 }

type adminEntry struct {
	admin bool
	at    time.Time
}

func (a *Adapter) isAdmin(ctx context.Context, chatID, userID int64) bool {
	k := adminKey{chatID, userID}
	now := a.opts.Now()
	a.mu.Lock()
	e, ok := a.admins[k]
	a.mu.Unlock()
	if ok && now.Sub(e.at) < a.opts.AdminTTL {
		return e.admin
	}
	cctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
	defer cancel()
	m, err := a.client(cctx).GetChatMember(tgbotapi.GetChatMemberConfig{
		ChatConfigWithUser: tgbotapi.ChatConfigWithUser{ChatID: chatID, UserID: userID},
	})
	if err != nil {
		a.log.Warn("Telegram getChatMember failed; treating the user as not an admin", "chat_id", chatID, "user_id", userID, "err", a.redact(err))
		return false
	}
	admin := m.IsCreator() || m.IsAdministrator()
	a.mu.Lock()
	if len(a.admins) > 10000 {
		clear(a.admins)
	}
	a.admins[k] = adminEntry{admin: admin, at: now}
	a.mu.Unlock()
	return admin
}

func (a *Adapter) handleCallback(ctx context.Context, q *tgbotapi.CallbackQuery, thread int) {
	answer := ""
	defer func() {
		// Always answer, or the user's client shows a spinner.
		if utf8.RuneCountInString(answer) > maxCallbackText {
			answer = string([]rune(answer)[:maxCallbackText-1]) + "…"
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.opts.RequestTimeout)
		defer cancel()
		if _, err := a.client(cctx).Request(tgbotapi.NewCallback(q.ID, answer)); err != nil {
			a.log.Warn("Telegram callback query not answered", "err", a.redact(err))
		}
	}()
	if q.Message == nil || q.Message.Chat == nil || q.Data == "" {
		answer = "This button no longer works."
		return
	}
	c := bot.Command{Target: chatTarget(q.Message.Chat, thread), Button: q.Data}
	if q.From != nil {
		c.UserID, c.UserName, c.Lang = strconv.FormatInt(q.From.ID, 10), userName(q.From), q.From.LanguageCode
	}
	c.CanManage = a.canManage(ctx, q.Message.Chat, q.From, nil)
	reply := a.h().HandleCommand(ctx, c)
	answer = reply.Text
	if strings.HasPrefix(q.Data, "/") && reply.Text != "" {
		// A reply's button (a confirmation): its message becomes the
		// outcome, and the button goes.
		err := a.editReply(ctx, c.Target, q.Message.MessageID, reply)
		if err == nil {
			return
		}
		a.log.Warn("Telegram reply not edited", "chat_id", q.Message.Chat.ID, "err", err)
	}
	if utf8.RuneCountInString(reply.Text) > maxCallbackText {
		// Too long for a toast (an explanation from "why"): post it.
		if err := a.reply(ctx, c.Target, q.Message.MessageID, reply); err != nil {
			a.log.Warn("Telegram reply not sent", "chat_id", q.Message.Chat.ID, "err", err)
		}
	}
}

func (a *Adapter) handleMyChatMember(ctx context.Context, m *tgbotapi.ChatMemberUpdated) {
	id := targetID(m.Chat.ID)
	old, now := m.OldChatMember.Status, m.NewChatMember.Status
	gone := func(s string) bool { return s == "kicked" || s == "left" }
	var err error
	switch {
	case gone(now) && !gone(old):
		reason := "bot was removed from the chat"
		switch {
		case m.Chat.Type == "private":
			reason = "bot was blocked by the user"
		case now == "kicked":
			reason = "bot was kicked from the chat"
		}
		err = a.h().TargetGone(ctx, id, reason)
	case gone(old) && !gone(now):
		err = a.h().TargetBack(ctx, id)
	default:
		return
	}
	if err != nil {
		a.log.Error("Telegram membership change not recorded", "target", id, "status", now, "err", err)
	}
}

// topicState follows a forum topic being closed (no alerts until it is
// reopened; its subscriptions stay) or reopened.
func (a *Adapter) topicState(ctx context.Context, id alerts.TargetID, open bool) {
	var err error
	if open {
		err = a.h().TargetBack(ctx, id)
	} else {
		err = a.h().TargetGone(ctx, id, "the forum topic was closed")
	}
	if err != nil {
		a.log.Error("Telegram topic state not recorded", "target", id, "open", open, "err", err)
	}
}

func (a *Adapter) migrated(ctx context.Context, from, to int64) {
	if err := a.h().TargetMigrated(ctx, targetID(from), targetID(to)); err != nil {
		a.log.Error("Telegram chat migration not recorded", "from", from, "to", to, "err", err)
	}
}
