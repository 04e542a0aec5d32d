package telegramtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Push queues a raw update of a kind ("message", "callback_query", …); the
// server assigns update_id and returns it.
func (s *Server) Push(kind string, payload any) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextUpdate
	s.nextUpdate++
	raw, err := json.Marshal(map[string]any{"update_id": id, kind: payload})
	if err != nil {
		panic(err)
	}
	s.updates = append(s.updates, pending{id: id, kind: kind, raw: raw})
	s.notifyLocked()
	return id
}

var msgDate = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).Unix()

func (s *Server) userMessageLocked(chat Chat) int {
	s.nextMsg[chat.ID]++
	return s.nextMsg[chat.ID]
}

func (s *Server) message(chat Chat, from *User, senderChat *Chat, text string) map[string]any {
	s.mu.Lock()
	id := s.userMessageLocked(chat)
	s.mu.Unlock()
	m := map[string]any{"message_id": id, "date": msgDate, "chat": chat, "text": text}
	if from != nil {
		m["from"] = from
	}
	if senderChat != nil {
		m["sender_chat"] = senderChat
	}
	if ents := commandEntities(text); ents != nil {
		m["entities"] = ents
	}
	return m
}

// commandEntities marks a leading "/command[@bot]" as Telegram does.
func commandEntities(text string) []map[string]any {
	if !strings.HasPrefix(text, "/") {
		return nil
	}
	cmd, _, _ := strings.Cut(text, " ")
	cmd, _, _ = strings.Cut(cmd, "\n")
	return []map[string]any{{"type": "bot_command", "offset": 0, "length": UTF16Len(cmd)}}
}

// UserSays queues a message from a user to the bot in their private chat.
func (s *Server) UserSays(from User, text string) int {
	return s.Push("message", s.message(PrivateChat(from), &from, nil, text))
}

// GroupMessage queues a message from a user in a group or supergroup.
func (s *Server) GroupMessage(chat Chat, from User, text string) int {
	return s.Push("message", s.message(chat, &from, nil, text))
}

// TopicMessage queues a message from a user in a topic of a forum
// supergroup; the topic is open for the bot's messages from then on.
func (s *Server) TopicMessage(chat Chat, thread int, from User, text string) int {
	s.mu.Lock()
	if s.topics[chat.ID] == nil {
		s.topics[chat.ID] = map[int]bool{}
	}
	s.topics[chat.ID][thread] = true
	s.mu.Unlock()
	m := s.message(chat, &from, nil, text)
	m["message_thread_id"], m["is_topic_message"] = thread, true
	return s.Push("message", m)
}

// CloseTopic closes a forum topic, as an admin does: the forum posts a
// service message in it, and the bot's sends there fail until it is
// reopened.
func (s *Server) CloseTopic(chat Chat, thread int, by User) int {
	s.mu.Lock()
	s.closedTopics[topicKey{chat.ID, thread}] = true
	s.mu.Unlock()
	m := s.message(chat, &by, nil, "")
	delete(m, "text")
	m["message_thread_id"], m["is_topic_message"], m["forum_topic_closed"] = thread, true, map[string]any{}
	return s.Push("message", m)
}

// ReopenTopic reopens a closed topic, with its service message.
func (s *Server) ReopenTopic(chat Chat, thread int, by User) int {
	s.mu.Lock()
	delete(s.closedTopics, topicKey{chat.ID, thread})
	s.mu.Unlock()
	m := s.message(chat, &by, nil, "")
	delete(m, "text")
	m["message_thread_id"], m["is_topic_message"], m["forum_topic_reopened"] = thread, true, map[string]any{}
	return s.Push("message", m)
}

// DeleteTopic deletes a forum topic: sends to it fail from then on.
func (s *Server) DeleteTopic(chatID int64, thread int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.topics[chatID], thread)
}

// AnonymousAdminMessage queues a message an anonymous group admin posted
// on behalf of the group.
func (s *Server) AnonymousAdminMessage(chat Chat, text string) int {
	anon := User{ID: 1087968824, IsBot: true, FirstName: "Group", UserName: "GroupAnonymousBot"}
	return s.Push("message", s.message(chat, &anon, &chat, text))
}

// ChannelPost queues a post in a channel (signed by the channel itself).
func (s *Server) ChannelPost(chat Chat, text string) int {
	return s.Push("channel_post", s.message(chat, nil, &chat, text))
}

// PressButton queues a callback query from a button of a message the bot
// sent, and returns the callback query ID.
func (s *Server) PressButton(from User, chatID int64, messageID int, data string) string {
	s.mu.Lock()
	var chat Chat
	var text string
	thread := 0
	for _, m := range s.sent[chatID] {
		if m.MessageID == messageID {
			text, thread = m.Visible, m.ThreadID
		}
	}
	s.mu.Unlock()
	chat = s.chatFor(chatID, from)
	id := fmt.Sprintf("cq-%d-%d-%d", chatID, messageID, time.Now().UnixNano())
	msg := map[string]any{
		"message_id": messageID, "date": msgDate, "chat": chat, "text": text,
		"from": Bot,
	}
	if thread != 0 {
		msg["message_thread_id"], msg["is_topic_message"] = thread, true
	}
	s.Push("callback_query", map[string]any{
		"id":            id,
		"from":          from,
		"chat_instance": strconv.FormatInt(chatID, 10),
		"data":          data,
		"message":       msg,
	})
	return id
}

// chatFor guesses a chat object for an ID: a private chat with from for a
// positive ID, a supergroup otherwise.
func (s *Server) chatFor(id int64, from User) Chat {
	if id > 0 {
		return PrivateChat(from)
	}
	return Chat{ID: id, Type: "supergroup", Title: "Group " + strconv.FormatInt(-id, 10)}
}

// MyChatMember queues a change of the bot's own membership in a chat, by
// from ("kicked" in a private chat means the user blocked the bot).
func (s *Server) MyChatMember(chat Chat, from User, oldStatus, newStatus string) int {
	return s.Push("my_chat_member", map[string]any{
		"chat": chat, "from": from, "date": msgDate,
		"old_chat_member": map[string]any{"user": Bot, "status": oldStatus},
		"new_chat_member": map[string]any{"user": Bot, "status": newStatus},
	})
}

// BlockBot makes user block the bot: every later send to the user fails
// with 403, and a my_chat_member update is queued; its update ID is
// returned.
func (s *Server) BlockBot(user User) int {
	f := Blocked
	f.ChatID = user.ID
	s.Fail(f)
	return s.MyChatMember(PrivateChat(user), user, "member", "kicked")
}

// SetMember sets a user's status in a chat for getChatMember ("creator",
// "administrator", "member", "restricted", "left", "kicked"). Unknown
// users are members.
func (s *Server) SetMember(chatID, userID int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.members[chatID] == nil {
		s.members[chatID] = map[int64]string{}
	}
	s.members[chatID][userID] = status
}

// Fail adds a fault; the newest fault that matches a request wins.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// EnforceLimits makes sends that break the per-chat limits fail with 429;
// they are counted in Violations either way.
func (s *Server) EnforceLimits(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enforce = on
}
