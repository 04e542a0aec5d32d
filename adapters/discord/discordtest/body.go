package discordtest

import (
	"encoding/json"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// Body is a message body as a client posted it, in the fields tests look
// at: what a member sees (content, embeds, buttons) and what decides who
// is pinged and whether a retry posts twice.
type Body struct {
	// Content is the plain text; empty when the message has none.
	Content         string                    `json:"content"`
	Embeds          []*discordgo.MessageEmbed `json:"embeds"`
	AllowedMentions json.RawMessage           `json:"allowed_mentions"`
	Nonce           string                    `json:"nonce"`
	EnforceNonce    bool                      `json:"enforce_nonce"`
	// Components are the action rows and their buttons.
	Components []struct {
		Components []struct {
			Label    string `json:"label"`
			CustomID string `json:"custom_id"`
		} `json:"components"`
	} `json:"components"`
}

// Decode reads the message's last body (the one that created or last
// edited it), failing t if it is not JSON.
func (m Message) Decode(t testing.TB) Body {
	t.Helper()
	var b Body
	if err := json.Unmarshal(m.Body, &b); err != nil {
		t.Fatalf("message %s in channel %s: body is not JSON: %v\n%s", m.ID, m.ChannelID, err, m.Body)
	}
	return b
}
