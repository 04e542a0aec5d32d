package bot

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/herald-news/herald/alerts"
)

// subInfo is what planning needs of a subscription, kept in memory so a
// match costs no store read.
type subInfo struct {
	Target     alerts.TargetID
	Query      string
	MutedUntil time.Time
}

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
		byTarget[si.Target] = append(byTarget[si.Target], alerts.Match{Sub: h.Sub, Query: si.Query, Terms: h.Terms})
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
		al := alerts.Alert{Target: tid, Story: story.ID, Article: shown, Matches: byTarget[tid], Sources: story.Sources}
		hold := holdUntil(t.Settings, now)
		out = append(out, alerts.Delivery{ID: al.Key(), Kind: alerts.DeliverAlert, Target: tid, Alerts: []alerts.Alert{al},
			Created: now, NotBefore: hold, Held: !hold.IsZero()})
	}
	return out, nil
}

func (b *Bot) subInfo(id uint64) (subInfo, bool) {
	b.subsMu.RLock()
	defer b.subsMu.RUnlock()
	si, ok := b.subs[id]
	return si, ok
}

func (b *Bot) setSub(s alerts.Subscription) {
	b.subsMu.Lock()
	b.subs[s.ID] = subInfo{Target: s.Target, Query: s.Query, MutedUntil: s.MutedUntil}
	b.subsMu.Unlock()
}

func (b *Bot) dropSub(id uint64) {
	b.subsMu.Lock()
	delete(b.subs, id)
	b.subsMu.Unlock()
}
