package discordtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// Threads and forum channels: a post in a forum channel is a thread
// created with its first message (POST /channels/{forum}/threads with
// {name, message}); a thread on a message in a text channel is POST
// /channels/{channel}/messages/{message}/threads with {name}. A thread is
// a channel: its messages are listed and edited under its own ID.

var (
	reThreads       = regexp.MustCompile(`^/channels/([^/]+)/threads$`)
	reMessageThread = regexp.MustCompile(`^/channels/([^/]+)/messages/([^/]+)/threads$`)
)

// Thread is a thread the bot started.
type Thread struct {
	ID       string
	ParentID string
	Name     string
	// MessageID is the message it was started on, or (in a forum) its
	// first message, which has the thread's ID.
	MessageID string
}

// maxThreadName is the longest thread name Discord accepts.
const maxThreadName = 100

// Forum makes a channel a forum channel: messages cannot be posted to it,
// only posts (threads with a first message) created. It returns the
// GUILD_CREATE payload of a guild holding it and its existing posts
// (threads, where members can run commands), for Dispatch, so the bot
// learns the channel's type as it would from Discord.
func (s *Server) Forum(guildID, channelID string, posts ...string) map[string]any {
	s.mu.Lock()
	s.forums[channelID] = true
	s.mu.Unlock()
	threads := []map[string]any{}
	for _, p := range posts {
		threads = append(threads, map[string]any{"id": p, "type": 11, "guild_id": guildID, "parent_id": channelID, "name": "post " + p})
	}
	return map[string]any{"id": guildID, "name": "Guild " + guildID, "unavailable": false,
		"channels": []map[string]any{{"id": channelID, "type": 15, "guild_id": guildID, "name": "news-forum"}},
		"threads":  threads}
}

// Threads returns the threads the bot started under a channel.
func (s *Server) Threads(parentID string) []Thread {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Thread
	for _, th := range s.threads {
		if th.ParentID == parentID {
			out = append(out, *th)
		}
	}
	return out
}

// WaitThreads waits until the bot started n threads under a channel.
func (s *Server) WaitThreads(parentID string, n int) []Thread {
	s.t.Helper()
	s.waitFor("threads in channel "+parentID, func() bool {
		k := 0
		for _, th := range s.threads {
			if th.ParentID == parentID {
				k++
			}
		}
		return k >= n
	})
	return s.Threads(parentID)
}

// routeThreads serves the thread routes, with s.mu held; ok false for
// another route.
func (s *Server) routeThreads(r *http.Request, path string, body json.RawMessage) (status int, resp []byte, ok bool) {
	if r.Method != http.MethodPost {
		return 0, nil, false
	}
	if m := reThreads.FindStringSubmatch(path); m != nil {
		parent := m[1]
		var req struct {
			Name    string          `json:"name"`
			Message json.RawMessage `json:"message"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return 400, apiError(50035, "Invalid Form Body"), true
		}
		if !s.forums[parent] {
			return 400, apiError(50024, "Cannot execute action on this channel type"), true
		}
		if name := strings.TrimSpace(req.Name); name == "" || len([]rune(name)) > maxThreadName || len(req.Message) == 0 {
			return 400, apiError(50035, "Invalid Form Body: name (1-100) and message are required in a forum"), true
		}
		id := s.newID()
		msg := &Message{ID: id, ChannelID: id, Body: req.Message}
		s.messages[id] = append(s.messages[id], msg)
		s.threads = append(s.threads, &Thread{ID: id, ParentID: parent, Name: req.Name, MessageID: id})
		var fields map[string]any
		json.Unmarshal(messageJSON(msg), &fields)
		return 201, jsonBytes(map[string]any{"id": id, "type": 11, "parent_id": parent, "name": req.Name, "message": fields}), true
	}
	if m := reMessageThread.FindStringSubmatch(path); m != nil {
		ch, mid := m[1], m[2]
		var req struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(body, &req); err != nil || strings.TrimSpace(req.Name) == "" || len([]rune(req.Name)) > maxThreadName {
			return 400, apiError(50035, "Invalid Form Body: name (1-100) is required"), true
		}
		found := false
		for _, msg := range s.messages[ch] {
			found = found || msg.ID == mid
		}
		if !found {
			return 404, apiError(10008, "Unknown Message"), true
		}
		for _, th := range s.threads {
			if th.MessageID == mid {
				return 400, apiError(160004, "A thread has already been created for this message"), true
			}
		}
		id := s.newID()
		s.threads = append(s.threads, &Thread{ID: id, ParentID: ch, Name: req.Name, MessageID: mid})
		return 201, jsonBytes(map[string]any{"id": id, "type": 11, "parent_id": ch, "name": req.Name}), true
	}
	return 0, nil, false
}
