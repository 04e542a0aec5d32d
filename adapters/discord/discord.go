package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/cenkalti/backoff/v5"
	"github.com/gorilla/websocket"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// DefaultAPIBase is Discord's REST base, including the API version.
const DefaultAPIBase = "https://discord.com/api/v10"

// Options configure an Adapter. Only Token is required.
type Options struct {
	// Token is the bare bot token; the adapter adds "Bot ".
	Token string
	// APIBase is the REST base including the version (HERALD_DISCORD_API);
	// default DefaultAPIBase. The gateway URL is asked from it.
	APIBase string
	// Shards is the number of gateway shards (HERALD_DISCORD_SHARDS);
	// default 1. Without ShardLeader this process runs them all; with it,
	// it is the deployment's total and this process runs those it leads.
	Shards int
	// ShardLeader, when set, decides which shards this process runs: in a
	// deployment of several processes each shard runs in exactly one.
	ShardLeader ShardLeader
	// IdentifyGate, when set, spaces this process's session starts
	// against the other processes' (with ShardLeader).
	IdentifyGate IdentifyGate
	// HTTPClient carries REST requests; its Transport is wrapped to reach
	// APIBase. Default: a client with a 20 s timeout.
	HTTPClient *http.Client
	// Handler receives commands; it may also be set later with SetHandler.
	Handler bot.Handler
	Log     *slog.Logger
}

// ShardLeader hands out gateway shards. Lead blocks until this process
// may run the shard and returns a context that ends when it may no longer;
// ok is false when ctx ended first.
type ShardLeader interface {
	Lead(ctx context.Context, shard int) (lctx context.Context, ok bool)
}

// IdentifyGate spaces gateway session starts across a deployment: Discord
// lets a bot start max_concurrency sessions per 5 seconds, one per rate
// limit bucket (shard % max_concurrency). WaitIdentify returns once this
// process may send an IDENTIFY in bucket, or ctx's error.
type IdentifyGate interface {
	WaitIdentify(ctx context.Context, bucket int) error
}

// Adapter is Herald on Discord: a bot.Sender for alerts, and gateway shards
// that turn slash commands and button clicks into bot.Commands.
type Adapter struct {
	log     *slog.Logger
	token   string
	shards  []*discordgo.Session
	rest    *discordgo.Session // shard 0; carries every send
	invalid *invalidCounter
	// globalUntil (Unix nanoseconds) is when a global 429 ends.
	globalUntil atomic.Int64
	now         func() time.Time

	handler atomic.Pointer[handlerBox]
	ready   []atomic.Bool
	// running marks the shards this process runs (all of them without a
	// ShardLeader); Ready looks only at those.
	running  []atomic.Bool
	leader   ShardLeader
	identify IdentifyGate
	// conc is max_concurrency, as GET /gateway/bot told it.
	conc  int
	appID atomic.Pointer[string]

	// retryBase is the first wait between failed gateway opens or command
	// syncs; it doubles up to retryMax (see retryPolicy).
	retryBase, retryMax time.Duration
	// commandTimeout bounds one HandleCommand call.
	commandTimeout time.Duration
	// patience is how long an interaction may go unanswered before the
	// adapter defers it: Discord drops one not acknowledged within 3 s.
	patience time.Duration
	// closeWait bounds how long Run waits for the shards to close.
	closeWait time.Duration
	// identifyGap spaces the first IDENTIFYs of shards: Discord allows
	// max_concurrency session starts per 5 seconds.
	identifyGap time.Duration

	guildsMu sync.Mutex
	guilds   map[string][]string // guild ID → channel IDs seen
	forums   map[string]bool     // forum and media channels seen
	forumOf  map[string]string   // a forum post's thread → its forum

	runCtx atomic.Pointer[context.Context]
	synced chan struct{}
}

type handlerBox struct{ h bot.Handler }

var _ bot.Sender = (*Adapter)(nil)

// New builds the adapter. It makes no network call; Run connects.
func New(opts Options) (*Adapter, error) {
	opts.Token = strings.TrimPrefix(strings.TrimSpace(opts.Token), "Bot ")
	if opts.Token == "" {
		return nil, errors.New("discord: no token")
	}
	if opts.Shards <= 0 {
		opts.Shards = 1
	}
	if opts.APIBase == "" {
		opts.APIBase = DefaultAPIBase
	}
	base, err := url.Parse(strings.TrimRight(opts.APIBase, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("discord: API base %q is not an http(s) URL", opts.APIBase)
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		client = &c
	}
	a := &Adapter{
		log:            opts.Log,
		token:          "Bot " + opts.Token,
		invalid:        newInvalidCounter(invalidWindow, invalidLimit, time.Now),
		now:            time.Now,
		ready:          make([]atomic.Bool, opts.Shards),
		running:        make([]atomic.Bool, opts.Shards),
		leader:         opts.ShardLeader,
		identify:       opts.IdentifyGate,
		conc:           1,
		retryBase:      time.Second,
		retryMax:       2 * time.Minute,
		commandTimeout: 5 * time.Minute,
		patience:       2500 * time.Millisecond,
		identifyGap:    5*time.Second + 250*time.Millisecond,
		closeWait:      3 * time.Second,
		guilds:         map[string][]string{},
		forums:         map[string]bool{},
		forumOf:        map[string]string{},
		synced:         make(chan struct{}),
	}
	client.Transport = &rewriteTransport{base: base, next: client.Transport, observe: a.observe}
	if opts.Handler != nil {
		a.SetHandler(opts.Handler)
	}
	for i := range opts.Shards {
		s, err := discordgo.New(a.token)
		if err != nil {
			return nil, fmt.Errorf("discord: new session: %w", err)
		}
		s.Client = client
		s.ShardID, s.ShardCount = i, opts.Shards
		s.Identify.Intents = discordgo.IntentsGuilds
		s.Identify.Compress = false
		s.Compress = false
		// The adapter keeps the little it needs (guild channels for
		// GUILD_DELETE); discordgo's state would hold every guild.
		s.StateEnabled = false
		s.LogLevel = discordgo.LogError
		// Gateway events are handled in order on the gateway goroutine;
		// interactions hand off to their own goroutine at once.
		s.SyncEvents = true
		if i > 0 {
			// One rate limiter for all shards, so per-route buckets and a
			// global 429 are seen process-wide.
			s.Ratelimiter = a.shardsRatelimiter()
		}
		a.addHandlers(s, i)
		a.shards = append(a.shards, s)
		if i == 0 {
			a.rest = s
		}
	}
	return a, nil
}

func (a *Adapter) shardsRatelimiter() *discordgo.RateLimiter { return a.shards[0].Ratelimiter }

// SetHandler sets who receives commands; call it before Run.
func (a *Adapter) SetHandler(h bot.Handler) { a.handler.Store(&handlerBox{h}) }

func (a *Adapter) h() bot.Handler {
	if b := a.handler.Load(); b != nil {
		return b.h
	}
	return nil
}

// Platform is Discord.
func (a *Adapter) Platform() alerts.Platform { return alerts.PlatformDiscord }

// Ready reports whether every shard this process runs has a live gateway
// session.
func (a *Adapter) Ready() bool {
	for i := range a.ready {
		if a.leader != nil && !a.running[i].Load() {
			continue
		}
		if !a.ready[i].Load() {
			return false
		}
	}
	return true
}

// Run connects every shard, syncs the application commands once, and
// serves interactions until ctx ends; then it closes the gateway
// connections and returns nil. A shard that cannot connect is retried with
// backoff; an authentication failure ends Run with an error.
func (a *Adapter) Run(ctx context.Context) error {
	a.runCtx.Store(&ctx)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	conc := 1
	if len(a.shards) > 1 {
		gb, err := a.rest.GatewayBot(discordgo.WithContext(ctx))
		if err == nil && gb.SessionStartLimit.MaxConcurrency > 0 {
			conc = gb.SessionStartLimit.MaxConcurrency
		}
	}
	a.conc = conc
	var wg sync.WaitGroup
	for i, s := range a.shards {
		if a.leader != nil {
			wg.Go(func() { a.leadShard(ctx, cancel, i, s) })
			continue
		}
		wg.Go(func() {
			select {
			case <-time.After(time.Duration(i/conc) * a.identifyGap):
			case <-ctx.Done():
				return
			}
			if err := a.openShard(ctx, i, s); err != nil {
				cancel(err)
			}
		})
	}
	wg.Go(func() { a.syncCommands(ctx) })
	<-ctx.Done()

	// Close without waiting for Discord: discordgo's Close sleeps a second
	// after the close frame, so the shards close side by side, and a shard
	// stuck in its handshake (Open holds the session's lock and has no read
	// deadline) is left to its goroutine after closeWait.
	closed := make(chan struct{})
	go func() {
		var cw sync.WaitGroup
		for i, s := range a.shards {
			cw.Go(func() {
				a.ready[i].Store(false)
				s.Close()
			})
		}
		cw.Wait()
		wg.Wait()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(a.closeWait):
		a.log.Warn("Discord gateway did not close in time; leaving it")
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// leadShard runs shard i whenever this process leads it: it opens the
// session when the shard comes to it and closes it when the shard moves
// to another process (one that joined, or took over from a dead one).
// Its IDENTIFY waits for the IdentifyGate, which spaces it against the
// other processes' (a reconnect discordgo makes on its own does not ask).
func (a *Adapter) leadShard(ctx context.Context, fail context.CancelCauseFunc, i int, s *discordgo.Session) {
	for {
		lctx, ok := a.leader.Lead(ctx, i)
		if !ok {
			return
		}
		a.running[i].Store(true)
		a.log.Info("Discord shard taken up by this process", "shard", i)
		if err := a.openShard(lctx, i, s); err != nil {
			fail(err)
			return
		}
		<-lctx.Done()
		a.ready[i].Store(false)
		if ctx.Err() != nil {
			a.running[i].Store(false)
			return // Run closes the sessions
		}
		s.Close()
		a.running[i].Store(false)
		a.log.Info("Discord shard handed over", "shard", i)
	}
}

// openShard opens one gateway session, retrying transient failures.
func (a *Adapter) openShard(ctx context.Context, i int, s *discordgo.Session) error {
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		if a.identify != nil {
			if err := a.identify.WaitIdentify(ctx, i%max(a.conc, 1)); err != nil {
				return struct{}{}, backoff.Permanent(err)
			}
		}
		done := make(chan error, 1)
		go func() {
			err := s.Open()
			if err == nil && ctx.Err() != nil {
				s.Close() // Run is over; don't leave a late connection open
			}
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-ctx.Done():
			return struct{}{}, ctx.Err()
		}
		if err == nil {
			return struct{}{}, nil
		}
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
			return struct{}{}, backoff.Permanent(fmt.Errorf("discord: the bot token was refused (HTTP 401 from %s)", "GET /gateway"))
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) && fatalClose(ce.Code) {
			return struct{}{}, backoff.Permanent(fmt.Errorf("discord: gateway shard %d refused: %s (close code %d)", i, ce.Text, ce.Code))
		}
		a.log.Warn("Discord gateway connection failed", "shard", i, "err", err)
		return struct{}{}, err
	}, a.retryPolicy()...)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// retryPolicy is how the adapter retries what must eventually succeed
// (gateway opens, the command sync): exponential from retryBase up to
// retryMax, with jitter, for as long as Run lives.
func (a *Adapter) retryPolicy() []backoff.RetryOption {
	return []backoff.RetryOption{
		backoff.WithBackOff(&backoff.ExponentialBackOff{InitialInterval: a.retryBase,
			RandomizationFactor: 0.2, Multiplier: 2, MaxInterval: a.retryMax}),
		backoff.WithMaxElapsedTime(0),
	}
}

// syncCommands overwrites the global application commands once the app ID
// is known, retrying failures (after a 429's Retry-After); it does not
// hold readiness.
func (a *Adapter) syncCommands(ctx context.Context) {
	select {
	case <-a.synced:
	case <-ctx.Done():
		return
	}
	appID := *a.appID.Load()
	cmds := applicationCommands(bot.CommandSpecs())
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		_, err := a.rest.ApplicationCommandBulkOverwrite(appID, "", cmds,
			discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		if err == nil || ctx.Err() != nil {
			return struct{}{}, err
		}
		a.log.Warn("Discord command sync failed", "err", err)
		var rl *discordgo.RateLimitError
		if errors.As(err, &rl) && rl.TooManyRequests != nil && rl.RetryAfter > 0 {
			return struct{}{}, &backoff.RetryAfterError{Duration: rl.RetryAfter}
		}
		return struct{}{}, err
	}, a.retryPolicy()...)
	if err == nil {
		a.log.Info("Discord application commands synced", "commands", len(cmds))
	}
}

// baseContext is Run's context, for work the gateway starts.
func (a *Adapter) baseContext() context.Context {
	if p := a.runCtx.Load(); p != nil {
		return *p
	}
	return context.Background()
}

// fatalClose reports gateway close codes that retrying cannot fix: a bad
// token, bad sharding, or intents the application may not use.
func fatalClose(code int) bool {
	switch code {
	case 4004, 4010, 4011, 4012, 4013, 4014:
		return true
	}
	return false
}
