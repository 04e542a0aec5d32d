// Package telegramtest is a fake Telegram Bot API server for tests. It
// speaks the real wire format (form-encoded POSTs to /bot<token>/<method>,
// answers in the {ok,result,error_code,description,parameters} envelope), so
// the real client library can be driven against it.
//
// It serves getMe, getUpdates (a real long poll that confirms updates by
// offset), sendMessage, editMessageText, answerCallbackQuery,
// setMyCommands, getChatMember, setWebhook and deleteWebhook. Tests push
// updates (users writing, buttons pressed, the bot blocked), set who
// administers a chat, inject faults (429, 403, 400 migrate, 500, delays),
// and read back every request and every message the bot sent.
package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the bot token the server accepts.
const Token = "123456:TEST-fake-token"

// Bot is the bot account getMe returns.
var Bot = User{ID: 1000, IsBot: true, FirstName: "Herald", UserName: "HeraldBot"}

// User is a Telegram user as the Bot API serialises it.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	UserName  string `json:"username,omitempty"`
}

// Chat is a Telegram chat. Type is "private", "group", "supergroup" or
// "channel"; private chats have the user's ID, groups and channels a
// negative one.
type Chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	UserName  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
}

// PrivateChat is the chat of a user with the bot.
func PrivateChat(u User) Chat {
	return Chat{ID: u.ID, Type: "private", FirstName: u.FirstName, UserName: u.UserName}
}

// Button is one inline keyboard button of a sent message.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// SentMessage is a message the bot sent, as it stands now.
type SentMessage struct {
	MessageID int
	ChatID    int64
	// Text is the raw text the bot sent; Visible is what a user sees after
	// entity parsing.
	Text      string
	Visible   string
	ParseMode string
	// NoPreview is set when link previews were turned off
	// (link_preview_options.is_disabled or disable_web_page_preview).
	NoPreview bool
	ReplyTo   int
	Buttons   [][]Button
	// Edits counts successful editMessageText calls.
	Edits int
	At    time.Time
}

// Request is one call the bot made.
type Request struct {
	Method string
	Params url.Values
	At     time.Time
}

// Fault makes matching requests fail (or wait). Zero fields match
// anything.
type Fault struct {
	// Method limits the fault to one method ("sendMessage").
	Method string
	// ChatID limits the fault to requests with this chat_id.
	ChatID int64
	// Code is the error code to answer; 0 answers normally after Delay.
	Code        int
	Description string
	// RetryAfter is sent in parameters.retry_after (seconds), for 429.
	RetryAfter int
	// MigrateTo is sent in parameters.migrate_to_chat_id, for 400.
	MigrateTo int64
	// Delay holds the answer back (the request's context still cancels).
	Delay time.Duration
	// Times is how many requests the fault hits; 0 means every one.
	Times int
}

// Fault presets.
var (
	TooManyRequests = Fault{Code: 429, Description: "Too Many Requests: retry after 5", RetryAfter: 5}
	Blocked         = Fault{Code: 403, Description: "Forbidden: bot was blocked by the user"}
	Kicked          = Fault{Code: 403, Description: "Forbidden: bot was kicked from the group chat"}
	ChatNotFound    = Fault{Code: 400, Description: "Bad Request: chat not found"}
	Internal        = Fault{Code: 500, Description: "Internal Server Error"}
)

// Migrated is the fault Telegram answers for a group that became a
// supergroup with the new ID.
func Migrated(newID int64) Fault {
	return Fault{Code: 400, Description: "Bad Request: group chat was upgraded to a supergroup chat", MigrateTo: newID}
}

// Server is a fake Bot API server. All methods are safe for concurrent use.
type Server struct {
	// URL is the API base: give it to the client as URL + "/bot%s/%s".
	URL string

	srv *httptest.Server
	// Now is the clock for per-chat limits; tests may replace it before
	// traffic starts.
	Now func() time.Time

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every change
	updates    []pending     // queued, not yet confirmed
	nextUpdate int
	allowed    []string
	nextMsg    map[int64]int
	sent       map[int64][]*SentMessage
	requests   []Request
	answers    map[string]string // callback query ID → answer text
	members    map[int64]map[int64]string
	faults     []*Fault
	commands   string
	webhook    string
	secret     string
	sendTimes  map[int64][]time.Time
	violations map[int64]int
	enforce    bool
	closed     bool
	stopHook   chan struct{}
}

type pending struct {
	id   int
	kind string
	raw  json.RawMessage
}

// New starts a fake server; it is closed when the test ends.
func New(tb testing.TB) *Server {
	s := &Server{
		Now:        time.Now,
		changed:    make(chan struct{}),
		nextUpdate: 1,
		nextMsg:    map[int64]int{},
		sent:       map[int64][]*SentMessage{},
		answers:    map[string]string{},
		members:    map[int64]map[int64]string{},
		sendTimes:  map[int64][]time.Time{},
		violations: map[int64]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	tb.Cleanup(s.Close)
	return s
}

// Endpoint is the format string the client library wants.
func (s *Server) Endpoint() string { return s.URL + "/bot%s/%s" }

// Close stops the server; open long polls return.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		if s.stopHook != nil {
			close(s.stopHook)
			s.stopHook = nil
		}
		s.notifyLocked()
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// --- updates the test pushes ---

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
	for _, m := range s.sent[chatID] {
		if m.MessageID == messageID {
			text = m.Visible
		}
	}
	s.mu.Unlock()
	chat = s.chatFor(chatID, from)
	id := fmt.Sprintf("cq-%d-%d-%d", chatID, messageID, time.Now().UnixNano())
	s.Push("callback_query", map[string]any{
		"id":            id,
		"from":          from,
		"chat_instance": strconv.FormatInt(chatID, 10),
		"data":          data,
		"message": map[string]any{
			"message_id": messageID, "date": msgDate, "chat": chat, "text": text,
			"from": Bot,
		},
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

// --- what the test reads back ---

// Sent returns the messages sent to a chat, oldest first.
func (s *Server) Sent(chatID int64) []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SentMessage, 0, len(s.sent[chatID]))
	for _, m := range s.sent[chatID] {
		out = append(out, *m)
	}
	return out
}

// WaitSent waits until at least n messages were sent to the chat and
// returns them all; the test fails after timeout.
func (s *Server) WaitSent(tb testing.TB, chatID int64, n int, timeout time.Duration) []SentMessage {
	tb.Helper()
	if !s.waitFor(timeout, func() bool { return len(s.sent[chatID]) >= n }) {
		tb.Fatalf("telegramtest: %d message(s) sent to chat %d after %s, want %d: %+v", len(s.Sent(chatID)), chatID, timeout, n, s.Sent(chatID))
	}
	return s.Sent(chatID)
}

// WaitAnswer waits until the callback query was answered and returns the
// answer's text.
func (s *Server) WaitAnswer(tb testing.TB, callbackID string, timeout time.Duration) string {
	tb.Helper()
	if !s.waitFor(timeout, func() bool { _, ok := s.answers[callbackID]; return ok }) {
		tb.Fatalf("telegramtest: callback query %s not answered after %s", callbackID, timeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answers[callbackID]
}

// WaitRequests waits until the bot called method at least n times and
// returns those requests.
func (s *Server) WaitRequests(tb testing.TB, method string, n int, timeout time.Duration) []Request {
	tb.Helper()
	count := func() int {
		c := 0
		for _, r := range s.requests {
			if r.Method == method {
				c++
			}
		}
		return c
	}
	if !s.waitFor(timeout, func() bool { return count() >= n }) {
		tb.Fatalf("telegramtest: %s called fewer than %d times after %s", method, n, timeout)
	}
	return s.Requests(method)
}

// WaitConfirmed waits until every update up to and including id was
// confirmed by a getUpdates offset (or delivered to the webhook).
func (s *Server) WaitConfirmed(tb testing.TB, id int, timeout time.Duration) {
	tb.Helper()
	if !s.waitFor(timeout, func() bool { return len(s.updates) == 0 || s.updates[0].id > id }) {
		tb.Fatalf("telegramtest: update %d not confirmed after %s", id, timeout)
	}
}

// waitFor polls cond (called with mu held) until it holds or timeout.
func (s *Server) waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// Requests returns the calls of a method ("" for every call), oldest first.
func (s *Server) Requests(method string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if method == "" || r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// Answers returns the text of every answered callback query by ID.
func (s *Server) Answers() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.answers))
	for k, v := range s.answers {
		out[k] = v
	}
	return out
}

// Commands returns the JSON of the last setMyCommands call.
func (s *Server) Commands() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands
}

// Webhook returns the URL and secret of the webhook set, if any.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook, s.secret
}

// AllowedUpdates returns the allowed_updates of the last getUpdates or
// setWebhook call.
func (s *Server) AllowedUpdates() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.allowed...)
}

// Violations counts sends to a chat beyond Telegram's per-chat limits: one
// message a second in a private chat, twenty a minute in a group or
// channel.
func (s *Server) Violations(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.violations[chatID]
}

// --- the HTTP side ---

type envelope struct {
	OK          bool            `json:"ok"`
	Result      any             `json:"result,omitempty"`
	ErrorCode   int             `json:"error_code,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  *responseParams `json:"parameters,omitempty"`
}

type responseParams struct {
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
	RetryAfter      int   `json:"retry_after,omitempty"`
}

type apiError struct {
	code   int
	desc   string
	params *responseParams
}

func errf(code int, format string, args ...any) *apiError {
	return &apiError{code: code, desc: fmt.Sprintf(format, args...)}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	write := func(status int, e envelope) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(e)
	}
	fail := func(e *apiError) {
		write(e.code, envelope{ErrorCode: e.code, Description: e.desc, Parameters: e.params})
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		fail(errf(404, "Not Found"))
		return
	}
	if token != Token {
		fail(errf(401, "Unauthorized"))
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(errf(400, "Bad Request: %v", err))
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: method, Params: r.PostForm, At: s.Now()})
	s.notifyLocked()
	f := s.faultLocked(method, r.PostForm.Get("chat_id"))
	s.mu.Unlock()

	if f != nil {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.Code != 0 {
			e := &apiError{code: f.Code, desc: f.Description}
			if f.RetryAfter != 0 || f.MigrateTo != 0 {
				e.params = &responseParams{RetryAfter: f.RetryAfter, MigrateToChatID: f.MigrateTo}
			}
			fail(e)
			return
		}
	}
	result, apiErr := s.call(r.Context(), method, r.PostForm)
	if apiErr != nil {
		fail(apiErr)
		return
	}
	write(200, envelope{OK: true, Result: result})
}

// faultLocked finds the newest matching fault and uses it up.
func (s *Server) faultLocked(method, chatID string) *Fault {
	for i := len(s.faults) - 1; i >= 0; i-- {
		f := s.faults[i]
		if f.Method != "" && f.Method != method {
			continue
		}
		if f.ChatID != 0 && strconv.FormatInt(f.ChatID, 10) != chatID {
			continue
		}
		hit := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return &hit
	}
	return nil
}

func (s *Server) call(ctx context.Context, method string, p url.Values) (any, *apiError) {
	switch method {
	case "getMe":
		return Bot, nil
	case "getUpdates":
		return s.getUpdates(ctx, p)
	case "sendMessage":
		return s.sendMessage(p)
	case "editMessageText":
		return s.editMessageText(p)
	case "answerCallbackQuery":
		id := p.Get("callback_query_id")
		if id == "" {
			return nil, errf(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
		}
		if n := len([]rune(p.Get("text"))); n > 200 {
			return nil, errf(400, "Bad Request: MESSAGE_TOO_LONG")
		}
		s.mu.Lock()
		s.answers[id] = p.Get("text")
		s.notifyLocked()
		s.mu.Unlock()
		return true, nil
	case "setMyCommands":
		var cmds []struct{ Command, Description string }
		if err := json.Unmarshal([]byte(p.Get("commands")), &cmds); err != nil {
			return nil, errf(400, "Bad Request: can't parse commands JSON object")
		}
		for _, c := range cmds {
			if len(c.Command) == 0 || len(c.Command) > 32 || strings.ToLower(c.Command) != c.Command {
				return nil, errf(400, "Bad Request: BOT_COMMAND_INVALID")
			}
			if n := len([]rune(c.Description)); n == 0 || n > 256 {
				return nil, errf(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
			}
		}
		s.mu.Lock()
		s.commands = p.Get("commands")
		s.mu.Unlock()
		return true, nil
	case "getChatMember":
		chatID, err1 := strconv.ParseInt(p.Get("chat_id"), 10, 64)
		userID, err2 := strconv.ParseInt(p.Get("user_id"), 10, 64)
		if err1 != nil || err2 != nil {
			return nil, errf(400, "Bad Request: chat not found")
		}
		s.mu.Lock()
		status, ok := s.members[chatID][userID]
		s.mu.Unlock()
		if !ok {
			status = "member"
		}
		return map[string]any{"user": User{ID: userID, FirstName: "user"}, "status": status}, nil
	case "setWebhook":
		return s.setWebhook(p)
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook, s.secret = "", ""
		if s.stopHook != nil {
			close(s.stopHook)
			s.stopHook = nil
		}
		s.mu.Unlock()
		return true, nil
	}
	return nil, errf(404, "Not Found: method %s not found", method)
}

func (s *Server) getUpdates(ctx context.Context, p url.Values) (any, *apiError) {
	offset, _ := strconv.Atoi(p.Get("offset"))
	timeout, _ := strconv.Atoi(p.Get("timeout"))
	limit, _ := strconv.Atoi(p.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	var allowed []string
	if a := p.Get("allowed_updates"); a != "" {
		if err := json.Unmarshal([]byte(a), &allowed); err != nil {
			return nil, errf(400, "Bad Request: can't parse allowed_updates")
		}
	}
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.webhook != "" {
			s.mu.Unlock()
			return nil, errf(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
		}
		if allowed != nil {
			s.allowed = allowed
		}
		// An offset confirms every update before it.
		for len(s.updates) > 0 && offset > 0 && s.updates[0].id < offset {
			s.updates = s.updates[1:]
			s.notifyLocked()
		}
		var out []json.RawMessage
		kept := s.updates[:0]
		for _, u := range s.updates {
			if !s.allowedLocked(u.kind) {
				continue // Telegram never queues what the bot did not ask for
			}
			kept = append(kept, u)
			if len(out) < limit {
				out = append(out, u.raw)
			}
		}
		s.updates = kept
		ch := s.changed
		closed := s.closed
		s.mu.Unlock()
		if len(out) > 0 || timeout <= 0 || closed {
			if out == nil {
				out = []json.RawMessage{}
			}
			return out, nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			timeout = 0
		case <-ctx.Done():
			return nil, errf(499, "client went away")
		}
	}
}

// allowedLocked applies allowed_updates; an empty list means every kind
// but chat_member, chat_join_request and message_reaction.
func (s *Server) allowedLocked(kind string) bool {
	if len(s.allowed) == 0 {
		return kind != "chat_member"
	}
	for _, a := range s.allowed {
		if a == kind {
			return true
		}
	}
	return false
}

func parseChatID(p url.Values) (int64, *apiError) {
	id, err := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	if err != nil {
		return 0, errf(400, "Bad Request: chat not found")
	}
	return id, nil
}

// content checks text, parse mode and markup the way sendMessage and
// editMessageText do.
func content(p url.Values) (visible string, buttons [][]Button, noPreview bool, e *apiError) {
	text := p.Get("text")
	visible = text
	switch mode := p.Get("parse_mode"); mode {
	case "":
	case "HTML":
		v, err := ParseHTML(text)
		if err != nil {
			return "", nil, false, errf(400, "Bad Request: %v", err)
		}
		visible = v
	default:
		return "", nil, false, errf(400, "Bad Request: unsupported parse_mode %q in this fake", mode)
	}
	if strings.TrimSpace(visible) == "" {
		return "", nil, false, errf(400, "Bad Request: message text is empty")
	}
	if UTF16Len(visible) > MaxMessageLen {
		return "", nil, false, errf(400, "Bad Request: message is too long")
	}
	if rm := p.Get("reply_markup"); rm != "" && rm != "null" {
		var markup struct {
			InlineKeyboard [][]Button `json:"inline_keyboard"`
		}
		if err := json.Unmarshal([]byte(rm), &markup); err != nil {
			return "", nil, false, errf(400, "Bad Request: can't parse reply keyboard markup JSON object")
		}
		for _, row := range markup.InlineKeyboard {
			for _, b := range row {
				if b.URL == "" && (len(b.CallbackData) == 0 || len(b.CallbackData) > 64) {
					return "", nil, false, errf(400, "Bad Request: BUTTON_DATA_INVALID")
				}
			}
		}
		buttons = markup.InlineKeyboard
	}
	if lp := p.Get("link_preview_options"); lp != "" {
		var o struct {
			IsDisabled bool `json:"is_disabled"`
		}
		if err := json.Unmarshal([]byte(lp), &o); err != nil {
			return "", nil, false, errf(400, "Bad Request: can't parse link preview options JSON object")
		}
		noPreview = o.IsDisabled
	}
	if p.Get("disable_web_page_preview") == "true" {
		noPreview = true
	}
	return visible, buttons, noPreview, nil
}

func (s *Server) sendMessage(p url.Values) (any, *apiError) {
	chatID, e := parseChatID(p)
	if e != nil {
		return nil, e
	}
	visible, buttons, noPreview, e := content(p)
	if e != nil {
		return nil, e
	}
	replyTo, _ := strconv.Atoi(p.Get("reply_to_message_id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if s.overLimitLocked(chatID, now) {
		s.violations[chatID]++
		if s.enforce {
			return nil, &apiError{code: 429, desc: "Too Many Requests: retry after 1", params: &responseParams{RetryAfter: 1}}
		}
	}
	s.sendTimes[chatID] = append(s.sendTimes[chatID], now)
	m := &SentMessage{
		MessageID: s.userMessageLocked(Chat{ID: chatID}),
		ChatID:    chatID, Text: p.Get("text"), Visible: visible, ParseMode: p.Get("parse_mode"),
		NoPreview: noPreview, ReplyTo: replyTo, Buttons: buttons, At: now,
	}
	s.sent[chatID] = append(s.sent[chatID], m)
	s.notifyLocked()
	return s.messageJSON(m), nil
}

// overLimitLocked reports whether one more message now would break the
// per-chat limit.
func (s *Server) overLimitLocked(chatID int64, now time.Time) bool {
	window, max := time.Second, 1
	if chatID < 0 {
		window, max = time.Minute, 20
	}
	n := 0
	for _, t := range s.sendTimes[chatID] {
		if now.Sub(t) < window {
			n++
		}
	}
	return n >= max
}

func (s *Server) messageJSON(m *SentMessage) map[string]any {
	chat := Chat{ID: m.ChatID, Type: "private"}
	if m.ChatID < 0 {
		chat.Type = "supergroup"
	}
	out := map[string]any{
		"message_id": m.MessageID, "date": m.At.Unix(), "chat": chat, "from": Bot, "text": m.Visible,
	}
	if m.Buttons != nil {
		out["reply_markup"] = map[string]any{"inline_keyboard": m.Buttons}
	}
	return out
}

func (s *Server) editMessageText(p url.Values) (any, *apiError) {
	chatID, e := parseChatID(p)
	if e != nil {
		return nil, e
	}
	msgID, _ := strconv.Atoi(p.Get("message_id"))
	visible, buttons, noPreview, e := content(p)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.sent[chatID] {
		if m.MessageID != msgID {
			continue
		}
		oldKB, _ := json.Marshal(m.Buttons)
		newKB, _ := json.Marshal(buttons)
		if m.Text == p.Get("text") && bytes.Equal(oldKB, newKB) {
			return nil, errf(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
		}
		m.Text, m.Visible, m.Buttons, m.NoPreview = p.Get("text"), visible, buttons, noPreview
		m.ParseMode = p.Get("parse_mode")
		m.Edits++
		s.notifyLocked()
		return s.messageJSON(m), nil
	}
	return nil, errf(400, "Bad Request: message to edit not found")
}

func (s *Server) setWebhook(p url.Values) (any, *apiError) {
	u := p.Get("url")
	secret := p.Get("secret_token")
	if u == "" {
		s.mu.Lock()
		s.webhook, s.secret = "", ""
		s.mu.Unlock()
		return true, nil
	}
	if len(secret) > 256 || strings.Trim(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
		return nil, errf(400, "Bad Request: secret token contains unallowed characters")
	}
	var allowed []string
	if a := p.Get("allowed_updates"); a != "" {
		if err := json.Unmarshal([]byte(a), &allowed); err != nil {
			return nil, errf(400, "Bad Request: can't parse allowed_updates")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopHook != nil {
		close(s.stopHook)
	}
	s.webhook, s.secret, s.allowed = u, secret, allowed
	s.stopHook = make(chan struct{})
	go s.deliver(u, secret, s.stopHook)
	return true, nil
}

// deliver posts queued updates to the webhook one at a time, as Telegram
// does; an update is dropped from the queue once the webhook answers 2xx.
func (s *Server) deliver(hook, secret string, stop chan struct{}) {
	// One connection per update, so the bot's server never holds an unused
	// keep-alive connection of ours when it shuts down.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		s.mu.Lock()
		var next *pending
		for len(s.updates) > 0 && !s.allowedLocked(s.updates[0].kind) {
			s.updates = s.updates[1:]
		}
		if len(s.updates) > 0 {
			u := s.updates[0]
			next = &u
		}
		ch := s.changed
		s.mu.Unlock()
		if next == nil {
			select {
			case <-ch:
				continue
			case <-stop:
				return
			}
		}
		req, _ := http.NewRequest("POST", hook, bytes.NewReader(next.raw))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := client.Do(req)
		ok := err == nil && resp.StatusCode/100 == 2
		if resp != nil {
			resp.Body.Close()
		}
		s.mu.Lock()
		if ok && len(s.updates) > 0 && s.updates[0].id == next.id {
			s.updates = s.updates[1:]
			s.notifyLocked()
		}
		s.mu.Unlock()
		if !ok {
			select {
			case <-time.After(50 * time.Millisecond):
			case <-stop:
				return
			}
		}
	}
}
