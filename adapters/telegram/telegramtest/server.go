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
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	// LanguageCode is the IETF tag of the user's Telegram language.
	LanguageCode string `json:"language_code,omitempty"`
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
	// LinkPreview is the raw link_preview_options sent, if any.
	LinkPreview string
	ReplyTo     int
	// ThreadID is the forum topic the message went to (0: the chat).
	ThreadID int
	Buttons  [][]Button
	// Document is the file of a sendDocument; Text and Visible are then
	// its caption.
	Document *Document
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
	// topics are the open forum topics of each chat: a send to another
	// message_thread_id is refused as Telegram does.
	topics       map[int64]map[int]bool
	closedTopics map[topicKey]bool
	sent         map[int64][]*SentMessage
	requests     []Request
	answers      map[string]string // callback query ID → answer text
	members      map[int64]map[int64]string
	faults       []*Fault
	commands     map[string]string // by language_code, "" the default
	webhook      string
	secret       string
	sendTimes    map[int64][]time.Time
	violations   map[int64]int
	// polling counts getUpdates calls open now; conflicts those refused
	// with 409 because another was open.
	polling, conflicts int
	enforce            bool
	closed             bool
	stopHook           chan struct{}
	files              map[string]Document // sent by users, by file_id
	nextFile           int
	downloads          int
}

type pending struct {
	id   int
	kind string
	raw  json.RawMessage
}

// New starts a fake server; it is closed when the test ends.
func New(tb testing.TB) *Server {
	s := &Server{
		Now:          time.Now,
		changed:      make(chan struct{}),
		nextUpdate:   1,
		nextMsg:      map[int64]int{},
		topics:       map[int64]map[int]bool{},
		closedTopics: map[topicKey]bool{},
		sent:         map[int64][]*SentMessage{},
		answers:      map[string]string{},
		members:      map[int64]map[int64]string{},
		sendTimes:    map[int64][]time.Time{},
		violations:   map[int64]int{},
		files:        map[string]Document{},
		commands:     map[string]string{},
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

type topicKey struct {
	chat   int64
	thread int
}
