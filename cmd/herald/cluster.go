package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/herald-news/herald/adapters/feeds"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage/jetstream"
)

// Cluster mode (HERALD_NATS_URL): the store is NATS JetStream, shared by
// every herald process of the deployment, and the work is divided among
// them by leases: outbox partitions (by chat), feed partitions, Discord
// shards and the one Telegram long poll. Without HERALD_NATS_URL none of
// this runs.

// feedPartitions divides the feeds among the processes.
const feedPartitions = 64

// outboxSettle is how long a process waits before it sends from an
// outbox partition it just took: the longest per-chat interval (a group's
// 3 s), so a chat whose partition moved keeps its pacing.
const outboxSettle = 3 * time.Second

// discordIdentifyGap is how far apart the deployment starts two Discord
// sessions in one rate-limit bucket: Discord's 5 s, and a margin.
const discordIdentifyGap = 5*time.Second + 250*time.Millisecond

// cluster is this process's part in a deployment.
type cluster struct {
	store  *jetstream.Store
	coord  *jetstream.Coordinator
	outbox *jetstream.Set
	feeds  *jetstream.Set
	tg     *jetstream.Set
	dc     *jetstream.Set
	wake   func()
	// stories assigns stories across the deployment (cluster_story.go).
	stories *clusterStories
	// budget is this process's share of the send budgets.
	budget *jetstream.Budget
	// identify spaces the deployment's Discord session starts.
	identify *jetstream.IdentifyGate
	// watchSubs delivers subscription changes; started before the matcher
	// loads, run after.
	watchSubs func()
	metrics   *clusterMetrics

	mu         sync.Mutex
	heldOutbox map[int]bool // as of the last noteTakeover
}

// openCluster connects to NATS, retrying until it answers or ctx ends, and
// declares the leases.
func openCluster(ctx context.Context, cfg config, log *slog.Logger) (*cluster, error) {
	opts := jetstream.Options{URL: cfg.NATSURL, Creds: cfg.NATSCreds, Prefix: cfg.NATSPrefix,
		Log: log.With("part", "nats")}
	var st *jetstream.Store
	delay := 250 * time.Millisecond
	for {
		var err error
		st, err = jetstream.Open(ctx, opts)
		if err == nil {
			break
		}
		log.Warn("NATS not ready; retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("HERALD_NATS_URL: %w", err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
	c := &cluster{store: st, coord: st.NewCoordinator(), wake: func() {}}
	c.outbox = c.coord.Set("outbox", st.Partitions(), outboxSettle, func() { c.wake(); go c.noteTakeover() })
	st.SetOwned(c.outbox.Holds)
	c.feeds = c.coord.Set("feeds", feedPartitions, 0, nil)
	// A poll or shard given back is used by its new holder a moment
	// later, once the old holder closed it (discordgo's close takes a
	// second).
	c.tg = c.coord.Set("telegram", 1, time.Second, nil)
	c.dc = c.coord.Set("discord", max(1, cfg.DiscordShards), outboxSettle, nil)
	if cfg.DiscordToken != "" {
		var err error
		if c.identify, err = st.IdentifyGate(ctx, discordIdentifyGap); err != nil {
			return nil, err
		}
	}
	log.Info("Cluster mode", "process", st.Name(), "replicas", st.Replicas(), "prefix", cfg.NATSPrefix)
	return c, nil
}

// noteTakeover counts the deliveries queued in outbox partitions this
// process just took: work another process had, each of which that process
// may have been sending (a possible redelivery).
func (c *cluster) noteTakeover() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := map[int]bool{}
	for _, p := range c.outbox.Held() {
		now[p] = true
		if !c.heldOutbox[p] && c.metrics != nil {
			if n, err := c.store.CountPartition(p); err == nil {
				c.metrics.takenOver.Add(float64(n))
			}
		}
	}
	c.heldOutbox = now
}

// Owns says whether this process polls a feed.
func (c *cluster) Owns(feedURL string) bool {
	h := fnv.New32a()
	h.Write([]byte(feedURL))
	return c.feeds.Holds(int(h.Sum32() % feedPartitions))
}

// budgetFor divides the budgets of the platforms this process sends to
// with the other processes (jetstream.Budget), and returns this process's
// share, which its pacers read.
func (c *cluster) budgetFor(senders []bot.Sender) bot.Share {
	var ps []alerts.Platform
	for _, s := range senders {
		ps = append(ps, s.Platform())
	}
	c.budget = c.coord.Budget(ps...)
	return c.budget.Share
}

// sends says whether this process sends to a target: it holds the
// target's outbox partition, and has held it long enough to use it.
func (c *cluster) sends(t alerts.TargetID) bool { return c.outbox.Holds(c.store.Partition(t)) }

// telegramLeader and discordLeader are the leases as the adapters see them.
type telegramLeader struct{ set *jetstream.Set }

func (l telegramLeader) Lead(ctx context.Context) (context.Context, bool) { return l.set.Lead(ctx, 0) }

// beforeLoad starts the subscription watch before the matcher loads, so
// no change made meanwhile is missed.
func (c *cluster) beforeLoad(ctx context.Context, b *bot.Bot) error {
	run, err := c.store.WatchSubscriptions(ctx, b.ApplySubscription, b.ForgetSubscription)
	c.watchSubs = run
	return err
}

// run keeps this process in the deployment until ctx ends: membership and
// leases, the subscription watch into the matcher, the outbox watch that
// wakes the scheduler, the list of chat-added feeds, and the story window
// fed by the other processes' articles.
func (c *cluster) run(ctx context.Context, b *bot.Bot, poller *feeds.Poller, log *slog.Logger) {
	c.wake = b.Wake
	go c.coord.Run(ctx)
	go c.watchSubs()
	if c.budget != nil {
		go c.budget.Run(ctx, func(p alerts.Platform) (jetstream.BudgetUse, bool) {
			u, ok := b.BudgetUse(p)
			return jetstream.BudgetUse{Used: u.Used, Total: u.Total, Blocked: u.Blocked}, ok
		})
	}
	go func() {
		if err := c.store.FollowIntents(ctx); err != nil {
			log.Error("Announcements not followed: two reports ingested at once by two processes may form two stories", "err", err)
		}
	}()
	go func() {
		err := c.store.WatchOutbox(ctx, func(ts []alerts.TargetID) {
			if c.metrics != nil {
				c.metrics.woken.Add(float64(len(ts)))
			}
			b.QueueChanged(ts...)
		})
		if err != nil {
			log.Error("Outbox watch stopped", "err", err)
		}
	}()
	go func() {
		if err := c.store.WatchMeta(ctx, "feeds:added", poller.SyncAdded); err != nil {
			log.Error("Feed list watch stopped", "err", err)
		}
	}()
	go func() {
		err := c.store.FollowArticles(ctx, time.Now().Add(-storyWindow), func(arts []alerts.Article) {
			c.stories.Seed(arts)
			c.metrics.followed.Add(float64(len(arts)))
		})
		if err != nil {
			log.Error("Story window no longer learns other processes' articles", "err", err)
		}
	}()
}

// clusterMetrics are the per-process cluster metrics.
type clusterMetrics struct {
	followed  prometheus.Counter
	takenOver prometheus.Counter
	woken     prometheus.Counter
}

func (c *cluster) registerMetrics(reg prometheus.Registerer) {
	c.metrics = &clusterMetrics{
		followed: prometheus.NewCounter(prometheus.CounterOpts{Name: "herald_cluster_articles_followed_total",
			Help: "Articles committed by other processes that this process's story window took in."}),
		takenOver: prometheus.NewCounter(prometheus.CounterOpts{Name: "herald_cluster_redeliveries_total",
			Help: "Deliveries found queued in outbox partitions this process took over from another: each may have been in flight there, so may go out twice."}),
	}
	c.metrics.woken = prometheus.NewCounter(prometheus.CounterOpts{Name: "herald_cluster_outbox_notices_total",
		Help: "Targets whose queued deliveries another process wrote in this process's outbox partitions, each read again at once."})
	reg.MustRegister(c.metrics.followed, c.metrics.takenOver, c.metrics.woken, c.stories.waited)
	lag := prometheus.NewDesc("herald_cluster_consumer_lag", "Messages a consumer of this process has yet to take in: the articles stream (story window) and the subscription watch (matcher).", []string{"consumer"}, nil)
	held := prometheus.NewDesc("herald_cluster_held", "Items of each kind of divided work this process holds: outbox and feed partitions, Discord shards, the Telegram long poll (0 or 1).", []string{"set"}, nil)
	total := prometheus.NewDesc("herald_cluster_items", "Items of each kind of divided work in the deployment.", []string{"set"}, nil)
	members := prometheus.NewDesc("herald_cluster_members", "Live herald processes in the deployment, as this one last counted.", nil, nil)
	budget := prometheus.NewDesc("herald_cluster_budget_share", "This process's part of each platform's send budget (0 to 1), which follows the load.", []string{"platform"}, nil)
	reg.MustRegister(collectorFunc{descs: []*prometheus.Desc{held, total, members, lag, budget}, collect: func(ch chan<- prometheus.Metric) {
		if c.budget != nil {
			for _, p := range c.budget.Platforms() {
				ch <- prometheus.MustNewConstMetric(budget, prometheus.GaugeValue, c.budget.Share(p), string(p))
			}
		}
		ch <- prometheus.MustNewConstMetric(lag, prometheus.GaugeValue, float64(c.store.ArticlesLag()), "articles")
		ch <- prometheus.MustNewConstMetric(lag, prometheus.GaugeValue, float64(c.store.SubscriptionsLag()), "subscriptions")
		for name, set := range map[string]*jetstream.Set{"outbox": c.outbox, "feeds": c.feeds, "telegram": c.tg, "discord": c.dc} {
			ch <- prometheus.MustNewConstMetric(held, prometheus.GaugeValue, float64(len(set.Held())), name)
			ch <- prometheus.MustNewConstMetric(total, prometheus.GaugeValue, float64(set.Size()), name)
		}
		ch <- prometheus.MustNewConstMetric(members, prometheus.GaugeValue, float64(c.coord.Members()))
	}})
}

// collectorFunc is a prometheus.Collector made of a function.
type collectorFunc struct {
	descs   []*prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (f collectorFunc) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range f.descs {
		ch <- d
	}
}
func (f collectorFunc) Collect(ch chan<- prometheus.Metric) { f.collect(ch) }
