package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/herald-news/herald/adapters/feeds"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage"
)

// platform is a chat platform adapter as the service runs it.
type platform interface {
	bot.Sender
	Run(ctx context.Context) error
	Ready() bool
}

// serviceStore is the store as the service uses it: the bot's roles and
// the adapters' named values. storage.DB (bbolt) and jetstream.Store
// (cluster mode) are both one.
type serviceStore interface {
	bot.Store
	feeds.BatchStateStore
}

// handler forwards platform events to the bot, which is built after the
// adapters (it needs them as senders).
type handler struct{ b atomic.Pointer[bot.Bot] }

func (h *handler) HandleCommand(ctx context.Context, c bot.Command) bot.Reply {
	b := h.b.Load()
	if b == nil {
		return bot.Reply{Text: "Herald is starting; try again in a few seconds."}
	}
	return b.HandleCommand(ctx, c)
}
func (h *handler) TargetGone(ctx context.Context, id alerts.TargetID, reason string) error {
	if b := h.b.Load(); b != nil {
		return b.TargetGone(ctx, id, reason)
	}
	return errors.New("bot not started")
}
func (h *handler) TargetBack(ctx context.Context, id alerts.TargetID) error {
	if b := h.b.Load(); b != nil {
		return b.TargetBack(ctx, id)
	}
	return errors.New("bot not started")
}

// ReplyTurn paces a reply with the bot's pacing; before the bot is
// built, the "starting" replies go unpaced.
func (h *handler) ReplyTurn(ctx context.Context, t alerts.Target) (func(), error) {
	if b := h.b.Load(); b != nil {
		return b.ReplyTurn(ctx, t)
	}
	return func() {}, nil
}
func (h *handler) TargetMigrated(ctx context.Context, from, to alerts.TargetID) error {
	if b := h.b.Load(); b != nil {
		return b.TargetMigrated(ctx, from, to)
	}
	return errors.New("bot not started")
}

// serve runs Herald until ctx ends: the store, the matcher, the feeds, the
// platforms and the HTTP server. started, if not nil, is called with the
// HTTP server's address once it listens.
func serve(ctx context.Context, cfg config, log *slog.Logger, started func(httpAddr string)) error {
	var st serviceStore
	var db *storage.DB // nil in cluster mode
	var cl *cluster    // nil without HERALD_NATS_URL
	if cfg.NATSURL != "" {
		var err error
		if cl, err = openCluster(ctx, cfg, log); err != nil {
			return err
		}
		defer cl.store.Close()
		st = cl.store
	} else {
		var err error
		if db, err = storage.Open(cfg.DB, storage.Options{Log: log.With("part", "storage")}); err != nil {
			return err
		}
		defer func() {
			if err := db.Close(); err != nil {
				log.Error("Database not closed cleanly", "err", err)
			}
		}()
		st = db
		if cfg.opened != nil {
			cfg.opened(db)
		}
	}
	core, err := newCore(cfg, log)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "herald_db_map_releases_total",
			Help: "Times the store released the database file's pages from the process's memory (RSS); they stay in the page cache."},
			func() float64 { return float64(db.MapReleases()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "herald_db_page_writes_total",
				Help: "Writes of pages to the database file: one for each page a commit changed (with its overflow) and for each meta page."},
				func() float64 { return float64(db.PageWrites()) }))
	}

	feedList, err := loadFeeds(cfg.Feeds)
	if err != nil {
		return err
	}
	popts := feeds.PollerOptions{
		Feeds: feedList, MinInterval: cfg.PollMin, MaxInterval: cfg.PollMax,
		AllowPrivate: cfg.AllowPrivateFeeds, PublicURL: cfg.PublicURL, Extract: extractList(cfg.Extract, feedList),
	}
	var share bot.Share
	var owns bot.Owns
	var stories bot.Clusterer = core.clusterer
	if cl != nil {
		popts.Owner = cl
		owns = cl.sends
		cl.stories = newClusterStories(core.clusterer, cl.store)
		stories = cl.stories
		cl.registerMetrics(reg)
	}
	poller := feeds.NewPoller(popts, st, log.With("part", "feeds"))
	registerPollerMetrics(reg, poller)

	h := &handler{}
	plats, err := buildPlatforms(cfg, h, st, cl, log)
	if err != nil {
		return err
	}
	for _, p := range cfg.extra {
		if b, ok := p.(interface{ bind(*handler) }); ok {
			b.bind(h)
		}
		plats = append(plats, p)
	}
	senders := []bot.Sender{}
	for _, p := range plats {
		senders = append(senders, p)
	}
	if cl != nil {
		share = cl.budgetFor(senders)
	}
	b, err := bot.New(bot.Options{
		Store: st, Share: share, Owns: owns, Matcher: core.matcher, Parse: core.parse, Clusterer: stories, Summarize: core.summarize,
		Catalog: poller, Senders: senders, Log: log.With("part", "bot"), Metrics: bot.NewMetrics(reg),
		Limits: bot.Limits{SubsPerTarget: cfg.MaxSubs, QueryLength: cfg.MaxQueryLen, CommandsPerMinute: cfg.CommandsPerMinute,
			ChatSources: cfg.ChatSources, AllowedChats: cfg.AllowedChats},
	})
	if err != nil {
		return err
	}
	if cl != nil {
		if err := cl.beforeLoad(ctx, b); err != nil {
			return err
		}
	}
	loadStart := time.Now()
	n, err := loadSubscriptions(b)
	if err != nil {
		return fmt.Errorf("load subscriptions: %w", err)
	}
	if cl == nil {
		// In cluster mode the articles stream seeds the story window.
		if _, err := core.seedStories(db, time.Now()); err != nil {
			return err
		}
	}
	h.b.Store(b)
	log.Info("Herald starting", "db", cfg.DB, "subscriptions", n, "loaded_in", time.Since(loadStart).Round(time.Millisecond),
		"feeds", len(feedList), "platforms", len(plats))
	if len(plats) == 0 {
		log.Warn("No chat platform is on, so there is nobody to deliver to and no way to subscribe: " +
			"set HERALD_TELEGRAM_TOKEN or HERALD_DISCORD_TOKEN. Articles are still ingested and matched; " +
			"alerts for chats of a platform that is off wait in the outbox until it is on.")
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HERALD_HTTP_ADDR=%s: %w", cfg.HTTPAddr, err)
	}
	if db != nil {
		// herald backup finds this process by the address it listens on.
		if err := writeAddrFile(cfg.DB, ln.Addr()); err != nil {
			ln.Close()
			return err
		}
		defer os.Remove(addrFilePath(cfg.DB))
	}
	log.Info("HTTP server listening", "addr", ln.Addr().String(),
		"healthz", localURL(ln.Addr().String(), "/healthz"), "metrics", localURL(ln.Addr().String(), "/metrics"))
	mux := http.NewServeMux()
	ready := func() bool {
		if cl != nil && !cl.store.Ready() {
			return false
		}
		for _, p := range plats {
			if !p.Ready() {
				return false
			}
		}
		return true
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !ready() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
			return
		}
		writeJSON(w, 200, map[string]string{"status": "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/v1/articles", stampArrival(feeds.PushHandler(func(ctx context.Context, a alerts.Article) (string, bool, error) {
		if a.Ingested.IsZero() {
			a.Ingested = arrivedAt(ctx)
		}
		id, res, err := b.Ingest(ctx, a)
		return id, res != bot.Ingested, err
	}, cfg.IngestToken, log.With("part", "push"))))
	adminToken, err := writeAdminToken(cfg.DB)
	if err != nil {
		return err
	}
	if db != nil {
		mux.Handle("GET /v1/backup", requireAdmin(adminToken, backupHandler(db, log.With("part", "backup"))))
	}
	mux.Handle("/websub/", poller.Handler())
	mux.Handle("GET /v1/sources.opml", requireAdmin(adminToken, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x-opml; charset=utf-8")
		if err := feeds.WriteOPML(w, poller.Sources()); err != nil {
			log.Error("OPML export failed", "err", err)
		}
	})))
	mux.Handle("DELETE /v1/sources", requireAdmin(adminToken, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The operator's way to take out a feed some chat added.
		u := r.URL.Query().Get("url")
		if u == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "give the feed as ?url=…, as GET /v1/sources.opml lists it"})
			return
		}
		known := false
		for _, s := range poller.Sources() {
			known = known || s.URL == u
		}
		if !known {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": u + " is not among the sources"})
			return
		}
		if err := poller.RemoveSource(r.Context(), u, ""); err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"removed": u})
	})))
	for _, p := range plats {
		if wh, ok := p.(interface{ WebhookHandler() http.Handler }); ok && cfg.TelegramWebhookURL != "" {
			mux.Handle("/telegram/webhook", wh.WebhookHandler())
		}
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}

	g, gctx := errgroup.WithContext(ctx)
	if db != nil {
		g.Go(func() error {
			// Damage found in use stops everything: bbolt cannot be
			// trusted with another write.
			select {
			case <-gctx.Done():
				return nil
			case <-db.Damaged():
				return db.Err()
			}
		})
	}
	if cl != nil {
		cl.run(gctx, b, poller, log.With("part", "cluster"))
	}
	articles := make(chan alerts.Article, 256)
	g.Go(func() error { return b.Run(gctx, articles) })
	g.Go(func() error {
		defer close(articles) // the bot ingests what is left, then stops
		err := poller.Run(gctx, articles)
		if err != nil && gctx.Err() == nil {
			return fmt.Errorf("feeds: %w", err)
		}
		return nil
	})
	for _, p := range plats {
		g.Go(func() error {
			err := p.Run(gctx)
			if err != nil && gctx.Err() == nil {
				return fmt.Errorf("%s: %w", p.Platform(), err)
			}
			return nil
		})
	}
	g.Go(func() error {
		if started != nil {
			started(ln.Addr().String())
		}
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			// Idle connections that never sent a request count as busy
			// for a while; stopping is not a failure.
			log.Debug("HTTP server closed with connections open", "err", err)
			srv.Close()
		}
		return nil
	})
	err = g.Wait()
	log.Info("Herald stopped")
	return err
}

func loadFeeds(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	list, err := feeds.LoadFeedList(path)
	if err != nil {
		return nil, fmt.Errorf("HERALD_FEEDS=%s: %w", path, err)
	}
	return list, nil
}

// backupHandler serves a hot copy of the database (behind requireAdmin: a
// backup holds every chat's data). The copy is made to a temporary file
// first, so a client that reads slowly, or stops, holds back no write.
func backupHandler(db *storage.DB, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		snap, n, err := db.Snapshot()
		if err != nil {
			log.Error("Backup failed", "err", err)
			code := http.StatusInternalServerError
			switch {
			case errors.Is(err, storage.ErrBackupRunning):
				code = http.StatusConflict
			case errors.Is(err, storage.ErrNoRoomForBackup), errors.Is(err, syscall.ENOSPC):
				code = http.StatusInsufficientStorage
			}
			writeJSON(w, code, map[string]string{"error": err.Error()})
			return
		}
		defer snap.Close()
		// The copy takes disk space until it is sent: a client that stops
		// reading is cut off after a while.
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(30 * time.Minute))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		if _, err := io.Copy(w, snap); err != nil {
			log.Warn("Backup not sent whole", "err", err)
		}
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// registerPollerMetrics exposes the feed poller's counters.
func registerPollerMetrics(reg prometheus.Registerer, p *feeds.Poller) {
	for _, c := range []struct {
		name, help string
		get        func(feeds.PollerStats) uint64
	}{
		{"herald_feed_polls_total", "Feed fetches attempted.", func(s feeds.PollerStats) uint64 { return s.Polls }},
		{"herald_feed_not_modified_total", "Feed fetches answered 304 Not Modified, or of a local file that had not changed.", func(s feeds.PollerStats) uint64 { return s.NotModified }},
		{"herald_feed_failures_total", "Feed fetches or parses that failed: network and HTTP errors, unreadable feeds.", func(s feeds.PollerStats) uint64 { return s.Failures }},
		{"herald_feed_articles_total", "New articles read from feeds and handed to the pipeline.", func(s feeds.PollerStats) uint64 { return s.Articles }},
		{"herald_websub_pushes_total", "WebSub notifications accepted from hubs.", func(s feeds.PollerStats) uint64 { return s.Pushes }},
		{"herald_websub_bad_signatures_total", "WebSub notifications refused for a missing or wrong signature.", func(s feeds.PollerStats) uint64 { return s.BadSignatures }},
		{"herald_feed_floods_total", "Feed polls that found more new items than the flood cap and took them as the new baseline instead of alerting.", func(s feeds.PollerStats) uint64 { return s.Floods }},
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
			func() float64 { return float64(c.get(p.Stats())) }))
	}
	reg.MustRegister(feedStates{p: p, desc: prometheus.NewDesc("herald_feeds",
		"Feeds by health: ok, failing (since the last good fetch), disabled (failing for days).", []string{"state"}, nil)})
}

// feedStates is the herald_feeds gauge: how many feeds are ok, failing or
// disabled, counted at each scrape, so an operator can alert on feeds
// that stopped working.
type feedStates struct {
	p    *feeds.Poller
	desc *prometheus.Desc
}

func (c feedStates) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c feedStates) Collect(ch chan<- prometheus.Metric) {
	n := map[string]int{feeds.StateOK: 0, feeds.StateFailing: 0, feeds.StateDisabled: 0}
	for _, s := range c.p.Sources() {
		n[s.State]++
	}
	for state, count := range n {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(count), state)
	}
}

// extractList expands HERALD_EXTRACT: "all" means every configured feed.
func extractList(extract, feedList []string) []string {
	for _, e := range extract {
		if strings.EqualFold(e, "all") {
			return feedList
		}
	}
	return extract
}
