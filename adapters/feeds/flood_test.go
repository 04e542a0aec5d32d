package feeds

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/feeds/feedtest"
)

// A feed that changes every GUID, or suddenly shows hundreds of undated
// "new" items, floods nobody: past the cap the poll sends nothing, takes
// the items as the feed's new baseline, and says so in /sources and the
// counters. The next real item goes out as usual.
func TestFloodBecomesANewBaseline(t *testing.T) {
	fd := feedtest.NewFeed("Wire", item(2), item(1))
	srv := httptest.NewServer(fd)
	defer srv.Close()
	clock := newFakeClock()
	p := NewPoller(PollerOptions{Feeds: []string{srv.URL}, Now: clock.Now, FloodCap: 50}, newMemStore(), nil)
	if got := pollOnce(t, p, srv.URL); len(got) != 0 {
		t.Fatalf("baseline emitted %d", len(got))
	}

	// Every GUID changes, and the items carry no dates.
	var renamed []feedtest.Item
	for i := range 120 {
		it := item(1000 + i)
		it.GUID = fmt.Sprintf("renamed-%d", i)
		renamed = append(renamed, it)
	}
	fd.Replace(renamed...)
	clock.Add(30 * time.Minute)
	if got := pollOnce(t, p, srv.URL); len(got) != 0 {
		t.Fatalf("a flood of %d items sent %d", len(renamed), len(got))
	}
	s := sourceOf(t, p, srv.URL)
	if s.State != StateOK || !strings.Contains(s.Notice, "120 new items at once") || !strings.Contains(s.Notice, "none sent") {
		t.Errorf("/sources after the flood: %+v", s)
	}
	if st := p.Stats(); st.Floods != 1 || st.Articles != 0 {
		t.Errorf("stats after the flood: %+v", st)
	}

	// Below the cap, news flows again, against the new baseline.
	fd.Add(item(5000))
	clock.Add(30 * time.Minute)
	got := pollOnce(t, p, srv.URL)
	if len(got) != 1 || got[0].GUID != "item-5000" {
		t.Fatalf("after the flood: %+v", got)
	}
	// Fifty new items at once are not a flood.
	var burst []feedtest.Item
	for i := range 50 {
		burst = append(burst, item(6000+i))
	}
	fd.Add(burst...)
	clock.Add(30 * time.Minute)
	if got := pollOnce(t, p, srv.URL); len(got) != 50 {
		t.Fatalf("a burst at the cap sent %d, want 50", len(got))
	}
}
