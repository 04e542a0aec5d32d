package bot

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/herald-news/herald/alerts"
)

// Metrics are the bot's Prometheus instruments.
type Metrics struct {
	articles   prometheus.Counter
	duplicates prometheus.Counter
	planned    *prometheus.CounterVec
	sent       *prometheus.CounterVec
	failed     *prometheus.CounterVec
	queue      *prometheus.GaugeVec
	latency    *prometheus.HistogramVec

	// Where an article's time in the pipeline goes (ingest.go), and what
	// each commit of articles holds and costs: the commit is done one at
	// a time, so these say when it is what holds ingest back.
	stage                                            *prometheus.HistogramVec
	stagePrepare, stageTurn, stageOrder, stageCommit prometheus.Observer
	commitArticles, commitSeconds                    prometheus.Histogram
}

// NewMetrics creates the bot's metrics and registers them with reg (nil:
// not registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		articles: prometheus.NewCounter(prometheus.CounterOpts{Name: "herald_articles_ingested_total",
			Help: "Articles that reached the pipeline."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "herald_articles_duplicate_total",
			Help: "Articles dropped as seen before."}),
		planned: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "herald_alerts_planned_total",
			Help: "Deliveries written to the outbox."}, []string{"platform"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "herald_alerts_sent_total",
			Help: "Messages delivered to a platform."}, []string{"platform", "kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "herald_alerts_failed_total",
			Help: "Send attempts that failed, by reason."}, []string{"platform", "reason"}),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "herald_outbox_depth",
			Help: "Deliveries waiting in the outbox."}, []string{"platform"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "herald_ingest_to_send_seconds",
			Help:    "Time from an article's arrival (HTTP push, feed item) to its alert's delivery.",
			Buckets: latencyBuckets}, []string{"platform"}),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "herald_ingest_stage_seconds",
			Help: "An article's time in each stage of ingest: prepare (dedupe, matching, the story's reading, side by side), " +
				"turn (waiting for the articles that arrived before it), order (story and plan, one at a time), " +
				"commit (waiting for its durable commit).",
			Buckets: stageBuckets}, []string{"stage"}),
		commitArticles: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "herald_ingest_commit_articles",
			Help:    "Articles in each commit of ingested articles.",
			Buckets: []float64{1, 2, 3, 4, 6, 8, 12, 16, 32, 64, 128, 256}}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "herald_ingest_commit_seconds",
			Help:    "Time of each commit of ingested articles, with their deliveries, to the store.",
			Buckets: stageBuckets}),
	}
	m.stagePrepare = m.stage.WithLabelValues("prepare")
	m.stageTurn = m.stage.WithLabelValues("turn")
	m.stageOrder = m.stage.WithLabelValues("order")
	m.stageCommit = m.stage.WithLabelValues("commit")
	if reg != nil {
		reg.MustRegister(m.articles, m.duplicates, m.planned, m.sent, m.failed, m.queue, m.latency,
			m.stage, m.commitArticles, m.commitSeconds)
	}
	m.start(alerts.PlatformTelegram, alerts.PlatformDiscord)
	return m
}

// latencyBuckets resolve an idle alert's 1–50 ms, and go on to a digest's
// hour.
var latencyBuckets = []float64{.001, .002, .003, .005, .0075, .01, .015, .02, .03, .05, .075, .1,
	.25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600}

// stageBuckets resolve a stage's tenths of a millisecond (a commit is
// about one), and go on to a large article's second.
var stageBuckets = []float64{.00005, .0001, .00025, .0005, .00075, .001, .0015, .002, .003, .005, .01, .025, .05, .1, .25, 1, 5}

// failReasons are the values of herald_alerts_failed_total's reason label.
var failReasons = []string{"unreachable", "rate_limited", "migrated", "error", "edit_given_up", "drop_failed"}

// start makes every series of the platforms exist from the start, at zero:
// a dashboard or an alert rule then sees them before the first alert (and
// a rate over a series that appears with its first failure would miss
// that failure).
func (m *Metrics) start(platforms ...alerts.Platform) {
	for _, p := range platforms {
		l := string(p)
		m.planned.WithLabelValues(l)
		m.queue.WithLabelValues(l)
		m.latency.WithLabelValues(l)
		for _, k := range []alerts.DeliveryKind{alerts.DeliverAlert, alerts.DeliverEdit, alerts.DeliverDigest} {
			m.sent.WithLabelValues(l, string(k))
		}
		for _, r := range failReasons {
			m.failed.WithLabelValues(l, r)
		}
	}
}
