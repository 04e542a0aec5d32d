package main

import (
	"fmt"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ingestTotals are the service's own account of where ingest time went
// (herald_ingest_stage_seconds, herald_ingest_commit_*), read from its
// /metrics as an operator's Prometheus would.
type ingestTotals struct {
	stageSum   map[string]float64
	stageCount map[string]uint64
	commits    uint64
	committed  float64 // articles
	commitSum  float64 // seconds
	pages      float64 // herald_db_page_writes_total
}

func (b *pipelineBench) ingestTotals() (ingestTotals, error) {
	t := ingestTotals{stageSum: map[string]float64{}, stageCount: map[string]uint64{}}
	resp, err := http.Get("http://" + b.addr + "/metrics")
	if err != nil {
		return t, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return t, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return t, fmt.Errorf("GET /metrics: %w", err)
	}
	hist := func(name string, each func(m *dto.Metric, h *dto.Histogram)) {
		if mf := mfs[name]; mf != nil {
			for _, m := range mf.GetMetric() {
				each(m, m.GetHistogram())
			}
		}
	}
	hist("herald_ingest_stage_seconds", func(m *dto.Metric, h *dto.Histogram) {
		for _, l := range m.GetLabel() {
			if l.GetName() == "stage" {
				t.stageSum[l.GetValue()] += h.GetSampleSum()
				t.stageCount[l.GetValue()] += h.GetSampleCount()
			}
		}
	})
	hist("herald_ingest_commit_articles", func(_ *dto.Metric, h *dto.Histogram) {
		t.commits, t.committed = h.GetSampleCount(), h.GetSampleSum()
	})
	hist("herald_ingest_commit_seconds", func(_ *dto.Metric, h *dto.Histogram) { t.commitSum = h.GetSampleSum() })
	if mf := mfs["herald_db_page_writes_total"]; mf != nil && len(mf.GetMetric()) == 1 {
		t.pages = mf.GetMetric()[0].GetCounter().GetValue()
	}
	return t, nil
}

// addStages fills r's account of where the phase's ingest time went, from
// the totals before and after it over wall seconds.
func (r *benchResult) addStages(before, after ingestTotals, wall float64) {
	mean := func(stage string) float64 {
		n := after.stageCount[stage] - before.stageCount[stage]
		if n == 0 {
			return 0
		}
		return 1000 * (after.stageSum[stage] - before.stageSum[stage]) / float64(n)
	}
	r.PrepareMs, r.TurnMs, r.OrderMs, r.CommitWaitMs = mean("prepare"), mean("turn"), mean("order"), mean("commit")
	if n := after.commits - before.commits; n > 0 {
		r.CommitMs = 1000 * (after.commitSum - before.commitSum) / float64(n)
		r.PerCommit = (after.committed - before.committed) / float64(n)
	}
	if n := after.committed - before.committed; n > 0 {
		r.PagesPerArticle = (after.pages - before.pages) / n
	}
	r.CommitBusy = 100 * (after.commitSum - before.commitSum) / wall
}
