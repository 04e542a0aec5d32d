package bot

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/herald-news/herald/alerts"
)

// reach is where an article's matches lead: the chats to alert (found,
// active and not muted), with what matched for each. It depends on the
// subscriptions and chats alone, not on the articles before, so ingest
// finds it before the article's turn (see ingest.go).
type reach struct {
	byTarget map[alerts.TargetID][]alerts.Match
	targets  map[alerts.TargetID]alerts.Target
}

// reach matches an article and reads the chats its matches reach, and
// the queries that matched.
func (b *Bot) reach(a *alerts.Article, now time.Time) (reach, error) {
	r := reach{byTarget: map[alerts.TargetID][]alerts.Match{}}
	var explain func(query string) []alerts.TermHit
	if e, ok := b.matcher.(explainer); ok {
		// Chats that follow the same query (300 DM chats of one story)
		// get its explanation once.
		once, seen := e.Explainer(a), map[string][]alerts.TermHit{}
		explain = func(query string) []alerts.TermHit {
			hits, ok := seen[query]
			if !ok {
				hits = once(query)
				seen[query] = hits
			}
			return hits
		}
	}
	for _, h := range b.matcher.Match(a) {
		si, ok := b.subInfo(h.Sub)
		if !ok || si.MutedUntil.After(now) {
			continue
		}
		r.byTarget[si.Target] = append(r.byTarget[si.Target], alerts.Match{Sub: h.Sub, Terms: h.Terms})
	}
	if len(r.byTarget) == 0 {
		return r, nil
	}
	r.targets = make(map[alerts.TargetID]alerts.Target, len(r.byTarget))
	for tid := range r.byTarget {
		t, err := b.store.GetTarget(tid)
		if errors.Is(err, alerts.ErrNotFound) {
			continue
		}
		if err != nil {
			return r, fmt.Errorf("plan: %w", err)
		}
		if !t.Active || t.Settings.MutedUntil.After(now) {
			continue
		}
		matches, err := b.withQueries(r.byTarget[tid], explain)
		if err != nil {
			return r, fmt.Errorf("plan: %w", err)
		}
		if len(matches) == 0 {
			continue
		}
		r.byTarget[tid], r.targets[tid] = matches, t
	}
	return r, nil
}

// plan turns the reach of one article into deliveries: one per target
// and story, an edit where a target already has this story's alert, held
// for digests and quiet hours, nothing while muted.
func (b *Bot) plan(a *alerts.Article, story alerts.Story, joined bool, r reach, now time.Time) ([]alerts.Delivery, error) {
	var out []alerts.Delivery
	handled := map[alerts.TargetID]bool{}
	// A chat newly reached by this article sees this article: it is the
	// one whose words matched.
	shown := *a
	if joined {
		sent, err := b.store.SentForStory(story.ID)
		if err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
		for _, s := range sent {
			handled[s.Target] = true
			if s.Dropped != "" || s.MessageID == "" || now.Sub(s.At) > b.limits.EditWindow {
				continue
			}
			if slices.Equal(s.Sources, story.Sources) {
				continue
			}
			al := s.Alert
			al.Sources = story.Sources
			out = append(out, alerts.Delivery{ID: s.Key + ":edit", Kind: alerts.DeliverEdit, Target: s.Target,
				Alerts: []alerts.Alert{al}, MessageID: s.MessageID, Created: now})
		}
	}
	shown.Body = ""
	for _, tid := range sortedKeys(r.byTarget) {
		t, ok := r.targets[tid]
		if handled[tid] || !ok {
			continue
		}
		al := alerts.Alert{Target: tid, Story: story.ID, Article: shown, Matches: r.byTarget[tid], Sources: story.Sources}
		hold := holdUntil(t.Settings, now)
		out = append(out, alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: tid, Alerts: []alerts.Alert{al},
			Created: now, NotBefore: hold, Held: !hold.IsZero()})
	}
	return out, nil
}

// withQueries fills in the queries (and the roles they ping) of a
// target's matches from the store: the matcher and the subscription table
// keep neither. A match the matcher gave without its terms is explained
// from its query, if explain is set. A subscription removed since the
// article was matched is left out.
func (b *Bot) withQueries(ms []alerts.Match, explain func(query string) []alerts.TermHit) ([]alerts.Match, error) {
	out := ms[:0]
	for _, m := range ms {
		s, err := b.store.GetSubscription(m.Sub)
		if errors.Is(err, alerts.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m.Query, m.Role = s.Query, s.Role
		if m.Terms == nil && explain != nil {
			m.Terms = explain(s.Query)
		}
		out = append(out, m)
	}
	return out, nil
}

// explainer is a matcher that keeps no query texts (match.Index): it
// gives hits without the terms that fired, and explains an article's
// hits from the queries planning reads from the store.
type explainer interface {
	Explainer(a *alerts.Article) func(query string) []alerts.TermHit
}
