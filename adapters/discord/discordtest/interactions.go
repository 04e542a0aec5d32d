package discordtest

import (
	"cmp"
	"encoding/json"
	"strconv"
)

// Interaction is one slash command or button click the fake dispatched,
// and what the bot answered.
type Interaction struct {
	ID        string
	Token     string
	ChannelID string
	GuildID   string
	// Callback is the initial response body, nil until answered.
	Callback json.RawMessage
	// Edits are the PATCHes of the original response, in order.
	Edits []json.RawMessage
	// Followups are further messages posted with the token.
	Followups []json.RawMessage
	// Deleted is set once the bot deleted its original response.
	Deleted bool
	// Files are the files attached to follow-ups.
	Files []Attachment
}

// Reply is what a user sees of the bot's answer to an interaction.
type Reply struct {
	// Type is the initial response type: 4 immediate, 5 deferred, 7 an
	// update of the message whose button was clicked, 6 a deferred one.
	Type int
	// Updated is true when the answer replaced the message whose button
	// was clicked (type 6 or 7) rather than adding one.
	Updated bool
	// Ephemeral is true when only the user sees the answer.
	Ephemeral bool
	// Content is the text shown: the last edit's, or the immediate one's,
	// followed by followups' content, joined by newlines.
	Content string
	// AllowedMentions is the raw allowed_mentions of the last body that
	// set content.
	AllowedMentions json.RawMessage
	// Buttons are the buttons under the answer's last message.
	Buttons []Button
}

// Button is a button of a message: what it says, and the custom_id a
// click sends back.
type Button struct {
	Label    string `json:"label"`
	CustomID string `json:"custom_id"`
}

// messageBody is the part of a message body a user sees.
type messageBody struct {
	Content         string          `json:"content"`
	AllowedMentions json.RawMessage `json:"allowed_mentions"`
	Components      []struct {
		Components []Button `json:"components"`
	} `json:"components"`
}

func (m messageBody) buttons() []Button {
	var out []Button
	for _, row := range m.Components {
		out = append(out, row.Components...)
	}
	return out
}

// Member is who runs a command or clicks a button.
type Member struct {
	UserID   string
	UserName string
	// Permissions is the member's permission bitset in the channel; unused
	// in a DM.
	Permissions int64
	// Locale is the language of the member's Discord client; "" is en-US.
	Locale string
}

// Option is one slash command option as the user filled it.
type Option struct {
	Name  string
	Value string
	// RoleName, when set, makes the option a role (Value its ID) that
	// Discord resolves to this name.
	RoleName string
}

// Place is where an interaction happens: GuildID "" means a DM with the
// bot, whose channel is DMChannelID(user).
type Place struct {
	GuildID   string
	ChannelID string
}

// Slash dispatches a slash command and returns its interaction ID.
func (s *Server) Slash(p Place, m Member, name string, opts ...Option) string {
	s.t.Helper()
	var os []map[string]any
	roles := map[string]any{}
	for _, o := range opts {
		typ := 3 // string
		if o.RoleName != "" {
			typ = 8 // role
			roles[o.Value] = map[string]any{"id": o.Value, "name": o.RoleName, "color": 0, "position": 1, "permissions": "0"}
		}
		os = append(os, map[string]any{"name": o.Name, "type": typ, "value": o.Value})
	}
	data := map[string]any{"id": "300000000000000001", "name": name, "type": 1, "options": os}
	if len(roles) > 0 {
		data["resolved"] = map[string]any{"roles": roles}
	}
	return s.interact(p, m, 2, data, nil)
}

// Click dispatches a button click on a message the bot posted.
func (s *Server) Click(p Place, m Member, messageID, customID string) string {
	s.t.Helper()
	data := map[string]any{"custom_id": customID, "component_type": 2}
	msg := map[string]any{"id": messageID, "channel_id": s.channelOf(p, m), "content": "",
		"author": map[string]any{"id": BotID, "username": "herald", "bot": true}}
	return s.interact(p, m, 3, data, msg)
}

func (s *Server) channelOf(p Place, m Member) string {
	if p.GuildID == "" && p.ChannelID == "" {
		return DMChannelID(m.UserID)
	}
	return p.ChannelID
}

func (s *Server) interact(p Place, m Member, typ int, data, msg map[string]any) string {
	s.t.Helper()
	s.mu.Lock()
	id := s.newID()
	in := &Interaction{ID: id, Token: "tok-" + id, ChannelID: s.channelOf(p, m), GuildID: p.GuildID}
	s.inter[id] = in
	shards := s.gw.shardCount
	s.mu.Unlock()

	user := map[string]any{"id": m.UserID, "username": m.UserName, "discriminator": "0"}
	d := map[string]any{
		"id": id, "application_id": AppID, "type": typ, "token": in.Token, "version": 1,
		"channel_id": in.ChannelID, "data": data, "locale": cmp.Or(m.Locale, "en-US"),
		"app_permissions": "0",
	}
	if msg != nil {
		d["message"] = msg
	}
	shard := 0
	if p.GuildID != "" {
		d["guild_id"] = p.GuildID
		d["context"] = 0
		d["member"] = map[string]any{"user": user, "roles": []string{},
			"permissions": strconv.FormatInt(m.Permissions, 10), "joined_at": "2024-01-01T00:00:00Z"}
		if g, err := strconv.ParseUint(p.GuildID, 10, 64); err == nil && shards > 0 {
			shard = int((g >> 22) % uint64(shards))
		}
	} else {
		d["context"] = 1
		d["user"] = user
	}
	s.Dispatch(shard, "INTERACTION_CREATE", d)
	return id
}

// Interaction returns a copy of what happened to an interaction.
func (s *Server) Interaction(id string) Interaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inter[id]
	if in == nil {
		return Interaction{}
	}
	c := *in
	c.Edits = append([]json.RawMessage(nil), in.Edits...)
	c.Followups = append([]json.RawMessage(nil), in.Followups...)
	return c
}

func (s *Server) interByToken(token string) *Interaction {
	for _, in := range s.inter {
		if in.Token == token {
			return in
		}
	}
	return nil
}

// WaitReply waits until the bot answered an interaction with visible
// text (an immediate reply, or a deferral followed by an edit) and
// returns it.
func (s *Server) WaitReply(id string) Reply {
	s.t.Helper()
	var r Reply
	s.waitFor("a reply to interaction "+id, func() bool {
		in := s.inter[id]
		if in == nil || in.Callback == nil {
			return false
		}
		var cb struct {
			Type int `json:"type"`
			Data struct {
				messageBody
				Flags int `json:"flags"`
			} `json:"data"`
		}
		json.Unmarshal(in.Callback, &cb)
		r = Reply{Type: cb.Type, Updated: cb.Type == 6 || cb.Type == 7, Ephemeral: cb.Data.Flags&64 != 0,
			Content: cb.Data.Content, AllowedMentions: cb.Data.AllowedMentions, Buttons: cb.Data.buttons()}
		if cb.Type == 5 || cb.Type == 6 {
			if len(in.Edits) == 0 {
				return false
			}
			var e messageBody
			json.Unmarshal(in.Edits[len(in.Edits)-1], &e)
			r.Content, r.AllowedMentions, r.Buttons = e.Content, e.AllowedMentions, e.buttons()
		}
		for _, f := range in.Followups {
			var e messageBody
			json.Unmarshal(f, &e)
			r.Content += "\n" + e.Content
			r.Buttons = e.buttons()
		}
		return true
	})
	return r
}

// WaitFollowups waits until the bot posted n follow-up messages to an
// interaction and returns it.
func (s *Server) WaitFollowups(id string, n int) Interaction {
	s.t.Helper()
	s.waitFor("follow-ups to interaction "+id, func() bool {
		in := s.inter[id]
		return in != nil && len(in.Followups) >= n
	})
	return s.Interaction(id)
}

// WaitDeleted waits until the bot deleted its original response to an
// interaction (a deferred answer it had nothing to say in).
func (s *Server) WaitDeleted(id string) Interaction {
	s.t.Helper()
	s.waitFor("deletion of the response to interaction "+id, func() bool {
		in := s.inter[id]
		return in != nil && in.Deleted
	})
	return s.Interaction(id)
}
