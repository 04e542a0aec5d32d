package telegramtest

import (
	"testing"
	"time"
)

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
func (s *Server) Commands() string { return s.CommandsIn("") }

// CommandsIn returns the commands JSON registered for users whose
// language_code is lang ("" for the default list).
func (s *Server) CommandsIn(lang string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[lang]
}

// WaitCommands waits until a command menu for lang ("" for everyone) is
// set, and returns it as CommandsIn does. A request is logged when it
// arrives, before it is handled, so WaitRequests alone can return before
// the menu is stored.
func (s *Server) WaitCommands(tb testing.TB, lang string, timeout time.Duration) string {
	tb.Helper()
	if !s.waitFor(timeout, func() bool { return s.commands[lang] != "" }) {
		tb.Fatalf("telegramtest: no command menu for language %q after %s", lang, timeout)
	}
	return s.CommandsIn(lang)
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

// beginPoll admits a getUpdates unless another is open: Telegram allows
// one per bot at a time. endPoll ends an admitted one.
func (s *Server) beginPoll() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.polling > 0 {
		s.conflicts++
		return false
	}
	s.polling++
	return true
}

func (s *Server) endPoll() {
	s.mu.Lock()
	s.polling--
	s.mu.Unlock()
}

// Conflicts counts getUpdates calls refused with 409 Conflict because
// another was open at the time: Telegram allows one long poll per bot.
func (s *Server) Conflicts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conflicts
}
