package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// maxCallbackData is the most bytes of callback_data a button may carry.
// https://core.telegram.org/bots/api#inlinekeyboardbutton
const maxCallbackData = 64

// Send posts an alert or a digest and returns the message ID.
func (a *Adapter) Send(ctx context.Context, t alerts.Target, m bot.Message) (string, error) {
	chatID, thread, err := chatOf(t.ID)
	if err != nil {
		return "", err
	}
	p, err := a.messageParams(t, m)
	if err != nil {
		return "", err
	}
	p["chat_id"] = strconv.FormatInt(chatID, 10)
	if thread != 0 {
		p["message_thread_id"] = strconv.Itoa(thread)
	}
	resp, err := a.call(ctx, "sendMessage", p)
	if err != nil {
		return "", a.classify(err, "send to "+string(t.ID))
	}
	var msg tgbotapi.Message
	if err := json.Unmarshal(resp.Result, &msg); err != nil {
		return "", fmt.Errorf("telegram: send to %s: read answer: %w", t.ID, err)
	}
	return strconv.Itoa(msg.MessageID), nil
}

// Edit replaces the text and buttons of a sent alert. An edit that changes
// nothing is a success.
func (a *Adapter) Edit(ctx context.Context, t alerts.Target, messageID string, m bot.Message) error {
	chatID, _, err := chatOf(t.ID)
	if err != nil {
		return err
	}
	if _, err := strconv.Atoi(messageID); err != nil {
		return fmt.Errorf("telegram: edit %s: bad message ID %q", t.ID, messageID)
	}
	p, err := a.messageParams(t, m)
	if err != nil {
		return err
	}
	p["chat_id"] = strconv.FormatInt(chatID, 10)
	p["message_id"] = messageID
	if _, err := a.call(ctx, "editMessageText", p); err != nil {
		var te *tgbotapi.Error
		if errors.As(err, &te) && strings.Contains(te.Message, "message is not modified") {
			return nil
		}
		return a.classify(err, "edit in "+string(t.ID))
	}
	return nil
}

// chatOf returns the chat of a target and its forum topic (0 for none).
func chatOf(id alerts.TargetID) (chat int64, thread int, err error) {
	if id.Platform() != alerts.PlatformTelegram {
		return 0, 0, fmt.Errorf("telegram: target %s is not a Telegram chat", id)
	}
	c, th, hasTopic := strings.Cut(id.ChatID(), "/")
	chat, err = strconv.ParseInt(c, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("telegram: target %s: bad chat ID: %w", id, err)
	}
	if hasTopic {
		if thread, err = strconv.Atoi(th); err != nil || thread <= 0 {
			return 0, 0, fmt.Errorf("telegram: target %s: bad topic ID %q", id, th)
		}
	}
	return chat, thread, nil
}

// messageParams formats m for sendMessage and editMessageText.
func (a *Adapter) messageParams(t alerts.Target, m bot.Message) (tgbotapi.Params, error) {
	p := tgbotapi.Params{
		"text":       formatFor(t, m),
		"parse_mode": tgbotapi.ModeHTML,
	}
	if t.Settings.NoPreviews {
		p["link_preview_options"] = `{"is_disabled":true}`
	} else if lp := imagePreview(m); lp != "" {
		p["link_preview_options"] = lp
	}
	if kb := keyboard(bot.TargetLanguage(t), m.Buttons); kb != nil {
		if err := p.AddInterface("reply_markup", kb); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func keyboard(lang string, buttons []bot.MessageButton) *tgbotapi.InlineKeyboardMarkup {
	var row []tgbotapi.InlineKeyboardButton
	for _, b := range buttons {
		if b.Token == "" || len(b.Token) > maxCallbackData || b.Label == "" {
			continue
		}
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(bot.Text(lang, b.Label), b.Token))
	}
	return keyboardRow(row)
}

// replyKeyboard is the buttons of a reply: each one's callback_data is its
// command, which the bot runs when it comes back.
func replyKeyboard(buttons []bot.ReplyButton) *tgbotapi.InlineKeyboardMarkup {
	var row []tgbotapi.InlineKeyboardButton
	for _, b := range buttons {
		if b.Command == "" || len(b.Command) > maxCallbackData || b.Label == "" {
			continue
		}
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(b.Label, b.Command))
	}
	return keyboardRow(row)
}

func keyboardRow(row []tgbotapi.InlineKeyboardButton) *tgbotapi.InlineKeyboardMarkup {
	if row == nil {
		return nil
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(row)
	return &kb
}

// classify maps a Bot API error to the kinds the delivery scheduler knows
// (see bot.Sender): 429 → *alerts.RetryAfterError; a group that became a
// supergroup → *alerts.MigratedError; a blocked bot, a chat gone or a
// missing right → alerts.ErrUnreachable; anything else a plain error,
// retried.
func (a *Adapter) classify(err error, what string) error {
	var te *tgbotapi.Error
	if !errors.As(err, &te) {
		return fmt.Errorf("telegram: %s: %w", what, err)
	}
	switch {
	case te.Code == 429:
		after := time.Duration(te.RetryAfter) * time.Second
		if after <= 0 {
			after = time.Second
		}
		return &alerts.RetryAfterError{After: after, Err: fmt.Errorf("telegram: %s: %w", what, err)}
	case te.MigrateToChatID != 0:
		return &alerts.MigratedError{NewChatID: strconv.FormatInt(te.MigrateToChatID, 10)}
	case te.Code == 403, te.Code == 400 && unreachable(te.Message):
		return fmt.Errorf("telegram: %s: %s: %w", what, te.Message, alerts.ErrUnreachable)
	}
	return fmt.Errorf("telegram: %s: %d %w", what, te.Code, err)
}

// unreachable tells the 400 answers that mean the chat is gone or the bot
// may not post there from the ones a retry could fix.
func unreachable(desc string) bool {
	d := strings.ToLower(desc)
	for _, s := range []string{
		"chat not found",
		"peer_id_invalid",
		"have no rights to send",
		"not enough rights to send",
		"need administrator rights",
		"chat_write_forbidden",
		"user is deactivated",
		"message thread not found", // the forum topic was deleted
		"topic_closed",
		"topic_deleted",
	} {
		if strings.Contains(d, s) {
			return true
		}
	}
	return false
}
