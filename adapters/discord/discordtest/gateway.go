package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// HeartbeatInterval is what HELLO announces, in milliseconds.
const HeartbeatInterval = 45000

type gateway struct {
	conns      map[*gwConn]bool
	sessions   map[string]*gwSession
	byShard    map[int]*gwSession
	shardCount int
	identifies int
	// identified logs each IDENTIFY: when, and for which shard.
	identified []Identify
	resumes    int
	heartbeats int
	// overlaps counts IDENTIFYs for a shard that another open connection
	// already runs: two clients running one shard.
	overlaps int
	stall    bool
	nextSess int
}

type gwConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex
	// shard is what the connection identified as, -1 before IDENTIFY.
	shard int
}

func (c *gwConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteJSON(v)
}

type gwEvent struct {
	seq  int64
	name string
	data json.RawMessage
}

type gwSession struct {
	id     string
	shard  int
	seq    int64
	events []gwEvent
	conn   *gwConn
}

type frame struct {
	Op   int             `json:"op"`
	D    json.RawMessage `json:"d"`
	S    *int64          `json:"s,omitempty"`
	Name string          `json:"t,omitempty"`
}

func (g *gateway) init() {
	g.conns = map[*gwConn]bool{}
	g.sessions = map[string]*gwSession{}
	g.byShard = map[int]*gwSession{}
	g.shardCount = 1
}

// closeConns drops every gateway connection. Closing the sockets ends the
// read loops, whose cleanup takes s.mu, so the sockets close outside it.
func (s *Server) closeConns() {
	s.mu.Lock()
	var cs []*gwConn
	for c := range s.gw.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.ws.Close()
	}
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{ws: ws, shard: -1}
	s.mu.Lock()
	s.gw.conns[c] = true
	s.notify()
	s.mu.Unlock()
	defer func() {
		ws.Close()
		s.mu.Lock()
		delete(s.gw.conns, c)
		for _, sess := range s.gw.sessions {
			if sess.conn == c {
				sess.conn = nil
			}
		}
		s.notify()
		s.mu.Unlock()
	}()

	s.mu.Lock()
	stall := s.gw.stall
	s.mu.Unlock()
	if stall {
		// Say nothing, as a gateway that hangs; wait for the client to go.
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}
	if c.write(map[string]any{"op": 10, "d": map[string]int{"heartbeat_interval": HeartbeatInterval}}) != nil {
		return
	}
	for {
		var f frame
		if err := ws.ReadJSON(&f); err != nil {
			return
		}
		switch f.Op {
		case 1: // heartbeat
			s.mu.Lock()
			s.gw.heartbeats++
			s.notify()
			s.mu.Unlock()
			if c.write(map[string]any{"op": 11}) != nil {
				return
			}
		case 2: // identify
			if !s.identify(c, f.D) {
				return
			}
		case 6: // resume
			s.resume(c, f.D)
		}
	}
}

func (s *Server) identify(c *gwConn, d json.RawMessage) bool {
	var id struct {
		Token string `json:"token"`
		Shard *[2]int
	}
	json.Unmarshal(d, &id)
	if id.Token != "Bot "+s.Token {
		c.wmu.Lock()
		c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
		c.wmu.Unlock()
		return false
	}
	shard := [2]int{0, 1}
	if id.Shard != nil {
		shard = *id.Shard
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.identifies++
	s.gw.identified = append(s.gw.identified, Identify{Shard: shard[0], At: time.Now()})
	for o := range s.gw.conns {
		if o != c && o.shard == shard[0] {
			s.gw.overlaps++
		}
	}
	c.shard = shard[0]
	s.gw.nextSess++
	s.gw.shardCount = shard[1]
	sess := &gwSession{id: "session-" + strconv.Itoa(s.gw.nextSess), shard: shard[0], conn: c}
	s.gw.sessions[sess.id] = sess
	if old := s.gw.byShard[shard[0]]; old != nil && old.conn == c {
		old.conn = nil
	}
	s.gw.byShard[shard[0]] = sess
	s.dispatchLocked(sess, "READY", map[string]any{
		"v":           10,
		"session_id":  sess.id,
		"user":        map[string]any{"id": BotID, "username": "herald", "bot": true},
		"application": map[string]any{"id": AppID, "flags": 0},
		"guilds":      []any{},
		"shard":       shard,
	})
	s.notify()
	return true
}

func (s *Server) resume(c *gwConn, d json.RawMessage) {
	var r struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	json.Unmarshal(d, &r)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.gw.sessions[r.SessionID]
	if sess == nil || r.Token != "Bot "+s.Token {
		c.write(map[string]any{"op": 9, "d": false})
		return
	}
	s.gw.resumes++
	sess.conn = c
	s.gw.byShard[sess.shard] = sess
	// Discord replays what the client missed, then says RESUMED.
	for _, e := range sess.events {
		if e.seq > r.Seq {
			seq := e.seq
			c.write(frame{Op: 0, S: &seq, Name: e.name, D: e.data})
		}
	}
	s.dispatchLocked(sess, "RESUMED", map[string]any{})
	s.notify()
}

// dispatchLocked sends an event on a session, keeping it for replay; s.mu held.
func (s *Server) dispatchLocked(sess *gwSession, name string, d any) {
	sess.seq++
	e := gwEvent{seq: sess.seq, name: name, data: jsonBytes(d)}
	sess.events = append(sess.events, e)
	if sess.conn != nil {
		seq := e.seq
		sess.conn.write(frame{Op: 0, S: &seq, Name: name, D: e.data})
	}
}

// Dispatch sends a gateway event to a shard's session. The session keeps
// it, so a client that was between connections gets it on RESUME.
func (s *Server) Dispatch(shard int, name string, d any) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.gw.byShard[shard]
	if sess == nil {
		s.t.Fatalf("discordtest: no gateway session on shard %d", shard)
		return
	}
	s.dispatchLocked(sess, name, d)
}

// send writes a raw opcode to a shard's current connection.
func (s *Server) send(shard int, v any) {
	s.t.Helper()
	s.mu.Lock()
	sess := s.gw.byShard[shard]
	var c *gwConn
	if sess != nil {
		c = sess.conn
	}
	s.mu.Unlock()
	if c == nil {
		s.t.Fatalf("discordtest: no gateway connection on shard %d", shard)
		return
	}
	c.write(v)
}

// Reconnect sends op 7 RECONNECT on a shard: the client should drop the
// connection and RESUME.
func (s *Server) Reconnect(shard int) { s.send(shard, map[string]any{"op": 7, "d": nil}) }

// InvalidSession sends op 9 on a shard; a client re-identifies unless
// resumable.
func (s *Server) InvalidSession(shard int, resumable bool) {
	s.send(shard, map[string]any{"op": 9, "d": resumable})
}

// StallGateway makes new gateway connections hang before HELLO.
func (s *Server) StallGateway() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.stall = true
}

// WaitGatewayConns waits until n gateway connections are open.
func (s *Server) WaitGatewayConns(n int) {
	s.t.Helper()
	s.waitFor(fmt.Sprintf("%d gateway connections", n), func() bool { return len(s.gw.conns) >= n })
}

// Identify is one IDENTIFY the gateway received.
type Identify struct {
	Shard int
	At    time.Time
}

// IdentifyLog returns every IDENTIFY received, oldest first.
func (s *Server) IdentifyLog() []Identify {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.gw.identified)
}

// Identifies counts IDENTIFY payloads received.
func (s *Server) Identifies() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.identifies
}

// WaitHeartbeats waits until the client sent n heartbeats (each is
// acknowledged with op 11).
func (s *Server) WaitHeartbeats(n int) {
	s.t.Helper()
	s.waitFor(fmt.Sprintf("%d heartbeats", n), func() bool { return s.gw.heartbeats >= n })
}

// Resumes counts successful RESUMEs.
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.resumes
}

// WaitResumes waits until n RESUMEs succeeded.
func (s *Server) WaitResumes(n int) {
	s.t.Helper()
	s.waitFor(fmt.Sprintf("%d resumes", n), func() bool { return s.gw.resumes >= n })
}

// WaitIdentifies waits until n IDENTIFYs arrived.
func (s *Server) WaitIdentifies(n int) {
	s.t.Helper()
	s.waitFor(fmt.Sprintf("%d identifies", n), func() bool { return s.gw.identifies >= n })
}

// WaitConnected waits until shards 0..n-1 each have a live session.
func (s *Server) WaitConnected(n int) {
	s.t.Helper()
	s.waitFor(fmt.Sprintf("%d connected shards", n), func() bool {
		for i := 0; i < n; i++ {
			if sess := s.gw.byShard[i]; sess == nil || sess.conn == nil {
				return false
			}
		}
		return true
	})
}

// ShardOverlaps counts IDENTIFYs for a shard that another open gateway
// connection was already running: more than one client on one shard.
func (s *Server) ShardOverlaps() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.overlaps
}
