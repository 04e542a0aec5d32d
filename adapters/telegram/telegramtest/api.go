package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

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
	if strings.HasPrefix(r.URL.Path, "/file/bot") {
		s.serveFile(w, r)
		return
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
	files, err := parseUpload(r)
	if err != nil {
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
	var result any
	var apiErr *apiError
	if method == "sendDocument" {
		result, apiErr = s.sendDocument(r.PostForm, files)
	} else {
		result, apiErr = s.call(r.Context(), method, r.PostForm)
	}
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
	case "getFile":
		return s.getFile(p)
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
		lang := p.Get("language_code")
		if lang != "" && (len(lang) != 2 || strings.ToLower(lang) != lang) {
			return nil, errf(400, "Bad Request: invalid language code specified")
		}
		s.mu.Lock()
		s.commands[lang] = p.Get("commands")
		s.notifyLocked() // WaitCommands
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
	if !s.beginPoll() {
		return nil, errf(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
	}
	defer s.endPoll()
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
	thread, _ := strconv.Atoi(p.Get("message_thread_id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if thread != 0 && !s.topics[chatID][thread] {
		return nil, errf(400, "Bad Request: message thread not found")
	}
	if thread != 0 && s.closedTopics[topicKey{chatID, thread}] {
		return nil, errf(400, "Bad Request: TOPIC_CLOSED")
	}
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
		NoPreview: noPreview, ReplyTo: replyTo, ThreadID: thread, Buttons: buttons, At: now,
		LinkPreview: p.Get("link_preview_options"),
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
	if m.ThreadID != 0 {
		out["message_thread_id"], out["is_topic_message"] = m.ThreadID, true
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
		m.LinkPreview = p.Get("link_preview_options")
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
