package storage

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

func TestCommitQueuesPlannedDeliveries(t *testing.T) {
	d := openTest(t)
	art := alerts.Article{ID: "s1", Title: "Ceasefire agreed", StoryID: "s1", Ingested: t0}
	story := alerts.Story{ID: "s1", FirstArticle: "s1", Sources: []string{"Reuters"}, Created: t0, Updated: t0}
	planned := []alerts.Delivery{alertDelivery(tgA, "s1"), alertDelivery(tgB, "s1"), alertDelivery(dcC, "s1")}
	planned[1].NotBefore = t0.Add(time.Hour)
	if err := d.Commit(art, story, planned); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetArticle("s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetStory("s1"); err != nil {
		t.Fatal(err)
	}

	ds, err := d.Pending(10)
	if err != nil || len(ds) != 3 {
		t.Fatalf("Pending = %d entries, %v", len(ds), err)
	}
	for i, dl := range ds {
		if dl.ID != planned[i].ID || dl.Target != planned[i].Target || dl.Kind != alerts.DeliverAlert {
			t.Errorf("Pending[%d] = %s for %s, want %s for %s", i, dl.ID, dl.Target, planned[i].ID, planned[i].Target)
		}
		if dl.Seq == 0 || i > 0 && dl.Seq <= ds[i-1].Seq {
			t.Errorf("Pending[%d].Seq = %d: not increasing", i, dl.Seq)
		}
		if !dl.NotBefore.Equal(planned[i].NotBefore) || !dl.Created.Equal(t0) {
			t.Errorf("Pending[%d] times = %v, %v", i, dl.Created, dl.NotBefore)
		}
	}
	if two, _ := d.Pending(2); len(two) != 2 || two[1].ID != planned[1].ID {
		t.Errorf("Pending(2) = %v", two)
	}
	if none, _ := d.Pending(0); len(none) != 0 {
		t.Errorf("Pending(0) = %v", none)
	}

	// One transaction: a bad planned delivery leaves nothing behind.
	bad := []alerts.Delivery{alertDelivery(tgA, "s2"), {Kind: alerts.DeliverAlert, Target: tgA}}
	if err := d.Commit(alerts.Article{ID: "s2", Title: "t"}, alerts.Story{ID: "s2"}, bad); err == nil {
		t.Fatal("Commit with a delivery without ID succeeded")
	}
	if _, err := d.GetArticle("s2"); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("failed Commit kept its article: %v", err)
	}
	if _, err := d.GetStory("s2"); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("failed Commit kept its story: %v", err)
	}
	if n := len(pendingIDs(t, d)); n != 3 {
		t.Errorf("failed Commit changed the outbox: %d entries", n)
	}
}

func TestCompleteLogs(t *testing.T) {
	d := openTest(t)
	one, two := alertDelivery(tgA, "s1"), alertDelivery(tgA, "s2")
	other := alertDelivery(tgB, "s1")
	if err := d.Enqueue(one, two, other); err != nil {
		t.Fatal(err)
	}

	rec1 := sentFor(one, "m1", t0)
	if err := d.CompleteAll([]alerts.Delivery{one}, []alerts.Sent{rec1}); err != nil {
		t.Fatal(err)
	}
	// A digest: one message, two outbox entries, each logged.
	rec2, rec3 := sentFor(two, "m2", t0.Add(time.Minute)), sentFor(other, "m3", t0.Add(2*time.Minute))
	if err := d.CompleteAll([]alerts.Delivery{two}, []alerts.Sent{rec2}); err != nil {
		t.Fatal(err)
	}
	if err := d.CompleteAll([]alerts.Delivery{other}, []alerts.Sent{rec3}); err != nil {
		t.Fatal(err)
	}
	if ids := pendingIDs(t, d); len(ids) != 0 {
		t.Fatalf("outbox after CompleteAll = %v", ids)
	}

	for _, want := range []alerts.Sent{rec1, rec2, rec3} {
		got, err := d.Sent(want.Target, want.Key)
		if err != nil || got.MessageID != want.MessageID || got.Target != want.Target || !got.At.Equal(want.At) ||
			got.Alert.Story != want.Story || !slices.Equal(got.Sources, want.Sources) {
			t.Errorf("Sent(%s) = %+v, %v; want %+v", want.Key, got, err, want)
		}
	}
	if _, err := d.Sent(tgA, "nope"); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("Sent(nope) error = %v, want ErrNotFound", err)
	}

	last, err := d.LastSent(tgA)
	if err != nil || last.MessageID != "m2" {
		t.Errorf("LastSent(%s) = %+v, %v; want m2", tgA, last, err)
	}
	if _, err := d.LastSent(dcC); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("LastSent of a target never alerted: %v, want ErrNotFound", err)
	}

	s1, err := d.SentForStory("s1")
	if err != nil || len(s1) != 2 {
		t.Fatalf("SentForStory(s1) = %+v, %v", s1, err)
	}
	targets := []alerts.TargetID{s1[0].Target, s1[1].Target}
	slices.Sort(targets)
	if !slices.Equal(targets, []alerts.TargetID{tgA, tgB}) {
		t.Errorf("SentForStory(s1) targets = %v", targets)
	}
	if s, _ := d.SentForStory("s"); len(s) != 0 { // "s" is a prefix of "s1": no mixing
		t.Errorf("SentForStory(s) = %+v", s)
	}

	if err := d.CompleteAll([]alerts.Delivery{one}, []alerts.Sent{rec1}); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("second CompleteAll: %v, want ErrNotFound", err)
	}
	// A record without a key rolls the whole CompleteAll back.
	three := alertDelivery(tgA, "s3")
	d.Enqueue(three)
	if err := d.CompleteAll([]alerts.Delivery{three}, []alerts.Sent{{Target: tgA}}); err == nil {
		t.Error("CompleteAll with a keyless record succeeded")
	}
	if ids := pendingIDs(t, d); !slices.Equal(ids, []string{three.ID}) {
		t.Errorf("failed CompleteAll changed the outbox: %v", ids)
	}
}

func TestCompleteDigestLogsEveryAlert(t *testing.T) {
	d := openTest(t)
	dg := alerts.Delivery{ID: "digest:1", Kind: alerts.DeliverDigest, Target: tgA, Created: t0,
		Alerts: []alerts.Alert{alertFor(tgA, "s1"), alertFor(tgA, "s2"), alertFor(tgA, "s3")}}
	if err := d.Enqueue(dg); err != nil {
		t.Fatal(err)
	}
	var recs []alerts.Sent
	for _, a := range dg.Alerts {
		recs = append(recs, alerts.Sent{Key: a.Key(), Target: tgA, Story: a.Story, MessageID: "m", At: t0, Alert: a})
	}
	if err := d.CompleteAll([]alerts.Delivery{dg}, recs); err != nil {
		t.Fatal(err)
	}
	for _, a := range dg.Alerts {
		if _, err := d.Sent(a.Target, a.Key()); err != nil {
			t.Errorf("alert %s of the digest not logged: %v", a.Story, err)
		}
		if s, _ := d.SentForStory(a.Story); len(s) != 1 {
			t.Errorf("SentForStory(%s) = %d entries", a.Story, len(s))
		}
	}
}

func TestNoAlertTwice(t *testing.T) {
	d := openTest(t)
	dl := alertDelivery(tgA, "s1")
	if err := d.Commit(alerts.Article{ID: "s1", Title: "t"}, alerts.Story{ID: "s1"}, []alerts.Delivery{dl}); err != nil {
		t.Fatal(err)
	}
	if err := d.CompleteAll([]alerts.Delivery{dl}, []alerts.Sent{sentFor(dl, "m1", t0)}); err != nil {
		t.Fatal(err)
	}

	again := alertDelivery(tgA, "s1")
	again.Alerts[0].Matches = append(again.Alerts[0].Matches, alerts.Match{Sub: 2, Query: "other"})
	edit := alertDelivery(tgA, "s1")
	edit.ID, edit.Kind, edit.MessageID = edit.ID+":edit", alerts.DeliverEdit, "m1"
	tests := []struct {
		name    string
		queue   func() error
		pending []string
	}{
		{"Commit", func() error {
			return d.Commit(alerts.Article{ID: "s1b", Title: "t"}, alerts.Story{ID: "s1"}, []alerts.Delivery{again})
		}, nil},
		{"Enqueue", func() error { return d.Enqueue(again) }, nil},
		{"other target", func() error { return d.Enqueue(alertDelivery(tgB, "s1")) }, []string{alertDelivery(tgB, "s1").ID}},
		{"edit of the sent alert", func() error { return d.Enqueue(edit) }, []string{alertDelivery(tgB, "s1").ID, edit.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.queue(); err != nil {
				t.Fatal(err)
			}
			if got := pendingIDs(t, d); !slices.Equal(got, tt.pending) {
				t.Errorf("Pending = %v, want %v", got, tt.pending)
			}
		})
	}
	if s, _ := d.Sent(dl.Target, dl.ID); s.MessageID != "m1" {
		t.Errorf("the log entry changed: %+v", s)
	}
}

func TestEnqueueReplaces(t *testing.T) {
	d := openTest(t)
	first, mid := alertDelivery(tgA, "s1"), alertDelivery(tgA, "s2")
	if err := d.Enqueue(first, mid); err != nil {
		t.Fatal(err)
	}
	before, _ := d.Pending(10)

	repl := alertDelivery(tgA, "s1")
	repl.Created = t0.Add(time.Hour)
	repl.Seq = 999
	repl.Alerts[0].Sources = []string{"Reuters", "AP"}
	repl.NotBefore = t0.Add(2 * time.Hour)
	if err := d.Enqueue(repl); err != nil {
		t.Fatal(err)
	}
	ds, _ := d.Pending(10)
	if len(ds) != 2 || ds[0].ID != first.ID || ds[1].ID != mid.ID {
		t.Fatalf("after replacing Pending = %v", ds)
	}
	got := ds[0]
	if got.Seq != before[0].Seq || !got.Created.Equal(t0) {
		t.Errorf("replacement changed Seq/Created: %d %v, want %d %v", got.Seq, got.Created, before[0].Seq, t0)
	}
	if !slices.Equal(got.Alerts[0].Sources, []string{"Reuters", "AP"}) || !got.NotBefore.Equal(repl.NotBefore) {
		t.Errorf("replacement not stored: %+v", got)
	}
	// Two with the same ID in one call are one entry, the later one.
	e1, e2 := alertDelivery(dcC, "s9"), alertDelivery(dcC, "s9")
	e2.LastError = "second"
	if err := d.Enqueue(e1, e2); err != nil {
		t.Fatal(err)
	}
	ds, _ = d.Pending(10)
	if len(ds) != 3 || ds[2].LastError != "second" {
		t.Errorf("duplicate IDs in one Enqueue: %+v", ds)
	}
	if err := d.Enqueue(alerts.Delivery{Kind: alerts.DeliverAlert}); err == nil {
		t.Error("Enqueue of a delivery without ID succeeded")
	}
}

func TestReschedule(t *testing.T) {
	d := openTest(t)
	a, b := alertDelivery(tgA, "s1"), alertDelivery(tgA, "s2")
	if err := d.Enqueue(a, b); err != nil {
		t.Fatal(err)
	}
	ds, _ := d.Pending(10)
	got := ds[0]
	got.Attempts, got.LastError, got.NotBefore = 3, "502 Bad Gateway", t0.Add(time.Minute)
	got.Seq, got.Target = 0, "telegram:stale" // not the scheduler's to change
	if err := d.Reschedule(got); err != nil {
		t.Fatal(err)
	}
	ds, _ = d.Pending(10)
	if len(ds) != 2 || ds[0].ID != a.ID {
		t.Fatalf("Reschedule changed the order: %v", ds)
	}
	r := ds[0]
	if r.Attempts != 3 || r.LastError != "502 Bad Gateway" || !r.NotBefore.Equal(t0.Add(time.Minute)) {
		t.Errorf("rescheduled entry = %+v", r)
	}
	if r.Seq == 0 || r.Target != tgA || len(r.Alerts) != 1 {
		t.Errorf("Reschedule overwrote the stored entry: %+v", r)
	}
	if err := d.Reschedule(alerts.Delivery{ID: "nope"}); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("Reschedule of an unknown entry: %v, want ErrNotFound", err)
	}
}

func TestDrop(t *testing.T) {
	d := openTest(t)
	sent := alertDelivery(tgA, "s0")
	dropped := alertDelivery(tgA, "s1")
	edit := alertDelivery(tgA, "s0")
	edit.ID, edit.Kind, edit.MessageID = edit.ID+":edit", alerts.DeliverEdit, "m0"
	digest := alerts.Delivery{ID: "digest:1", Kind: alerts.DeliverDigest, Target: tgA,
		Alerts: []alerts.Alert{alertFor(tgA, "s2"), alertFor(tgA, "s3")}}
	if err := d.Enqueue(sent, dropped, edit, digest); err != nil {
		t.Fatal(err)
	}
	if err := d.CompleteAll([]alerts.Delivery{sent}, []alerts.Sent{sentFor(sent, "m0", t0)}); err != nil {
		t.Fatal(err)
	}

	const reason = "bot was blocked by the user"
	for _, dl := range []alerts.Delivery{dropped, edit, digest} {
		if err := d.Drop(dl, reason); err != nil {
			t.Fatalf("Drop(%s): %v", dl.ID, err)
		}
	}
	if ids := pendingIDs(t, d); len(ids) != 0 {
		t.Errorf("outbox after Drop = %v", ids)
	}
	for _, key := range []string{dropped.ID, alerts.DeliveryKey(tgA, "s2"), alerts.DeliveryKey(tgA, "s3")} {
		s, err := d.Sent(tgA, key)
		if err != nil || s.Dropped != reason || s.Target != tgA || s.MessageID != "" {
			t.Errorf("Sent(%s) after Drop = %+v, %v", key, s, err)
		}
	}
	// Dropping the edit keeps the record of the sent alert.
	if s, _ := d.Sent(sent.Target, sent.ID); s.Dropped != "" || s.MessageID != "m0" {
		t.Errorf("Drop of an edit overwrote the sent record: %+v", s)
	}
	// A dropped alert is not /why's last alert, and is not queued again.
	if last, _ := d.LastSent(tgA); last.Key != sent.ID {
		t.Errorf("LastSent = %s, want the sent alert %s", last.Key, sent.ID)
	}
	if err := d.Enqueue(alertDelivery(tgA, "s1")); err != nil {
		t.Fatal(err)
	}
	if ids := pendingIDs(t, d); len(ids) != 0 {
		t.Errorf("a dropped alert was queued again: %v", ids)
	}
	if err := d.Drop(alertDelivery(tgA, "nope"), reason); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("Drop of an unknown entry: %v, want ErrNotFound", err)
	}
}

func TestPrune(t *testing.T) {
	d := openTest(t)
	old, recent := t0.AddDate(0, -2, 0), t0
	cutoff := t0.AddDate(0, -1, 0)

	oldStory := alerts.Story{ID: "old", Created: old, Updated: old}
	liveStory := alerts.Story{ID: "live", Created: old, Updated: recent} // still growing
	newStory := alerts.Story{ID: "new", Created: recent, Updated: recent}
	commits := []struct {
		a alerts.Article
		s alerts.Story
	}{
		{alerts.Article{ID: "old", GUID: "g-old", Title: "t", StoryID: "old", Ingested: old}, oldStory},
		{alerts.Article{ID: "live1", Title: "t", StoryID: "live", Ingested: old}, liveStory},
		{alerts.Article{ID: "live2", Title: "t", StoryID: "live", Ingested: recent}, liveStory},
		{alerts.Article{ID: "new", GUID: "g-new", Title: "t", StoryID: "new", Ingested: recent}, newStory},
	}
	for _, c := range commits {
		if err := d.Commit(c.a, c.s, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Log entries: old and recent; queued deliveries, one created long ago.
	oldSent, newSent := alertDelivery(tgA, "old"), alertDelivery(tgB, "new")
	waiting := alertDelivery(dcC, "elsewhere") // its article is not in the store: kept inline
	waiting.Created = old.AddDate(-1, 0, 0)
	if err := d.Enqueue(oldSent, newSent, waiting); err != nil {
		t.Fatal(err)
	}
	if err := d.CompleteAll([]alerts.Delivery{oldSent}, []alerts.Sent{sentFor(oldSent, "m1", old)}); err != nil {
		t.Fatal(err)
	}
	if err := d.CompleteAll([]alerts.Delivery{newSent}, []alerts.Sent{sentFor(newSent, "m2", recent)}); err != nil {
		t.Fatal(err)
	}
	tok, err := d.PutButton(alerts.Button{Action: alerts.ButtonWhy, Target: tgA, Key: oldSent.ID})
	if err != nil {
		t.Fatal(err)
	}

	n, err := d.Prune(cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 { // articles "old" and "live1", story "old", one log entry
		t.Errorf("Prune = %d, want 4", n)
	}
	for _, id := range []string{"old", "live1"} {
		if _, err := d.GetArticle(id); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("article %s survived: %v", id, err)
		}
	}
	for _, id := range []string{"live2", "new"} {
		if _, err := d.GetArticle(id); err != nil {
			t.Errorf("article %s pruned: %v", id, err)
		}
	}
	if _, err := d.GetStory("old"); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("old story survived: %v", err)
	}
	for _, id := range []string{"live", "new"} {
		if _, err := d.GetStory(id); err != nil {
			t.Errorf("story %s pruned: %v", id, err)
		}
	}
	if _, seen, _ := d.Seen(&alerts.Article{GUID: "g-old"}); seen {
		t.Error("a pruned article is still seen by GUID")
	}
	if _, seen, _ := d.Seen(&alerts.Article{GUID: "g-new"}); !seen {
		t.Error("a kept article is no longer seen by GUID")
	}
	if _, err := d.Sent(oldSent.Target, oldSent.ID); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("old log entry survived: %v", err)
	}
	if s, _ := d.SentForStory("old"); len(s) != 0 {
		t.Errorf("old story index survived: %+v", s)
	}
	if _, err := d.LastSent(tgA); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("LastSent still names a pruned entry: %v", err)
	}
	if s, err := d.LastSent(tgB); err != nil || s.MessageID != "m2" {
		t.Errorf("recent LastSent = %+v, %v", s, err)
	}
	if _, err := d.Button(tok); err != nil {
		t.Errorf("a button made just now was pruned: %v", err)
	}
	if ids := pendingIDs(t, d); !slices.Equal(ids, []string{waiting.ID}) {
		t.Errorf("Prune touched the outbox: %v", ids)
	}

	// Pruning everything still leaves the outbox alone.
	if _, err := d.Prune(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Button(tok); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("button survived a prune after its time: %v", err)
	}
	if ids := pendingIDs(t, d); !slices.Equal(ids, []string{waiting.ID}) {
		t.Errorf("Prune touched the outbox: %v", ids)
	}
	if err := d.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bArticles, bArtKeys, bArtTime, bArtKeysOf, bStories, bLog, bLogStory, bLogLast, bLogTarget, bButtons, bExpiry, bExpiryAt} {
			if n := tx.Bucket(name).Stats().KeyN; n != 0 {
				return fmt.Errorf("bucket %s keeps %d keys after pruning everything", name, n)
			}
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}

func TestPruneStories(t *testing.T) {
	d := openTest(t)
	old, later := t0.AddDate(0, -2, 0), t0.AddDate(0, -1, 0)
	// The story's only article is older than the story's last update (an
	// article updated in place keeps its ingest time).
	orphan := alerts.Story{ID: "orphan", Created: old, Updated: later}
	if err := d.Commit(alerts.Article{ID: "a1", Title: "t", StoryID: "orphan", Ingested: old}, orphan, nil); err != nil {
		t.Fatal(err)
	}
	// A story the clusterer left without times lives as long as its articles.
	if err := d.Commit(alerts.Article{ID: "a2", Title: "t", StoryID: "untimed", Ingested: t0}, alerts.Story{ID: "untimed"}, nil); err != nil {
		t.Fatal(err)
	}

	if _, err := d.Prune(old.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetArticle("a1"); !errors.Is(err, alerts.ErrNotFound) {
		t.Fatalf("article a1 survived: %v", err)
	}
	if _, err := d.GetStory("orphan"); err != nil {
		t.Fatalf("story updated after the cutoff was pruned: %v", err)
	}
	if _, err := d.Prune(later.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetStory("orphan"); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("a story with no articles left, untouched since the cutoff, survived: %v", err)
	}
	if _, err := d.GetStory("untimed"); err != nil {
		t.Errorf("a story without times was pruned while its article is kept: %v", err)
	}
	if _, err := d.Prune(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetStory("untimed"); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("a story without times survived its article: %v", err)
	}
}

// Prune works in chunks of pruneChunk records per transaction; with chunks
// of one and two records every boundary falls between the records of the
// tests above, and the outcome must be the same.
func TestPruneInSmallChunks(t *testing.T) {
	defer func(n int) { pruneChunk = n }(pruneChunk)
	for _, n := range []int{1, 2} {
		pruneChunk = n
		t.Run(fmt.Sprintf("chunk=%d", n), func(t *testing.T) {
			t.Run("Prune", TestPrune)
			t.Run("PruneStories", TestPruneStories)
			t.Run("PruneForgetsStaleArticleKeys", TestPruneForgetsStaleArticleKeys)
		})
	}
}
