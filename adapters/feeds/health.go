package feeds

import (
	"fmt"
	"time"

	"github.com/herald-news/herald/bot"
)

// The health states /sources shows.
const (
	StateOK       = "ok"
	StateFailing  = "failing"
	StateDisabled = "disabled"
)

// status is the feed's health as /sources shows it. f.mu must be held.
func (f *feed) status() bot.SourceStatus {
	s := bot.SourceStatus{
		URL:          f.st.URL,
		Title:        f.st.Title,
		State:        StateOK,
		FailingSince: f.st.FailingSince,
		LastError:    f.st.LastError,
		LastOK:       f.st.LastOK,
		NextPoll:     f.st.NextPoll,
		UserAdded:    f.st.UserAdded,
		AddedBy:      f.st.AddedBy,
	}
	if !f.st.FloodAt.IsZero() {
		s.Notice = fmt.Sprintf("%d new items at once on %s, more than one poll may send: taken as the feed's new baseline, none sent",
			f.st.FloodItems, f.st.FloodAt.UTC().Format("Jan 2 15:04 MST"))
	}
	switch {
	case f.st.Disabled:
		s.State = StateDisabled
		s.NextPoll = time.Time{}
	case f.st.Failures > 0:
		s.State = StateFailing
	}
	return s
}

// Sources lists every feed with its health, in the order configured or
// added.
func (p *Poller) Sources() []bot.SourceStatus {
	p.mu.Lock()
	feeds := append([]*feed(nil), p.order...)
	p.mu.Unlock()
	out := make([]bot.SourceStatus, 0, len(feeds))
	for _, f := range feeds {
		f.mu.Lock()
		out = append(out, f.status())
		f.mu.Unlock()
	}
	return out
}
