package telegram

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/herald-news/herald/bot"
)

// Files a command sends (/export, as a document) or reads (/import, a
// document in the message or in the one it replies to).

// attachment is the document a command message carries, or the one in
// the message it replies to.
func attachment(m *tgbotapi.Message) *tgbotapi.Document {
	if m.Document != nil {
		return m.Document
	}
	if m.ReplyToMessage != nil {
		return m.ReplyToMessage.Document
	}
	return nil
}

// download fetches a document a user sent, refusing one larger than
// bot.MaxFileSize before and while reading it.
func (a *Adapter) download(ctx context.Context, d *tgbotapi.Document) (*bot.File, error) {
	if d.FileSize > bot.MaxFileSize {
		return nil, fmt.Errorf("%s is %d KiB; the most I read is %d KiB", d.FileName, d.FileSize>>10, bot.MaxFileSize>>10)
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
	defer cancel()
	f, err := a.client(ctx).GetFile(tgbotapi.FileConfig{FileID: d.FileID})
	if err != nil {
		return nil, fmt.Errorf("telegram: getFile: %w", a.redact(err))
	}
	// The file's URL is the API base's, not the library's hard-coded one.
	u := strings.TrimRight(a.opts.APIBase, "/") + "/file/bot" + a.opts.Token + "/" + f.FilePath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("telegram: file %s: bad path", d.FileName)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram: download %s: %w", d.FileName, a.redact(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("telegram: download %s: HTTP %s", d.FileName, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, bot.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("telegram: download %s: %w", d.FileName, a.redact(err))
	}
	if len(data) > bot.MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d KiB, the most I read", d.FileName, bot.MaxFileSize>>10)
	}
	return &bot.File{Name: d.FileName, Data: data}, nil
}

// sendFile uploads a reply's file as a document (reply sends it in its
// turn of the bot's pacing).
func (a *Adapter) sendFile(ctx context.Context, chatID int64, thread int, f *bot.File) error {
	p := tgbotapi.Params{"chat_id": strconv.FormatInt(chatID, 10)}
	if thread != 0 {
		p["message_thread_id"] = strconv.Itoa(thread)
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
	defer cancel()
	_, err := a.client(ctx).UploadFiles("sendDocument", p, []tgbotapi.RequestFile{
		{Name: "document", Data: tgbotapi.FileBytes{Name: f.Name, Bytes: f.Data}}})
	return a.redact(err)
}
