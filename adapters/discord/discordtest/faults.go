package discordtest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is an error answer the fake gives instead of serving a request.
type Fault struct {
	Status  int
	Code    int
	Message string
	// RetryAfter and Global shape a 429.
	RetryAfter time.Duration
	Global     bool
}

// RateLimited is a 429 for one route, or for the whole bot when global.
func RateLimited(after time.Duration, global bool) Fault {
	return Fault{Status: 429, Message: "You are being rate limited.", RetryAfter: after, Global: global}
}

// CannotDM is Discord's answer when a user closed DMs or blocked the bot.
func CannotDM() Fault {
	return Fault{Status: 403, Code: 50007, Message: "Cannot send messages to this user"}
}

// MissingPermissions is a 403 for a channel the bot may not post in.
func MissingPermissions() Fault {
	return Fault{Status: 403, Code: 50013, Message: "Missing Permissions"}
}

// MissingAccess is a 403 for a channel the bot cannot see.
func MissingAccess() Fault {
	return Fault{Status: 403, Code: 50001, Message: "Missing Access"}
}

// UnknownChannel is a 404 for a deleted channel.
func UnknownChannel() Fault {
	return Fault{Status: 404, Code: 10003, Message: "Unknown Channel"}
}

// ServerError is a 500.
func ServerError() Fault {
	return Fault{Status: 500, Message: "500: Internal Server Error"}
}

type faultRule struct {
	method string // "" for any
	prefix string // path prefix without the version
	fault  Fault
	left   int // <0: until cleared
	lose   bool
}

func (f Fault) answer() (int, []byte, http.Header) {
	h := http.Header{}
	if f.Status == 429 {
		// As Discord: a route limit names its bucket's state; a global
		// one only says it is global.
		secs := f.RetryAfter.Seconds()
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
		if f.Global {
			h.Set("X-RateLimit-Global", "true")
			h.Set("X-RateLimit-Scope", "global")
		} else {
			h.Set("X-RateLimit-Limit", "5")
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
			h.Set("X-RateLimit-Scope", "user")
		}
		return 429, jsonBytes(map[string]any{"message": f.Message, "retry_after": secs, "global": f.Global}), h
	}
	return f.Status, apiError(f.Code, f.Message), h
}

// FailChannel makes the next n message posts and edits in a channel fail
// with f; n < 0 keeps failing until ClearFaults.
func (s *Server) FailChannel(channelID string, f Fault, n int) {
	s.FailRoute("", "/channels/"+channelID+"/messages", f, n)
}

// FailRoute makes the next n requests whose path (without /api/vN) starts
// with prefix fail with f; method "" matches any. n < 0 keeps failing
// until ClearFaults.
func (s *Server) FailRoute(method, prefix string, f Fault, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{method: method, prefix: prefix, fault: f, left: n})
}

// LoseResponses makes the next n posts to a channel create the message but
// answer 500, as when the response is lost on the way back.
func (s *Server) LoseResponses(channelID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{method: http.MethodPost,
		prefix: "/channels/" + channelID + "/messages", left: n, lose: true})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the fault for a request, consuming one use; s.mu held.
func (s *Server) takeFault(method, path string) *Fault {
	for i, r := range s.faults {
		if r.lose || (r.method != "" && r.method != method) || !strings.HasPrefix(path, r.prefix) {
			continue
		}
		f := r.fault
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &f
	}
	return nil
}

// loseResponse reports whether a created message's answer should be lost.
func (s *Server) loseResponse(channelID string) bool {
	for i, r := range s.faults {
		if !r.lose || r.prefix != "/channels/"+channelID+"/messages" {
			continue
		}
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return true
	}
	return false
}

// CountStatus returns how many REST answers had the status.
func (s *Server) CountStatus(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Status == status {
			n++
		}
	}
	return n
}

func (f Fault) String() string { return fmt.Sprintf("%d/%d %s", f.Status, f.Code, f.Message) }
