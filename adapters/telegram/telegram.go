// Package telegram connects Herald to Telegram through the Bot API: commands
// and button presses come in (long polling or a webhook), alerts go out as
// HTML messages with an inline keyboard.
//
// It wraps github.com/go-telegram-bot-api/telegram-bot-api/v5 v5.5.1 and
// works around what that version lacks: requests take no context (each call
// runs on a copy of the client bound to the caller's context), getUpdates is
// our own loop so the offset is persisted, and link_preview_options and
// setWebhook's secret_token are sent with MakeRequest.
package telegram

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// DefaultAPIBase is Telegram's Bot API.
const DefaultAPIBase = "https://api.telegram.org"

// Store keeps the update offset across restarts. GetMeta wraps
// alerts.ErrNotFound when the key is missing.
type Store interface {
	GetMeta(key string) ([]byte, error)
	PutMeta(key string, v []byte) error
}

// Options configure an Adapter. Zero values mean the defaults.
type Options struct {
	// Token is the bot token from BotFather (required).
	Token string
	// APIBase is the Bot API base URL ("https://api.telegram.org", a local
	// Bot API server, a test server); "/bot<token>/<method>" is appended.
	APIBase string
	// WebhookURL, when set, makes Run register a webhook instead of long
	// polling; WebhookHandler serves it.
	WebhookURL string
	// WebhookSecret is checked in X-Telegram-Bot-Api-Secret-Token;
	// generated when empty.
	WebhookSecret string
	// PollTimeout is the long-poll timeout (default 50s).
	PollTimeout time.Duration
	// HTTPClient is used for every call; its Timeout is raised above
	// PollTimeout if needed.
	HTTPClient *http.Client
	// Handler receives commands; it may also be set later with SetHandler,
	// but before Run.
	Handler bot.Handler
	// Store keeps the update offset (required for Run).
	Store Store
	Log   *slog.Logger

	// RequestTimeout bounds each call other than getUpdates (default 30s).
	RequestTimeout time.Duration
	// RetryDelay is the first pause after a failed start-up call or poll,
	// doubled up to a minute (default 1s).
	RetryDelay time.Duration
	// AdminTTL is how long a getChatMember answer is trusted (default 1m).
	AdminTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Leader, when set, decides whether this process polls: in a
	// deployment of several processes one of them holds the long poll
	// (Telegram answers 409 Conflict to a second getUpdates). Nil: this
	// process always polls. Webhook mode ignores it: any process serves
	// the webhook.
	Leader Leader
}

// Leader hands out the right to long-poll. Lead blocks until this process
// may poll and returns a context that ends when it may no longer; ok is
// false when ctx ended first.
type Leader interface {
	Lead(ctx context.Context) (lctx context.Context, ok bool)
}

// offsetKey is the Store meta key of the next update ID to ask for.
const offsetKey = "telegram.update_offset"

// Adapter is Herald's Telegram platform: a bot.Sender for alerts and a
// receiver of commands. Create it with New, then call Run.
type Adapter struct {
	opts    Options
	log     *slog.Logger
	api     *tgbotapi.BotAPI // template; see client
	http    *http.Client
	handler atomic.Pointer[handlerBox]

	self  atomic.Pointer[tgbotapi.User]
	ready atomic.Bool

	mu     sync.Mutex
	admins map[adminKey]adminEntry
	// lastUpdate is the last update ID handled by polling; the next
	// getUpdates asks from lastUpdate+1.
	lastUpdate int
	// recent are update IDs the webhook handled lately.
	recent []int
}

type handlerBox struct{ h bot.Handler }

var _ bot.Sender = (*Adapter)(nil)

// New builds the adapter. It makes no network call; Run identifies the bot
// (getMe) and starts receiving updates.
func New(opts Options) (*Adapter, error) {
	if opts.Token == "" {
		return nil, errors.New("telegram: no bot token")
	}
	if opts.APIBase == "" {
		opts.APIBase = DefaultAPIBase
	}
	if _, err := url.Parse(opts.APIBase); err != nil {
		return nil, fmt.Errorf("telegram: API base: %w", err)
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = 50 * time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	if opts.AdminTTL <= 0 {
		opts.AdminTTL = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.WebhookURL != "" && opts.WebhookSecret == "" {
		b := make([]byte, 24)
		rand.Read(b)
		opts.WebhookSecret = hex.EncodeToString(b)
	}
	hc := &http.Client{}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		hc = &c
	}
	if min := opts.PollTimeout + 15*time.Second; hc.Timeout == 0 || hc.Timeout < min {
		hc.Timeout = min
	}
	a := &Adapter{
		opts:   opts,
		log:    opts.Log.With("platform", "telegram"),
		http:   hc,
		admins: map[adminKey]adminEntry{},
	}
	// Built by hand rather than with NewBotAPIWithClient, which calls getMe
	// with no context and no way to retry.
	a.api = &tgbotapi.BotAPI{Token: opts.Token, Client: hc, Buffer: 100}
	a.api.SetAPIEndpoint(strings.TrimRight(opts.APIBase, "/") + "/bot%s/%s")
	if opts.Handler != nil {
		a.SetHandler(opts.Handler)
	}
	return a, nil
}

// SetHandler sets who receives commands; call it before Run.
func (a *Adapter) SetHandler(h bot.Handler) { a.handler.Store(&handlerBox{h}) }

func (a *Adapter) h() bot.Handler {
	if b := a.handler.Load(); b != nil {
		return b.h
	}
	return nil
}

// Platform is Telegram.
func (a *Adapter) Platform() alerts.Platform { return alerts.PlatformTelegram }

// Ready reports whether the bot knows who it is and receives updates.
func (a *Adapter) Ready() bool { return a.ready.Load() }

// BotUserName is the bot's @username, known once getMe succeeded.
func (a *Adapter) BotUserName() string {
	if u := a.self.Load(); u != nil {
		return u.UserName
	}
	return ""
}

func (a *Adapter) getMe(ctx context.Context) error {
	if a.self.Load() != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
	defer cancel()
	u, err := a.client(ctx).GetMe()
	if err != nil {
		var te *tgbotapi.Error
		if errors.As(err, &te) && (te.Code == http.StatusUnauthorized || te.Code == http.StatusNotFound) {
			return backoff.Permanent(fmt.Errorf("telegram: the Bot API rejected the token: %w", a.redact(err)))
		}
		return a.redact(err)
	}
	a.self.Store(&u)
	a.log.Info("Telegram bot identified", "username", u.UserName, "id", u.ID)
	return nil
}

// client returns a copy of the library client whose requests carry ctx, so
// they are cancelled with it. tgbotapi.BotAPI holds no locks, and the copy
// shares its endpoint and token.
func (a *Adapter) client(ctx context.Context) *tgbotapi.BotAPI {
	c := *a.api
	c.Client = ctxDoer{ctx: ctx, c: a.http, token: a.opts.Token}
	if u := a.self.Load(); u != nil {
		c.Self = *u
	}
	return &c
}

// call runs one Bot API method with a bounded context.
func (a *Adapter) call(ctx context.Context, method string, p tgbotapi.Params) (*tgbotapi.APIResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
	defer cancel()
	resp, err := a.client(ctx).MakeRequest(method, p)
	return resp, a.redact(err)
}

// ctxDoer attaches a context to the library's requests and keeps the token
// out of transport errors (a *url.Error carries the request URL).
type ctxDoer struct {
	ctx   context.Context
	c     *http.Client
	token string
}

func (d ctxDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.c.Do(req.WithContext(d.ctx))
	var ue *url.Error
	if err != nil && errors.As(err, &ue) {
		return nil, &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, d.token, "<token>"), Err: ue.Err}
	}
	return resp, err
}

// redact removes the token from an error's text, keeping it unwrappable.
func (a *Adapter) redact(err error) error {
	if err == nil || !strings.Contains(err.Error(), a.opts.Token) {
		return err
	}
	return redactedError{err: err, token: a.opts.Token}
}

type redactedError struct {
	err   error
	token string
}

func (e redactedError) Error() string { return strings.ReplaceAll(e.err.Error(), e.token, "<token>") }
func (e redactedError) Unwrap() error { return e.err }
