package bot

import (
	"crypto/rand"
	"encoding/base32"

	"github.com/herald-news/herald/alerts"
)

// An alert carries three buttons (mute, unsubscribe, why; their presses are
// handled in buttons.go). They share one
// random token: the outcome stage stores it with the alert's log entry when
// the send completes, and a pressed button comes back as its action letter
// and the token. An alert whose send was not recorded is sent again, with
// new buttons.

var tokenEnc = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// newToken returns a random 13-character button token.
func newToken() string {
	var raw [8]byte
	rand.Read(raw[:])
	return tokenEnc.EncodeToString(raw[:])
}

// alertButtons are the buttons of an alert: the action letter and the
// alert's token.
func alertButtons(token string) []MessageButton {
	return []MessageButton{
		{Action: alerts.ButtonMute, Label: "Mute 8h", Token: "m:" + token},
		{Action: alerts.ButtonUnsub, Label: "Unsubscribe", Token: "u:" + token},
		{Action: alerts.ButtonWhy, Label: "Why?", Token: "w:" + token},
	}
}
