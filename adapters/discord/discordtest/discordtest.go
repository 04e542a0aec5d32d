// Package discordtest is a fake Discord for tests: the REST routes Herald
// uses and a websocket gateway, on loopback, driven by the real discordgo
// client. Tests dispatch slash commands and button clicks through the
// gateway, inject REST faults (429, 403, 404, 500) per channel or route,
// and read back what the bot posted.
//
// Point a client at it with APIBase (the REST base including the version,
// as HERALD_DISCORD_API takes it); GET {base}/gateway answers with the
// gateway's ws:// URL, as Discord does.
package discordtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Default identities of the fake.
const (
	Token = "test-token"
	AppID = "100000000000000001"
	BotID = "100000000000000001"
)

// Server is a running fake Discord. All methods are safe for concurrent use.
type Server struct {
	// URL is the server's root, http://127.0.0.1:PORT.
	URL string
	// Token is the bare bot token requests must carry as "Bot <Token>".
	Token string

	// WaitTimeout bounds the Wait helpers (default 15 s); it only fails
	// tests that would otherwise hang.
	WaitTimeout time.Duration
	// MaxConcurrency is the session_start_limit.max_concurrency that
	// GET /gateway/bot announces (default 1): shards identify in that many
	// buckets, shard % MaxConcurrency, each once per 5 s.
	MaxConcurrency int

	srv *httptest.Server
	t   testing.TB

	mu       sync.Mutex
	changed  chan struct{}
	requests []Request
	messages map[string][]*Message // by channel
	forums   map[string]bool       // forum channels
	threads  []*Thread
	nextID   int64
	faults   []*faultRule
	commands json.RawMessage
	inter    map[string]*Interaction // by interaction ID
	cdn      map[string]Attachment   // files users attached, by attachment ID
	gw       gateway
}

// Request is one REST request the fake received.
type Request struct {
	Method string
	// Path is the path without the /api/vN prefix, e.g. /channels/1/messages.
	Path string
	// Body is the JSON body, nil if there was none.
	Body json.RawMessage
	// Status is what the fake answered.
	Status int
}

// Message is a message the bot posted to a channel (or edited since).
type Message struct {
	ID        string
	ChannelID string
	// Body is the last JSON body that created or edited it.
	Body json.RawMessage
	// Nonce and EnforceNonce are as sent on creation.
	Nonce        string
	EnforceNonce bool
	Edits        int
}

// New starts a fake Discord and closes it when the test ends.
func New(t testing.TB) *Server {
	s := &Server{
		Token:       Token,
		WaitTimeout: 15 * time.Second,
		t:           t,
		changed:     make(chan struct{}),
		messages:    map[string][]*Message{},
		forums:      map[string]bool{},
		nextID:      200000000000000000,
		inter:       map[string]*Interaction{},
		cdn:         map[string]Attachment{},
	}
	s.gw.init()
	mux := http.NewServeMux()
	mux.HandleFunc("/ws/", s.serveGateway)
	mux.HandleFunc("/ws", s.serveGateway)
	mux.HandleFunc("/attachments/", s.serveCDN)
	mux.HandleFunc("/", s.serveREST)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// APIBase is the REST base URL including the version, as
// HERALD_DISCORD_API takes it.
func (s *Server) APIBase() string { return s.URL + "/api/v10" }

// GatewayURL is the websocket URL /gateway answers with.
func (s *Server) GatewayURL() string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/ws" }

// Close stops the server and drops gateway connections.
func (s *Server) Close() {
	s.closeConns()
	s.srv.Close()
}

// notify wakes the Wait helpers; call with s.mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor polls cond at every change until it holds or WaitTimeout passes.
func (s *Server) waitFor(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.NewTimer(s.WaitTimeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			s.t.Fatalf("discordtest: timed out waiting for %s", what)
			return
		}
	}
}

func (s *Server) newID() string {
	s.nextID++
	return strconv.FormatInt(s.nextID, 10)
}

// Requests returns every REST request so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Messages returns the messages the bot posted to a channel, oldest first.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages[channelID] {
		out = append(out, *m)
	}
	return out
}

// WaitMessages waits until a channel holds at least n messages and returns
// them.
func (s *Server) WaitMessages(channelID string, n int) []Message {
	s.t.Helper()
	s.waitFor(fmt.Sprintf("%d messages in channel %s", n, channelID), func() bool {
		return len(s.messages[channelID]) >= n
	})
	return s.Messages(channelID)
}

// Commands returns the body of the last global bulk overwrite, nil before.
func (s *Server) Commands() json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands
}

// WaitCommands waits until the application commands have been synced.
func (s *Server) WaitCommands() json.RawMessage {
	s.t.Helper()
	s.waitFor("a command sync", func() bool { return s.commands != nil })
	return s.Commands()
}

var (
	versionPrefix  = regexp.MustCompile(`^/api(/v\d+)?`)
	reChanMessages = regexp.MustCompile(`^/channels/([^/]+)/messages$`)
	reChanMessage  = regexp.MustCompile(`^/channels/([^/]+)/messages/([^/]+)$`)
	reCommands     = regexp.MustCompile(`^/applications/([^/]+)/commands$`)
	reCallback     = regexp.MustCompile(`^/interactions/([^/]+)/([^/]+)/callback$`)
	reOriginal     = regexp.MustCompile(`^/webhooks/([^/]+)/([^/]+)/messages/@original$`)
	reFollowup     = regexp.MustCompile(`^/webhooks/([^/]+)/([^/]+)$`)
)

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	path := versionPrefix.ReplaceAllString(r.URL.Path, "")
	body, files, err := readBody(r)
	if err != nil {
		w.WriteHeader(400)
		w.Write(apiError(50035, "Invalid Form Body: "+err.Error()))
		return
	}
	var raw json.RawMessage
	if len(bytes.TrimSpace(body)) > 0 {
		raw = json.RawMessage(body)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	rec := &Request{Method: r.Method, Path: path, Body: raw}
	status, resp, hdr := s.route(r, path, raw, files)
	rec.Status = status
	s.requests = append(s.requests, *rec)
	s.notify()

	for k, v := range hdr {
		w.Header()[k] = v
	}
	if resp == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(resp)
}

func jsonBytes(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func apiError(code int, msg string) []byte {
	return jsonBytes(map[string]any{"code": code, "message": msg})
}

// route answers one request; s.mu is held.
func (s *Server) route(r *http.Request, path string, body json.RawMessage, files []Attachment) (int, []byte, http.Header) {
	if r.Header.Get("Authorization") != "Bot "+s.Token {
		return http.StatusUnauthorized, apiError(0, "401: Unauthorized"), nil
	}
	if f := s.takeFault(r.Method, path); f != nil {
		return f.answer()
	}
	if status, resp, ok := s.routeThreads(r, path, body); ok {
		return status, resp, nil
	}
	switch {
	case r.Method == http.MethodGet && (path == "/gateway" || path == "/gateway/bot"):
		return 200, jsonBytes(map[string]any{
			"url":    s.GatewayURL(),
			"shards": 1,
			"session_start_limit": map[string]int{
				"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": max(1, s.MaxConcurrency)},
		}), nil

	case r.Method == http.MethodPut && reCommands.MatchString(path):
		var cmds []map[string]any
		if err := json.Unmarshal(body, &cmds); err != nil {
			return 400, apiError(50035, "Invalid Form Body"), nil
		}
		for _, c := range cmds {
			c["id"] = s.newID()
			c["application_id"] = AppID
			c["version"] = "1"
		}
		s.commands = slices.Clone(body)
		return 200, jsonBytes(cmds), nil

	case r.Method == http.MethodPost && reCallback.MatchString(path):
		m := reCallback.FindStringSubmatch(path)
		in := s.inter[m[1]]
		if in == nil || in.Token != m[2] {
			return 404, apiError(10062, "Unknown interaction"), nil
		}
		if in.Callback != nil {
			return 400, apiError(40060, "Interaction has already been acknowledged."), nil
		}
		in.Callback = body
		return 204, nil, nil

	case r.Method == http.MethodPatch && reOriginal.MatchString(path):
		m := reOriginal.FindStringSubmatch(path)
		in := s.interByToken(m[2])
		if in == nil || in.Callback == nil {
			return 404, apiError(10015, "Unknown Webhook"), nil
		}
		in.Edits = append(in.Edits, body)
		return 200, jsonBytes(map[string]any{"id": s.newID(), "channel_id": in.ChannelID, "content": ""}), nil

	case r.Method == http.MethodDelete && reOriginal.MatchString(path):
		// Delete Original Interaction Response: 204, the message is gone.
		m := reOriginal.FindStringSubmatch(path)
		in := s.interByToken(m[2])
		if in == nil || in.Callback == nil || in.Deleted {
			return 404, apiError(10008, "Unknown Message"), nil
		}
		in.Deleted = true
		return 204, nil, nil

	case r.Method == http.MethodPost && reFollowup.MatchString(path):
		m := reFollowup.FindStringSubmatch(path)
		in := s.interByToken(m[2])
		if in == nil {
			return 404, apiError(10015, "Unknown Webhook"), nil
		}
		in.Followups = append(in.Followups, body)
		in.Files = append(in.Files, files...)
		return 200, jsonBytes(map[string]any{"id": s.newID(), "channel_id": in.ChannelID, "content": ""}), nil

	case r.Method == http.MethodPost && path == "/users/@me/channels":
		var req struct {
			RecipientID string `json:"recipient_id"`
		}
		json.Unmarshal(body, &req)
		return 200, jsonBytes(map[string]any{
			"id": DMChannelID(req.RecipientID), "type": 1,
			"recipients": []map[string]string{{"id": req.RecipientID}},
		}), nil

	case r.Method == http.MethodPost && reChanMessages.MatchString(path):
		ch := reChanMessages.FindStringSubmatch(path)[1]
		if s.forums[ch] {
			return 400, apiError(50024, "Cannot execute action on this channel type"), nil
		}
		var req struct {
			Nonce        any  `json:"nonce"`
			EnforceNonce bool `json:"enforce_nonce"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return 400, apiError(50035, "Invalid Form Body"), nil
		}
		nonce := ""
		if req.Nonce != nil {
			nonce = fmt.Sprint(req.Nonce)
		}
		if req.EnforceNonce && nonce != "" {
			for _, m := range s.messages[ch] {
				if m.Nonce == nonce {
					return 200, messageJSON(m), nil
				}
			}
		}
		m := &Message{ID: s.newID(), ChannelID: ch, Body: body, Nonce: nonce, EnforceNonce: req.EnforceNonce}
		s.messages[ch] = append(s.messages[ch], m)
		if s.loseResponse(ch) {
			return 500, apiError(0, "500: Internal Server Error"), nil
		}
		return 200, messageJSON(m), nil

	case r.Method == http.MethodPatch && reChanMessage.MatchString(path):
		sm := reChanMessage.FindStringSubmatch(path)
		for _, m := range s.messages[sm[1]] {
			if m.ID == sm[2] {
				m.Body = body
				m.Edits++
				return 200, messageJSON(m), nil
			}
		}
		return 404, apiError(10008, "Unknown Message"), nil
	}
	return 404, apiError(0, "404: Not Found"), nil
}

func messageJSON(m *Message) []byte {
	var fields map[string]any
	json.Unmarshal(m.Body, &fields)
	if fields == nil {
		fields = map[string]any{}
	}
	delete(fields, "enforce_nonce")
	fields["id"] = m.ID
	fields["channel_id"] = m.ChannelID
	fields["author"] = map[string]any{"id": BotID, "username": "herald", "bot": true}
	fields["timestamp"] = time.Now().UTC().Format(time.RFC3339)
	if _, ok := fields["content"]; !ok {
		fields["content"] = ""
	}
	return jsonBytes(fields)
}

// DMChannelID is the DM channel the fake opens for a user.
func DMChannelID(userID string) string { return "9" + userID }
