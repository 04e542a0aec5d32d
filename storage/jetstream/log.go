package jetstream

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-news/herald/alerts"
)

func isMissing(err error) bool {
	return errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted)
}

func lastRevision(rev uint64) jetstream.KVDeleteOpt { return jetstream.LastRevision(rev) }

func (s *Store) now() time.Time { return time.Now() }

// storedButton is a button with the time it was stored, as in storage.
type storedButton struct {
	alerts.Button
	Created time.Time `json:"c"`
}

// putSent writes a log entry with its indexes: by story (edits), by target
// (MoveTarget), the target's newest (pacing after a restart) and its
// button. The entry itself goes last, so an index never misses it.
func (s *Store) putSent(ctx context.Context, rec alerts.Sent) error {
	if rec.Key == "" {
		return errors.New("delivery log entry without key")
	}
	if rec.Story != "" {
		if _, err := s.sentLog.Put(ctx, "s."+enc(rec.Story)+"."+rec.Key, nil); err != nil {
			return err
		}
	}
	if rec.Target != "" {
		if _, err := s.sentLog.Put(ctx, "t."+enc(string(rec.Target))+"."+rec.Key, nil); err != nil {
			return err
		}
	}
	if rec.ButtonToken != "" {
		b := storedButton{Button: rec.Button(), Created: rec.At}
		if _, err := putJSON(ctx, s.sentLog, "b."+rec.ButtonToken, b); err != nil {
			return err
		}
	}
	if _, err := putJSON(ctx, s.sentLog, "l."+rec.Key, rec); err != nil {
		return err
	}
	if rec.Dropped == "" && rec.Target != "" {
		if _, err := putJSON(ctx, s.sentLog, "last."+enc(string(rec.Target)), rec); err != nil {
			return err
		}
	}
	return nil
}

// Sent returns the log entry of a target's alert key. The alert key names
// the entry alone here (it is a hash of target and story).
func (s *Store) Sent(_ alerts.TargetID, key string) (alerts.Sent, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var r alerts.Sent
	if !tokenRE.MatchString(key) {
		return r, notFound("delivery", key)
	}
	if _, err := getJSON(ctx, s.sentLog, "l."+key, &r); err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return r, notFound("delivery", key)
		}
		return r, err
	}
	return r, nil
}

// SentForStory returns the log entries of a story's alerts.
func (s *Store) SentForStory(story string) ([]alerts.Sent, error) {
	return s.sentByIndex("s." + enc(story) + ".")
}

// sentByIndex returns the log entries an index names: the keys under
// prefix end in alert keys.
func (s *Store) sentByIndex(prefix string) ([]alerts.Sent, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	ks, err := keys(ctx, s.sentLog, prefix+"*")
	if err != nil {
		return nil, err
	}
	var out []alerts.Sent
	for _, k := range ks {
		var r alerts.Sent
		if _, err := getJSON(ctx, s.sentLog, "l."+strings.TrimPrefix(k, prefix), &r); err == nil {
			out = append(out, r)
		} else if !errors.Is(err, alerts.ErrNotFound) {
			return nil, err
		}
	}
	return out, nil
}

// LastSent returns the target's newest delivered alert.
func (s *Store) LastSent(t alerts.TargetID) (alerts.Sent, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var r alerts.Sent
	if _, err := getJSON(ctx, s.sentLog, "last."+enc(string(t)), &r); err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return r, notFound("alert for", string(t))
		}
		return r, err
	}
	return r, nil
}

// tokenRE is what a button token or alert key may look like; anything
// else (a forged token from a platform) is not looked up.
var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Button resolves a button token.
func (s *Store) Button(token string) (alerts.Button, error) {
	var b storedButton
	if !tokenRE.MatchString(token) {
		return b.Button, notFound("button", "")
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := getJSON(ctx, s.sentLog, "b."+token, &b); err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return b.Button, notFound("button", token)
		}
		return b.Button, err
	}
	return b.Button, nil
}

// RecentSent returns up to n of the target's log entries that were not
// dropped, newest first by Sent.At (/why N), read through the target index.
func (s *Store) RecentSent(t alerts.TargetID, n int) ([]alerts.Sent, error) {
	if n <= 0 {
		return nil, nil
	}
	all, err := s.sentByIndex("t." + enc(string(t)) + ".")
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(all, func(r alerts.Sent) bool { return r.Dropped != "" || r.Target != t })
	slices.SortFunc(out, func(a, b alerts.Sent) int { return b.At.Compare(a.At) })
	return out[:min(n, len(out))], nil
}
