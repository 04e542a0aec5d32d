package telegramtest

import (
	"encoding/json"
	"net/url"
	"strings"
)

// The content of a message the bot sends or edits, checked as Telegram
// checks it: the parse mode's markup, the length after entity parsing,
// the inline keyboard and the link preview options.

// content checks text, parse mode and markup the way sendMessage and
// editMessageText do.
func content(p url.Values) (visible string, buttons [][]Button, noPreview bool, e *apiError) {
	text := p.Get("text")
	visible = text
	switch mode := p.Get("parse_mode"); mode {
	case "":
	case "HTML":
		v, err := ParseHTML(text)
		if err != nil {
			return "", nil, false, errf(400, "Bad Request: %v", err)
		}
		visible = v
	default:
		return "", nil, false, errf(400, "Bad Request: unsupported parse_mode %q in this fake", mode)
	}
	if strings.TrimSpace(visible) == "" {
		return "", nil, false, errf(400, "Bad Request: message text is empty")
	}
	if UTF16Len(visible) > MaxMessageLen {
		return "", nil, false, errf(400, "Bad Request: message is too long")
	}
	if rm := p.Get("reply_markup"); rm != "" && rm != "null" {
		var markup struct {
			InlineKeyboard [][]Button `json:"inline_keyboard"`
		}
		if err := json.Unmarshal([]byte(rm), &markup); err != nil {
			return "", nil, false, errf(400, "Bad Request: can't parse reply keyboard markup JSON object")
		}
		for _, row := range markup.InlineKeyboard {
			for _, b := range row {
				if b.URL == "" && (len(b.CallbackData) == 0 || len(b.CallbackData) > 64) {
					return "", nil, false, errf(400, "Bad Request: BUTTON_DATA_INVALID")
				}
			}
		}
		buttons = markup.InlineKeyboard
	}
	if lp := p.Get("link_preview_options"); lp != "" {
		var o struct {
			IsDisabled bool   `json:"is_disabled"`
			URL        string `json:"url"`
		}
		if err := json.Unmarshal([]byte(lp), &o); err != nil {
			return "", nil, false, errf(400, "Bad Request: can't parse link preview options JSON object")
		}
		if o.URL != "" && !strings.HasPrefix(o.URL, "http://") && !strings.HasPrefix(o.URL, "https://") {
			return "", nil, false, errf(400, "Bad Request: wrong HTTP URL specified in link preview options")
		}
		noPreview = o.IsDisabled
	}
	if p.Get("disable_web_page_preview") == "true" {
		noPreview = true
	}
	return visible, buttons, noPreview, nil
}
