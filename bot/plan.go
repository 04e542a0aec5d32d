package bot

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/herald-news/herald/alerts"
)

// plan turns the matches of one article into deliveries: one per target
// and story, an edit where a target already has this story's alert, held
// for digests and quiet hours, nothing while muted.
func (b *Bot) plan(a *alerts.Article, story alerts.Story, joined bool, now time.Time) ([]alerts.Delivery, error) {
	hits := b.matcher.Match(a)
	byTarget := map[alerts.TargetID][]alerts.Match{}
	for _, h := range hits {
		si, ok := b.subInfo(h.Sub)
		if !ok || si.MutedUntil.After(now) {
			continue
		}
		byTarget[si.Target] = append(byTarget[si.Target], alerts.Match{Sub: h.Sub, Terms: h.Terms})
	}
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
	for _, tid := range sortedKeys(byTarget) {
		if handled[tid] {
			continue
		}
		t, err := b.store.GetTarget(tid)
		if errors.Is(err, alerts.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
		if !t.Active || t.Settings.MutedUntil.After(now) {
			continue
		}
		matches, err := b.withQueries(byTarget[tid])
		if err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
		if len(matches) == 0 {
			continue
		}
		al := alerts.Alert{Target: tid, Story: story.ID, Article: shown, Matches: matches, Sources: story.Sources}
		hold := holdUntil(t.Settings, now)
		out = append(out, alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: tid, Alerts: []alerts.Alert{al},
			Created: now, NotBefore: hold, Held: !hold.IsZero()})
	}
	return out, nil
}

// withQueries fills in the queries (and the roles they ping) of a
// target's matches from the store: the matcher and the subscription table
// keep neither. A subscription removed since the article was matched is
// left out.
func (b *Bot) withQueries(ms []alerts.Match) ([]alerts.Match, error) {
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
		out = append(out, m)
	}
	return out, nil
}
