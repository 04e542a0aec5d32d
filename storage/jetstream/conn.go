package jetstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-news/herald/alerts"
)

// Options configure Open. URL is required.
type Options struct {
	// URL is one or more comma-separated nats:// or tls:// URLs
	// (HERALD_NATS_URL).
	URL string
	// Creds is the content of a NATS credentials file (a user JWT and its
	// seed: HERALD_NATS_CREDS, or the file HERALD_NATS_CREDS_FILE names).
	Creds string
	// Prefix names the deployment's buckets, streams and subjects
	// (HERALD_NATS_PREFIX); default "herald".
	Prefix string
	// Name identifies this process in leases and membership; default a
	// random ID. It must be unique in the deployment.
	Name string
	// Retention is how long articles, stories and the delivery log are
	// kept; default 30 days.
	Retention time.Duration
	// Partitions is how many parts the outbox is split into (by chat);
	// default 32. Every process of a deployment must use the same number.
	Partitions int
	// LeaseTTL is how long a lease outlives its holder's last renewal;
	// default 6 s.
	LeaseTTL time.Duration
	// Replicas overrides the replica count (default: 3 when the cluster
	// has three or more servers, else 1).
	Replicas int
	// Timeout bounds each store method, retries of transient failures
	// included (a server lost, a leader elected); default 20 s, at most
	// 25 s: an outbox entry counted in its index must be created within
	// phantomAge, or a refill may count it out.
	Timeout time.Duration
	Log     *slog.Logger
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

func (o *Options) fill() error {
	if strings.TrimSpace(o.URL) == "" {
		return errors.New("no NATS URL")
	}
	for _, u := range strings.Split(o.URL, ",") {
		u = strings.TrimSpace(u)
		if !strings.HasPrefix(u, "nats://") && !strings.HasPrefix(u, "tls://") {
			return fmt.Errorf("%q is not a nats:// or tls:// URL", u)
		}
	}
	if o.Prefix == "" {
		o.Prefix = "herald"
	}
	if !prefixRE.MatchString(o.Prefix) {
		return fmt.Errorf("prefix %q: want letters, digits, - and _ (at most 32, starting with a letter or digit)", o.Prefix)
	}
	if o.Name == "" {
		o.Name = nats.NewInbox()[len("_INBOX."):]
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.Partitions <= 0 {
		o.Partitions = 32
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 6 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	o.Timeout = min(o.Timeout, phantomAge-5*time.Second)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Store is the cluster store: one NATS connection, its buckets and stream.
// It is safe for concurrent use.
type Store struct {
	opts Options
	nc   *nats.Conn
	js   jetstream.JetStream
	log  *slog.Logger

	targets, subs, meta, articles, stories, sentLog, outbox, leases, members jetstream.KeyValue
	articleStream, intentStream                                              string
	intents                                                                  *intents
	following                                                                atomic.Bool
	replicas                                                                 int

	// owned says which outbox partitions this process sends from; nil
	// means all of them (a single process, or a test).
	owned atomic.Pointer[func(int) bool]
	// own holds the revisions of the outbox entries this process wrote
	// while WatchOutbox runs (key → revision).
	own            sync.Map
	watchingOutbox atomic.Bool
	keyMu          sync.Mutex
	targetOf       map[string]alerts.TargetID // delivery ID → its target, for the entries seen here
	ready          atomic.Bool
	// articlesLag and subsLag are the pending counts the article
	// consumer and the subscription watch last reported.
	articlesLag, subsLag atomic.Uint64
}

// Open connects to NATS and creates (or updates) the deployment's buckets
// and stream. It fails when NATS cannot be reached or refuses the
// configuration; the caller retries.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if err := opts.fill(); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	nopts := []nats.Option{
		nats.Name("herald " + opts.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.Timeout(opts.Timeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				opts.Log.Warn("NATS connection lost; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { opts.Log.Info("NATS reconnected", "server", nc.ConnectedUrlRedacted()) }),
	}
	if opts.Creds != "" {
		userJWT, err := jwt.ParseDecoratedJWT([]byte(opts.Creds))
		if err != nil {
			return nil, fmt.Errorf("nats: credentials: %w", err)
		}
		kp, err := jwt.ParseDecoratedNKey([]byte(opts.Creds))
		if err != nil {
			return nil, fmt.Errorf("nats: credentials: %w", err)
		}
		seed, err := kp.Seed()
		if err != nil {
			return nil, fmt.Errorf("nats: credentials: %w", err)
		}
		nopts = append(nopts, nats.UserJWTAndSeed(userJWT, string(seed)))
	}
	nc, err := nats.Connect(opts.URL, nopts...)
	if err != nil {
		return nil, fmt.Errorf("nats: connect: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: %w", err)
	}
	s := &Store{opts: opts, nc: nc, js: js, log: opts.Log, intents: &intents{changed: make(chan struct{})}}
	if err := s.setup(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	s.ready.Store(true)
	return s, nil
}

// clusterSize is how many servers the connection knows of: the URLs given
// and those the servers announced.
func clusterSize(nc *nats.Conn) int {
	seen := map[string]bool{}
	for _, u := range nc.Servers() {
		seen[u] = true
	}
	return len(seen)
}

func (s *Store) setup(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 4*s.opts.Timeout)
	defer cancel()
	s.replicas = s.opts.Replicas
	if s.replicas <= 0 {
		s.replicas = 1
		if clusterSize(s.nc) >= 3 {
			s.replicas = 3
		}
	}
	p := s.opts.Prefix
	type spec struct {
		dst  *jetstream.KeyValue
		name string
		ttl  time.Duration
		hist uint8
		// markers keeps a removed key's marker for markerTTL only.
		markers bool
	}
	specs := []spec{
		{&s.targets, "targets", 0, 1, false},
		{&s.subs, "subs", 0, 1, false},
		{&s.meta, "meta", 0, 1, false},
		{&s.outbox, "outbox", 0, 1, true},
		{&s.articles, "articles", s.opts.Retention, 1, false},
		{&s.stories, "stories", s.opts.Retention, 1, false},
		{&s.sentLog, "log", s.opts.Retention, 1, false},
		{&s.leases, "leases", s.opts.LeaseTTL, 1, false},
		{&s.members, "members", s.opts.LeaseTTL, 1, false},
	}
	for _, sp := range specs {
		name := p + "_" + sp.name
		kvc := jetstream.KeyValueConfig{
			Bucket: name, History: sp.hist, TTL: sp.ttl, Replicas: s.replicas,
			Description: "Herald " + sp.name,
		}
		if sp.markers {
			kvc.LimitMarkerTTL = markerTTL
		}
		_, err := s.js.CreateOrUpdateKeyValue(ctx, kvc)
		if err != nil {
			return fmt.Errorf("nats: bucket %s: %w", name, err)
		}
		// Reads go to the stream leader: a replica's direct get may not
		// yet have a write the leader acknowledged, and dedupe, leases and
		// the outbox must see their own writes.
		st, err := s.js.Stream(ctx, "KV_"+name)
		if err != nil {
			return fmt.Errorf("nats: bucket %s: %w", name, err)
		}
		cfg := st.CachedInfo().Config
		if cfg.AllowDirect {
			cfg.AllowDirect = false
			if _, err := s.js.UpdateStream(ctx, cfg); err != nil {
				return fmt.Errorf("nats: bucket %s: %w", name, err)
			}
		}
		kv, err := s.js.KeyValue(ctx, name)
		if err != nil {
			return fmt.Errorf("nats: bucket %s: %w", name, err)
		}
		if sp.name == "leases" || sp.name == "members" {
			*sp.dst = kv // a lease round must not outlast the lease
		} else {
			*sp.dst = retryKV{kv}
		}
	}
	s.articleStream = strings.ToUpper(p) + "_ARTICLES"
	_, err := s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: s.articleStream, Subjects: []string{p + ".articles.>"}, MaxAge: s.opts.Retention,
		Replicas: s.replicas, Duplicates: 2 * time.Minute, Storage: jetstream.FileStorage,
		Description: "Herald: committed articles, for every process's story window",
	})
	if err != nil {
		return fmt.Errorf("nats: stream %s: %w", s.articleStream, err)
	}
	s.intentStream = strings.ToUpper(p) + "_INTENTS"
	_, err = s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: s.intentStream, Subjects: []string{p + ".intents.>"}, MaxAge: intentsAge,
		Replicas: s.replicas, Storage: jetstream.FileStorage,
		Description: "Herald: articles about to be assigned a story, in the deployment's order",
	})
	if err != nil {
		return fmt.Errorf("nats: stream %s: %w", s.intentStream, err)
	}
	return nil
}

// Ready reports whether the store is connected and its buckets exist:
// /readyz in cluster mode.
func (s *Store) Ready() bool { return s.ready.Load() && s.nc.IsConnected() }

// Name is this process's name in the deployment.
func (s *Store) Name() string { return s.opts.Name }

// Replicas is the replica count the buckets were created with.
func (s *Store) Replicas() int { return s.replicas }

// Partitions is the number of outbox partitions.
func (s *Store) Partitions() int { return s.opts.Partitions }

// Conn is the NATS connection, for the coordination in this package's
// other types.
func (s *Store) Conn() *nats.Conn { return s.nc }

// Close drains the connection.
func (s *Store) Close() error {
	s.ready.Store(false)
	return s.nc.Drain()
}

func (s *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.opts.Timeout)
}
