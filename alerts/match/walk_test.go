package match

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/herald-news/herald/alerts"
)

// TestWalkListChangedMidway: a match yields to writers between batches of
// candidates; when a writer changes the posting list the match is halfway
// through, the match walks it again and still reports every subscription
// once. Here the first batch's emit holds the match until a Remove waits
// for the lock; the Remove then swaps the list's last posting into a place
// already walked.
func TestWalkListChangedMidway(t *testing.T) {
	x := NewIndex(nil)
	var words []string
	const n = 3 * yieldEvery
	for k := 0; k < n; k++ {
		// A two-letter word costs more than "ceasefire": every query is
		// anchored on "ceasefire" alone, one body each.
		w := fmt.Sprintf("%c%c", 'a'+k/26, 'a'+k%26)
		words = append(words, w)
		if err := x.Add(alerts.Subscription{ID: uint64(k + 1), Query: "ceasefire " + w}); err != nil {
			t.Fatal(err)
		}
	}
	a := &alerts.Article{Title: "ceasefire", Body: strings.Join(words, " ")}
	got := make(map[uint64]int)
	removed := make(chan struct{})
	x.MatchFunc(a, func(id uint64) {
		got[id]++
		if len(got) == 1 {
			go func() {
				x.Remove(6) // its posting is in the first batch: the last takes its place
				close(removed)
			}()
			for x.wpend.Load() == 0 {
				runtime.Gosched() // the match holds the read lock until the Remove waits
			}
		}
	})
	<-removed
	for k := 1; k <= n; k++ {
		if got[uint64(k)] != 1 {
			t.Errorf("subscription %d reported %d times", k, got[uint64(k)])
		}
	}
}
