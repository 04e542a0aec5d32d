package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// allowedUpdates are the update kinds Herald asks for.
var allowedUpdates = []string{"message", "channel_post", "callback_query", "my_chat_member"}

// Run receives updates until ctx is cancelled: long polling, or with
// Options.WebhookURL a webhook registered with Telegram and served by
// WebhookHandler. It returns nil on cancellation.
func (a *Adapter) Run(ctx context.Context) error {
	if a.h() == nil {
		return errors.New("telegram: Run without a Handler")
	}
	if a.opts.Store == nil {
		return errors.New("telegram: Run without a Store")
	}
	if err := a.loadOffset(); err != nil {
		return err
	}
	if !a.retry(ctx, "getMe", a.getMe) {
		return nil
	}
	go a.setCommands(ctx)
	if a.opts.WebhookURL != "" {
		if !a.retry(ctx, "setWebhook", a.setWebhook) {
			return nil
		}
		a.ready.Store(true)
		a.log.Info("Telegram webhook set", "url", a.opts.WebhookURL)
		<-ctx.Done()
		a.ready.Store(false)
		return nil
	}
	// A webhook left over from an earlier run makes getUpdates fail.
	if !a.retry(ctx, "deleteWebhook", func(ctx context.Context) error {
		_, err := a.call(ctx, "deleteWebhook", nil)
		return err
	}) {
		return nil
	}
	a.ready.Store(true)
	defer a.ready.Store(false)
	if a.opts.Leader == nil {
		return a.poll(ctx)
	}
	for {
		lctx, ok := a.opts.Leader.Lead(ctx)
		if !ok {
			return nil
		}
		// The last poller's offset: it handled every update before it.
		if err := a.loadOffset(); err != nil {
			a.log.Error("Telegram update offset unreadable", "err", err)
		}
		a.log.Info("Telegram long poll taken up by this process")
		a.poll(lctx)
		if ctx.Err() != nil {
			return nil
		}
		a.log.Info("Telegram long poll handed over")
	}
}

// retry runs fn until it succeeds or ctx ends (then false), backing off and
// logging each new error once.
func (a *Adapter) retry(ctx context.Context, what string, fn func(context.Context) error) bool {
	delay := a.opts.RetryDelay
	var last string
	for {
		err := fn(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if msg := err.Error(); msg != last {
			a.log.Warn("Telegram call failed; retrying", "method", what, "err", err)
			last = msg
		}
		if !sleep(ctx, retryDelay(err, delay)) {
			return false
		}
		delay = min(delay*2, time.Minute)
	}
}

// retryDelay honours a 429's retry_after.
func retryDelay(err error, d time.Duration) time.Duration {
	var te *tgbotapi.Error
	if errors.As(err, &te) && te.RetryAfter > 0 {
		return time.Duration(te.RetryAfter) * time.Second
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// setCommands registers the command menu; a failure is only logged.
func (a *Adapter) setCommands(ctx context.Context) {
	var cmds []tgbotapi.BotCommand
	for _, s := range bot.CommandSpecs() {
		d := s.Description
		if utf8.RuneCountInString(d) > 256 {
			d = string([]rune(d)[:255]) + "…"
		}
		cmds = append(cmds, tgbotapi.BotCommand{Command: s.Name, Description: d})
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
	defer cancel()
	if _, err := a.client(ctx).Request(tgbotapi.NewSetMyCommands(cmds...)); err != nil {
		a.log.Warn("Telegram setMyCommands failed; the command menu may be stale", "err", a.redact(err))
	}
}

func (a *Adapter) setWebhook(ctx context.Context) error {
	p := tgbotapi.Params{"url": a.opts.WebhookURL, "secret_token": a.opts.WebhookSecret}
	if err := p.AddInterface("allowed_updates", allowedUpdates); err != nil {
		return err
	}
	_, err := a.call(ctx, "setWebhook", p)
	return err
}

func (a *Adapter) loadOffset() error {
	b, err := a.opts.Store.GetMeta(offsetKey)
	if errors.Is(err, alerts.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("telegram: read update offset: %w", err)
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		a.log.Warn("Telegram update offset unreadable; starting over", "value", string(b))
		return nil
	}
	a.mu.Lock()
	a.lastUpdate = n - 1
	a.mu.Unlock()
	return nil
}

// saveOffset records that every update up to id was handled.
func (a *Adapter) saveOffset(id int) {
	a.mu.Lock()
	a.lastUpdate = id
	a.mu.Unlock()
	if err := a.opts.Store.PutMeta(offsetKey, []byte(strconv.Itoa(id+1))); err != nil {
		a.log.Error("Telegram update offset not saved; updates may be handled twice after a restart", "err", err)
	}
}

// seen reports whether a webhook update was handled recently (Telegram
// resends an update it did not see answered), and marks it handled.
// Update IDs are not compared by size: after a quiet week Telegram starts
// them again at random.
func (a *Adapter) seen(id int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.recent {
		if r == id {
			return true
		}
	}
	if len(a.recent) >= 256 {
		a.recent = a.recent[1:]
	}
	a.recent = append(a.recent, id)
	return false
}

func (a *Adapter) poll(ctx context.Context) error {
	allowed, _ := json.Marshal(allowedUpdates)
	delay := a.opts.RetryDelay
	var lastErr string
	for ctx.Err() == nil {
		a.mu.Lock()
		offset := a.lastUpdate + 1
		a.mu.Unlock()
		p := tgbotapi.Params{
			"timeout":         strconv.Itoa(max(1, int(a.opts.PollTimeout/time.Second))),
			"allowed_updates": string(allowed),
		}
		if offset > 1 {
			p["offset"] = strconv.Itoa(offset)
		}
		// No RequestTimeout here: the client's own timeout exceeds the poll,
		// and ctx cancels it at once on shutdown.
		resp, err := a.client(ctx).MakeRequest("getUpdates", p)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			err = a.redact(err)
			if msg := err.Error(); msg != lastErr {
				a.log.Warn("Telegram getUpdates failed; retrying", "err", err)
				lastErr = msg
			}
			if !sleep(ctx, retryDelay(err, delay)) {
				return nil
			}
			delay = min(delay*2, time.Minute)
			continue
		}
		delay, lastErr = a.opts.RetryDelay, ""
		var raw []json.RawMessage
		if err := json.Unmarshal(resp.Result, &raw); err != nil {
			a.log.Error("Telegram getUpdates answer unreadable", "err", err)
			continue
		}
		last := 0
		for _, r := range raw {
			if ctx.Err() != nil {
				break // the rest comes again after a restart
			}
			u, tp, err := decodeUpdate(r)
			if err != nil {
				// Skip it rather than ask for it forever.
				var id struct {
					UpdateID int `json:"update_id"`
				}
				json.Unmarshal(r, &id)
				a.log.Warn("Telegram update unreadable; skipped", "update_id", id.UpdateID, "err", err)
				last = max(last, id.UpdateID)
				continue
			}
			a.handleUpdate(ctx, &u, tp)
			last = max(last, u.UpdateID)
		}
		if last > 0 {
			a.saveOffset(last)
		}
	}
	return nil
}

// WebhookHandler serves the updates Telegram posts to Options.WebhookURL.
// It checks X-Telegram-Bot-Api-Secret-Token and handles each update before
// answering, so Telegram delivers them in order and retries on failure.
func (a *Adapter) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if a.opts.WebhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.opts.WebhookSecret)) != 1 {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if !a.Ready() || a.h() == nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		u, tp, err := decodeUpdate(body)
		if err != nil {
			// Telegram would resend a bad update forever; accept and drop it.
			a.log.Warn("Telegram webhook update unreadable; dropped", "err", err)
			w.WriteHeader(http.StatusOK)
			return
		}
		if !a.seen(u.UpdateID) {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*a.opts.RequestTimeout)
			a.handleUpdate(ctx, &u, tp)
			cancel()
		}
		w.WriteHeader(http.StatusOK)
	})
}
