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
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cenkalti/backoff/v5"
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
	if err := a.retryErr(ctx, "getMe", a.getMe); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
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

// retry runs fn until it succeeds or ctx ends (then false), backing off
// as retryPolicy says and logging each new error once.
func (a *Adapter) retry(ctx context.Context, what string, fn func(context.Context) error) bool {
	return a.retryErr(ctx, what, fn) == nil
}

// retryErr is retry that returns why it stopped: ctx's end, or an error fn
// marked permanent (backoff.Permanent).
func (a *Adapter) retryErr(ctx context.Context, what string, fn func(context.Context) error) error {
	var last string
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := fn(ctx)
		var perm *backoff.PermanentError
		if err == nil || ctx.Err() != nil || errors.As(err, &perm) {
			return struct{}{}, err
		}
		if msg := err.Error(); msg != last {
			a.log.Warn("Telegram call failed; retrying", "method", what, "err", err)
			last = msg
		}
		return struct{}{}, retryAfter(err)
	}, a.retryPolicy()...)
	return err
}

// retryPolicy is how every Bot API call that must eventually succeed is
// retried: exponential from Options.RetryDelay up to a minute, with jitter,
// for as long as the context lives.
func (a *Adapter) retryPolicy() []backoff.RetryOption {
	return []backoff.RetryOption{
		backoff.WithBackOff(&backoff.ExponentialBackOff{InitialInterval: a.opts.RetryDelay,
			RandomizationFactor: 0.2, Multiplier: 2, MaxInterval: time.Minute}),
		backoff.WithMaxElapsedTime(0),
	}
}

// retryAfter turns a 429's retry_after into the wait backoff honours.
func retryAfter(err error) error {
	var te *tgbotapi.Error
	if errors.As(err, &te) && te.RetryAfter > 0 {
		return &backoff.RetryAfterError{Duration: time.Duration(te.RetryAfter) * time.Second}
	}
	return err
}

// setCommands registers the command menu, in English for everyone and in
// each other language Herald speaks for users whose Telegram speaks it; a
// failure is only logged.
func (a *Adapter) setCommands(ctx context.Context) {
	for _, lang := range bot.Languages {
		var cmds []tgbotapi.BotCommand
		for _, s := range bot.CommandSpecsIn(lang) {
			d := s.Description
			if utf8.RuneCountInString(d) > 256 {
				d = string([]rune(d)[:255]) + "…"
			}
			cmds = append(cmds, tgbotapi.BotCommand{Command: s.Name, Description: d})
		}
		cfg := tgbotapi.NewSetMyCommands(cmds...)
		if lang != "en" {
			cfg = tgbotapi.NewSetMyCommandsWithScopeAndLanguage(tgbotapi.NewBotCommandScopeDefault(), lang, cmds...)
		}
		rctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
		_, err := a.client(rctx).Request(cfg)
		cancel()
		if err != nil {
			a.log.Warn("Telegram setMyCommands failed; the command menu may be stale", "language", lang, "err", a.redact(err))
		}
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
	getUpdates := func(ctx context.Context) (*tgbotapi.APIResponse, error) {
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
		// No RequestTimeout here: the client's own timeout exceeds the
		// poll, and ctx cancels it at once on shutdown.
		resp, err := a.client(ctx).MakeRequest("getUpdates", p)
		return resp, a.redact(err)
	}
	for ctx.Err() == nil {
		var resp *tgbotapi.APIResponse
		if !a.retry(ctx, "getUpdates", func(ctx context.Context) (err error) {
			resp, err = getUpdates(ctx)
			return err
		}) {
			return nil
		}
		var raw []json.RawMessage
		if err := json.Unmarshal(resp.Result, &raw); err != nil {
			a.log.Error("Telegram getUpdates answer unreadable", "err", err)
			continue
		}
		if last := a.handleBatch(ctx, raw); last > 0 {
			a.saveOffset(last)
		}
	}
	return nil
}

// chatWorkers bounds how many chats' updates are handled at once.
const chatWorkers = 32

// handleBatch handles one getUpdates answer and returns the highest update
// ID it is done with (with every update before it). Each chat's updates
// are handled in order, and chats side by side: a reply waiting for its
// chat's pace (a group gets one message every 3 s) holds back nobody
// else's.
func (a *Adapter) handleBatch(ctx context.Context, raw []json.RawMessage) int {
	type item struct {
		id      int
		u       tgbotapi.Update
		tp      updateTopics
		handled bool
	}
	items := make([]item, len(raw))
	var order []int64
	byChat := map[int64][]int{}
	for i, r := range raw {
		u, tp, err := decodeUpdate(r)
		if err != nil {
			// Skip it rather than ask for it forever.
			var id struct {
				UpdateID int `json:"update_id"`
			}
			json.Unmarshal(r, &id)
			a.log.Warn("Telegram update unreadable; skipped", "update_id", id.UpdateID, "err", err)
			items[i] = item{id: id.UpdateID, handled: true}
			continue
		}
		items[i] = item{id: u.UpdateID, u: u, tp: tp}
		chat := updateChat(&u)
		if _, ok := byChat[chat]; !ok {
			order = append(order, chat)
		}
		byChat[chat] = append(byChat[chat], i)
	}
	sem := make(chan struct{}, chatWorkers)
	var wg sync.WaitGroup
	for _, chat := range order {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, i := range byChat[chat] {
				if ctx.Err() != nil {
					return // the rest comes again after a restart
				}
				a.handleUpdate(ctx, &items[i].u, items[i].tp)
				items[i].handled = true
			}
		})
	}
	wg.Wait()
	last := 0
	for _, it := range items {
		if !it.handled {
			break
		}
		last = max(last, it.id)
	}
	return last
}

// updateChat is the chat an update concerns, 0 when it names none.
func updateChat(u *tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.ChannelPost != nil && u.ChannelPost.Chat != nil:
		return u.ChannelPost.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	}
	return 0
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
