package telegram

import (
	"context"
	"fmt"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// Answering a command: every message of a reply (its text, the rest of a
// long one, /export's document, /format's preview, the edit a
// confirmation makes) waits for its turn in the bot's pacing
// (bot.ReplyPacer), so replies share the platform's budget and the chat's
// interval with alerts. The adapter itself does not pace.

// inTurn makes one request of a reply to t in its turn of the bot's
// pacing; what names it in an error.
func (a *Adapter) inTurn(ctx context.Context, t alerts.Target, what string, request func() error) error {
	done, err := a.h().ReplyTurn(ctx, t)
	if err != nil {
		return fmt.Errorf("telegram: %s in %s: waiting for its turn: %w", what, t.ID, err)
	}
	err = request()
	done()
	if err != nil {
		return a.classify(err, what+" in "+string(t.ID))
	}
	return nil
}

// reply answers a command in its chat (the chat or forum topic of t): the
// text as plain text escaped for HTML, split if it is too long for one
// message, with the reply's buttons under the last part; then its file
// as a document and its preview as the chat would receive the alert.
func (a *Adapter) reply(ctx context.Context, t alerts.Target, replyTo int, r bot.Reply) error {
	chatID, thread, err := chatOf(t.ID)
	if err != nil {
		return err
	}
	parts := splitText(r.Text, MaxMessageLen)
	for i, part := range parts {
		var buttons []bot.ReplyButton
		if i == len(parts)-1 {
			buttons = r.Buttons
		}
		p, err := textParams(chatID, part, buttons)
		if err != nil {
			return err
		}
		if thread != 0 {
			p["message_thread_id"] = strconv.Itoa(thread)
		}
		if i == 0 && replyTo != 0 {
			p["reply_to_message_id"] = strconv.Itoa(replyTo)
			p["allow_sending_without_reply"] = "true"
		}
		if err := a.inTurn(ctx, t, "reply", func() error { _, err := a.call(ctx, "sendMessage", p); return err }); err != nil {
			return err
		}
	}
	if f := r.File; f != nil {
		if err := a.inTurn(ctx, t, "document", func() error { return a.sendFile(ctx, chatID, thread, f) }); err != nil {
			return err
		}
	}
	if pv := r.Preview; pv != nil {
		m := pv.Message
		m.Buttons = nil
		p, err := a.messageParams(pv.Target, m)
		if err != nil {
			return err
		}
		p["chat_id"] = strconv.FormatInt(chatID, 10)
		if thread != 0 {
			p["message_thread_id"] = strconv.Itoa(thread)
		}
		return a.inTurn(ctx, t, "preview", func() error { _, err := a.call(ctx, "sendMessage", p); return err })
	}
	return nil
}

// editReply replaces a reply the bot sent in t (one whose button was
// pressed) with r, which must fit one message; without buttons in r, the
// keyboard goes.
func (a *Adapter) editReply(ctx context.Context, t alerts.Target, messageID int, r bot.Reply) error {
	chatID, _, err := chatOf(t.ID)
	if err != nil {
		return err
	}
	parts := splitText(r.Text, MaxMessageLen)
	if len(parts) != 1 {
		return fmt.Errorf("telegram: a reply of %d messages cannot replace one", len(parts))
	}
	p, err := textParams(chatID, parts[0], r.Buttons)
	if err != nil {
		return err
	}
	p["message_id"] = strconv.Itoa(messageID)
	return a.inTurn(ctx, t, "edit reply", func() error { _, err := a.call(ctx, "editMessageText", p); return err })
}

// textParams are the parameters of a reply's message: plain text escaped
// for HTML, no link preview, and the buttons, if any.
func textParams(chatID int64, text string, buttons []bot.ReplyButton) (tgbotapi.Params, error) {
	p := tgbotapi.Params{
		"chat_id":              strconv.FormatInt(chatID, 10),
		"text":                 escape(text),
		"parse_mode":           tgbotapi.ModeHTML,
		"link_preview_options": `{"is_disabled":true}`,
	}
	if kb := replyKeyboard(buttons); kb != nil {
		if err := p.AddInterface("reply_markup", kb); err != nil {
			return nil, err
		}
	}
	return p, nil
}
