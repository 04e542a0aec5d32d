package storage

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

func TestTargets(t *testing.T) {
	d := openTest(t)
	if ts, err := d.ListTargets(); err != nil || len(ts) != 0 {
		t.Fatalf("ListTargets on an empty store = %v, %v", ts, err)
	}
	put := []alerts.Target{
		{ID: dcC, Kind: alerts.KindChannel, Title: "news", Active: true, Created: t0},
		{ID: tgB, Kind: alerts.KindGroup, Active: false, InactiveReason: "bot was kicked"},
		{ID: tgA, Kind: alerts.KindDM, Active: true, Settings: alerts.TargetSettings{
			Digest: "daily", DigestAt: "08:00", TimeZone: "Europe/Kyiv", MutedUntil: t0.Add(time.Hour)}},
	}
	for _, tg := range put {
		if err := d.PutTarget(tg); err != nil {
			t.Fatal(err)
		}
	}
	// Put replaces.
	put[0].Title = "breaking news"
	if err := d.PutTarget(put[0]); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		id      alerts.TargetID
		want    alerts.Target
		missing bool
	}{
		{id: dcC, want: put[0]},
		{id: tgB, want: put[1]},
		{id: tgA, want: put[2]},
		{id: "telegram:2", missing: true},
		{id: "", missing: true},
	}
	for _, tt := range tests {
		t.Run(string(tt.id), func(t *testing.T) {
			got, err := d.GetTarget(tt.id)
			if tt.missing {
				if !errors.Is(err, alerts.ErrNotFound) {
					t.Fatalf("GetTarget(%q) error = %v, want ErrNotFound", tt.id, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tt.want.ID || got.Title != tt.want.Title || got.Active != tt.want.Active ||
				got.InactiveReason != tt.want.InactiveReason || got.Settings.Digest != tt.want.Settings.Digest ||
				!got.Settings.MutedUntil.Equal(tt.want.Settings.MutedUntil) || !got.Created.Equal(tt.want.Created) {
				t.Errorf("GetTarget(%q) = %+v\nwant %+v", tt.id, got, tt.want)
			}
		})
	}

	ts, err := d.ListTargets()
	if err != nil {
		t.Fatal(err)
	}
	var ids []alerts.TargetID
	for _, tg := range ts {
		ids = append(ids, tg.ID)
	}
	if want := []alerts.TargetID{dcC, tgA, tgB}; !slices.Equal(ids, want) {
		t.Errorf("ListTargets IDs = %v, want %v (ID order)", ids, want)
	}
	if err := d.PutTarget(alerts.Target{}); err == nil {
		t.Error("PutTarget with an empty ID succeeded")
	}
}

func TestSubscriptions(t *testing.T) {
	d := openTest(t)
	add := func(target alerts.TargetID, q string) alerts.Subscription {
		t.Helper()
		s, err := d.AddSubscription(alerts.Subscription{Target: target, Query: q, Created: t0})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a1 := add(tgA, "ceasefire")
	b1 := add(tgB, "Zelensky")
	a2 := add(tgA, `"peace deal"`)
	c1 := add(dcC, "Kyiv OR Kiev")
	a3 := add(tgA, "title:sanctions")

	t.Run("IDs increase", func(t *testing.T) {
		for i, s := range []alerts.Subscription{a1, b1, a2, c1, a3} {
			if s.ID != uint64(i+1) {
				t.Errorf("subscription %d got ID %d", i, s.ID)
			}
		}
	})

	list := func(target alerts.TargetID) []string {
		t.Helper()
		subs, err := d.ListSubscriptions(target)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range subs {
			if s.Target != target {
				t.Errorf("ListSubscriptions(%s) returned %+v", target, s)
			}
			out = append(out, fmt.Sprintf("%d %s", s.ID, s.Query))
		}
		return out
	}
	t.Run("list by target", func(t *testing.T) {
		tests := []struct {
			target alerts.TargetID
			want   []string
		}{
			{tgA, []string{"1 ceasefire", `3 "peace deal"`, "5 title:sanctions"}},
			{tgB, []string{"2 Zelensky"}}, // "telegram:1" is a prefix of "telegram:10": no mixing
			{dcC, []string{"4 Kyiv OR Kiev"}},
			{"telegram:", nil},
			{"telegram", nil},
			{"", nil},
		}
		for _, tt := range tests {
			if got := list(tt.target); !slices.Equal(got, tt.want) {
				t.Errorf("ListSubscriptions(%q) = %q, want %q", tt.target, got, tt.want)
			}
		}
	})

	t.Run("get", func(t *testing.T) {
		got, err := d.GetSubscription(a2.ID)
		if err != nil || got.Query != a2.Query || got.Target != tgA || !got.Created.Equal(t0) {
			t.Fatalf("GetSubscription(%d) = %+v, %v", a2.ID, got, err)
		}
		if _, err := d.GetSubscription(99); !errors.Is(err, alerts.ErrNotFound) {
			t.Fatalf("GetSubscription(99) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("put", func(t *testing.T) {
		mute := a1
		mute.MutedUntil = t0.Add(8 * time.Hour)
		if err := d.PutSubscription(mute); err != nil {
			t.Fatal(err)
		}
		got, _ := d.GetSubscription(a1.ID)
		if !got.MutedUntil.Equal(mute.MutedUntil) {
			t.Errorf("mute not stored: %+v", got)
		}
		if err := d.PutSubscription(alerts.Subscription{ID: 99, Target: tgA}); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("PutSubscription of an unknown ID: %v, want ErrNotFound", err)
		}
		if got := list(tgA); len(got) != 3 {
			t.Errorf("PutSubscription changed the listing: %q", got)
		}
		// Changing the target moves the index entry too.
		moved := b1
		moved.Target = dcC
		if err := d.PutSubscription(moved); err != nil {
			t.Fatal(err)
		}
		if got := list(tgB); len(got) != 0 {
			t.Errorf("old target still lists %q", got)
		}
		if got, want := list(dcC), []string{"2 Zelensky", "4 Kyiv OR Kiev"}; !slices.Equal(got, want) {
			t.Errorf("new target lists %q, want %q", got, want)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if err := d.DeleteSubscription(a2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.GetSubscription(a2.ID); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("deleted subscription still there: %v", err)
		}
		if got, want := list(tgA), []string{"1 ceasefire", "5 title:sanctions"}; !slices.Equal(got, want) {
			t.Errorf("after delete ListSubscriptions = %q, want %q", got, want)
		}
		if err := d.DeleteSubscription(a2.ID); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("second delete: %v, want ErrNotFound", err)
		}
		// A deleted ID is never handed out again.
		if s := add(tgA, "new"); s.ID != 6 {
			t.Errorf("next ID = %d, want 6", s.ID)
		}
	})

	t.Run("for each", func(t *testing.T) {
		var ids []uint64
		err := d.ForEachSubscription(func(s alerts.Subscription) error {
			ids = append(ids, s.ID)
			return nil
		})
		if err != nil || !slices.Equal(ids, []uint64{1, 2, 4, 5, 6}) {
			t.Errorf("ForEachSubscription visited %v, %v", ids, err)
		}
		stop := errors.New("stop")
		n := 0
		err = d.ForEachSubscription(func(alerts.Subscription) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("ForEachSubscription did not stop on the callback's error: %v after %d", err, n)
		}
	})

	t.Run("no target", func(t *testing.T) {
		if s, err := d.AddSubscription(alerts.Subscription{Query: "x"}); err == nil || s.ID != 0 {
			t.Errorf("AddSubscription without a target = %+v, %v", s, err)
		}
	})
}

func TestMoveTarget(t *testing.T) {
	const (
		from = alerts.TargetID("telegram:-100")
		to   = alerts.TargetID("telegram:-1001100")
	)
	setup := func(t *testing.T) *DB {
		d := openTest(t)
		for _, tg := range []alerts.Target{
			{ID: from, Kind: alerts.KindGroup, Title: "group", Active: true, Settings: alerts.TargetSettings{Digest: "hourly"}},
			{ID: tgA, Kind: alerts.KindDM, Active: true},
		} {
			if err := d.PutTarget(tg); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range []alerts.Subscription{{Target: from, Query: "a"}, {Target: tgA, Query: "b"}, {Target: from, Query: "c"}} {
			if _, err := d.AddSubscription(s); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}

	t.Run("target and subscriptions", func(t *testing.T) {
		d := setup(t)
		if err := d.MoveTarget(from, to); err != nil {
			t.Fatal(err)
		}
		if _, err := d.GetTarget(from); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("old target still there: %v", err)
		}
		tg, err := d.GetTarget(to)
		if err != nil || tg.ID != to || tg.Title != "group" || tg.Settings.Digest != "hourly" || !tg.Active {
			t.Errorf("moved target = %+v, %v", tg, err)
		}
		if subs, _ := d.ListSubscriptions(from); len(subs) != 0 {
			t.Errorf("old target still lists %+v", subs)
		}
		subs, err := d.ListSubscriptions(to)
		if err != nil || len(subs) != 2 || subs[0].ID != 1 || subs[1].ID != 3 || subs[0].Target != to || subs[1].Target != to {
			t.Errorf("new target lists %+v, %v", subs, err)
		}
		if s, _ := d.GetSubscription(3); s.Target != to {
			t.Errorf("GetSubscription(3).Target = %s", s.Target)
		}
		if subs, _ := d.ListSubscriptions(tgA); len(subs) != 1 || subs[0].Query != "b" {
			t.Errorf("other target's subscriptions changed: %+v", subs)
		}
	})

	t.Run("queued deliveries", func(t *testing.T) {
		d := setup(t)
		queued := alertDelivery(from, "s1")
		other := alertDelivery(tgA, "s1")
		edit := alertDelivery(from, "s0")
		edit.ID, edit.Kind, edit.MessageID = edit.ID+":edit", alerts.DeliverEdit, "55"
		if err := d.Enqueue(queued, other, edit); err != nil {
			t.Fatal(err)
		}
		stale, _ := d.Pending(1)

		if err := d.MoveTarget(from, to); err != nil {
			t.Fatal(err)
		}
		ds, err := d.Pending(10)
		if err != nil || len(ds) != 3 {
			t.Fatalf("Pending = %+v, %v", ds, err)
		}
		moved, untouched, movedEdit := ds[0], ds[1], ds[2]
		if moved.Target != to || moved.Alerts[0].Target != to || moved.Seq != 1 || !moved.Created.Equal(t0) {
			t.Errorf("moved delivery = %+v", moved)
		}
		// Its ID is the new target's alert key, so the same story planned
		// again for the new ID stays one delivery.
		if want := alerts.DeliveryKey(to, "s1"); moved.ID != want {
			t.Errorf("moved delivery ID = %s, want the new alert key %s", moved.ID, want)
		}
		if err := d.Enqueue(alertDelivery(to, "s1")); err != nil {
			t.Fatal(err)
		}
		if n := len(pendingIDs(t, d)); n != 3 {
			t.Errorf("re-planning the story for the new ID queued it twice (%d pending)", n)
		}
		if untouched.ID != other.ID || untouched.Target != tgA {
			t.Errorf("other target's delivery changed: %+v", untouched)
		}
		if want := alerts.DeliveryKey(to, "s0") + ":edit"; movedEdit.ID != want || movedEdit.Target != to || movedEdit.MessageID != "55" {
			t.Errorf("moved edit = %+v, want ID %s", movedEdit, want)
		}

		// A copy read before the move cannot move the entry back.
		stale[0].Attempts, stale[0].LastError = 1, "timeout"
		if err := d.Reschedule(stale[0]); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("Reschedule with the pre-move ID: %v, want ErrNotFound", err)
		}
		if err := d.CompleteAll([]alerts.Delivery{moved}, []alerts.Sent{sentFor(moved, "9", t0)}); err != nil {
			t.Fatal(err)
		}
		if s, err := d.Sent(to, alerts.DeliveryKey(to, "s1")); err != nil || s.Target != to {
			t.Errorf("Sent after completing the moved delivery = %+v, %v", s, err)
		}
	})

	t.Run("duplicates merge", func(t *testing.T) {
		d := setup(t)
		if err := d.PutTarget(alerts.Target{ID: to, Kind: alerts.KindGroup, Active: true}); err != nil {
			t.Fatal(err)
		}
		sent := alertDelivery(to, "s2")
		for _, dl := range []alerts.Delivery{alertDelivery(from, "s1"), alertDelivery(from, "s2"), alertDelivery(from, "s3"), alertDelivery(to, "s1"), sent} {
			if err := d.Enqueue(dl); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.CompleteAll([]alerts.Delivery{sent}, []alerts.Sent{sentFor(sent, "1", t0)}); err != nil {
			t.Fatal(err)
		}
		if err := d.MoveTarget(from, to); err != nil {
			t.Fatal(err)
		}
		// s1 was already queued for the new ID and s2 already sent to it.
		want := []string{alerts.DeliveryKey(to, "s3"), alerts.DeliveryKey(to, "s1")}
		if got := pendingIDs(t, d); !slices.Equal(got, want) {
			t.Errorf("after the move Pending = %v, want %v", got, want)
		}
		if err := d.db.View(func(tx *bolt.Tx) error {
			if n := tx.Bucket(bOutboxIDs).Stats().KeyN; n != 2 {
				return fmt.Errorf("outbox_ids holds %d keys, want 2", n)
			}
			return nil
		}); err != nil {
			t.Error(err)
		}
	})

	t.Run("delivery log", func(t *testing.T) {
		d := setup(t)
		s1, s2, s3 := alertDelivery(from, "s1"), alertDelivery(from, "s2"), alertDelivery(from, "s3")
		mine := alertDelivery(tgA, "s1")
		if err := d.Enqueue(s1, s2, s3, mine); err != nil {
			t.Fatal(err)
		}
		if err := d.CompleteAll([]alerts.Delivery{s1}, []alerts.Sent{sentFor(s1, "m1", t0)}); err != nil {
			t.Fatal(err)
		}
		if err := d.CompleteAll([]alerts.Delivery{mine}, []alerts.Sent{sentFor(mine, "m9", t0)}); err != nil {
			t.Fatal(err)
		}
		if err := d.Drop(s2, "gone"); err != nil {
			t.Fatal(err)
		}
		if err := d.CompleteAll([]alerts.Delivery{s3}, []alerts.Sent{sentFor(s3, "m3", t0.Add(time.Minute))}); err != nil {
			t.Fatal(err)
		}

		if err := d.MoveTarget(from, to); err != nil {
			t.Fatal(err)
		}
		for _, story := range []string{"s1", "s2", "s3"} {
			if _, err := d.Sent(from, alerts.DeliveryKey(from, story)); !errors.Is(err, alerts.ErrNotFound) {
				t.Errorf("log entry of %s still under the old key: %v", story, err)
			}
			got, err := d.Sent(to, alerts.DeliveryKey(to, story))
			if err != nil || got.Target != to || got.Alert.Target != to || got.MessageID != "" || got.Story != story {
				t.Errorf("moved log entry of %s = %+v, %v", story, got, err)
			}
			// The planner must not alert the migrated chat about it again.
			if err := d.Enqueue(alertDelivery(to, story)); err != nil {
				t.Fatal(err)
			}
		}
		if ids := pendingIDs(t, d); len(ids) != 0 {
			t.Errorf("stories sent before the move were queued again: %v", ids)
		}
		if got, _ := d.Sent(to, alerts.DeliveryKey(to, "s2")); got.Dropped != "gone" {
			t.Errorf("moved dropped entry lost its reason: %+v", got)
		}
		byStory, err := d.SentForStory("s1")
		if err != nil || len(byStory) != 2 {
			t.Fatalf("SentForStory(s1) = %+v, %v", byStory, err)
		}
		for _, s := range byStory {
			if s.Target != to && s.Target != tgA {
				t.Errorf("SentForStory(s1) still names %s", s.Target)
			}
			if s.Target == tgA && s.MessageID != "m9" {
				t.Errorf("another target's log entry changed: %+v", s)
			}
		}
		if _, err := d.LastSent(from); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("LastSent(old ID): %v, want ErrNotFound", err)
		}
		if last, err := d.LastSent(to); err != nil || last.Key != alerts.DeliveryKey(to, "s3") {
			t.Errorf("LastSent(new ID) = %+v, %v; want the s3 alert", last, err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		d := setup(t)
		if err := d.MoveTarget("telegram:404", to); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("MoveTarget of an unknown target: %v, want ErrNotFound", err)
		}
		if err := d.MoveTarget(from, ""); err == nil {
			t.Error("MoveTarget to an empty ID succeeded")
		}
		if err := d.MoveTarget(from, from); err != nil {
			t.Errorf("MoveTarget onto itself: %v", err)
		}
		if subs, _ := d.ListSubscriptions(from); len(subs) != 2 {
			t.Errorf("MoveTarget onto itself lost subscriptions: %+v", subs)
		}
	})
}

func TestMeta(t *testing.T) {
	d := openTest(t)
	tests := []struct {
		key    string
		val    []byte
		bucket []byte
	}{
		{"tg_last_update_id", []byte("123456"), bMeta},
		{"feed:https://example.com/rss", []byte(`{"etag":"x"}`), bFeeds},
		{"feed:", []byte("empty url"), bFeeds},
		{"feedx", []byte("not a feed key"), bMeta},
		{"cursor", []byte{}, bMeta},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if _, err := d.GetMeta(tt.key); !errors.Is(err, alerts.ErrNotFound) {
				t.Fatalf("GetMeta before Put: %v, want ErrNotFound", err)
			}
			if err := d.PutMeta(tt.key, tt.val); err != nil {
				t.Fatal(err)
			}
			got, err := d.GetMeta(tt.key)
			if err != nil || string(got) != string(tt.val) {
				t.Fatalf("GetMeta = %q, %v; want %q", got, err, tt.val)
			}
			if len(got) > 0 {
				got[0] ^= 0xff // the caller owns the copy
				if again, _ := d.GetMeta(tt.key); string(again) != string(tt.val) {
					t.Fatalf("changing the returned slice changed the store: %q", again)
				}
			}
			other := bMeta
			if string(tt.bucket) == string(bMeta) {
				other = bFeeds
			}
			d.db.View(func(tx *bolt.Tx) error {
				if tx.Bucket(tt.bucket).Get([]byte(tt.key)) == nil {
					t.Errorf("%q not in bucket %s", tt.key, tt.bucket)
				}
				if tx.Bucket(other).Get([]byte(tt.key)) != nil {
					t.Errorf("%q also in bucket %s", tt.key, other)
				}
				return nil
			})
		})
	}
	_, err := d.GetMeta("nope")
	if !errors.Is(err, alerts.ErrNotFound) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("GetMeta(nope) error = %v: want ErrNotFound naming the key", err)
	}
}

func TestButtons(t *testing.T) {
	d := openTest(t)
	want := []alerts.Button{
		{Action: alerts.ButtonMute, Target: tgA, Subs: []uint64{1, 3}, Key: "k1"},
		{Action: alerts.ButtonWhy, Target: dcC, Key: "k2"},
		{Target: tgB},
	}
	tokens := map[string]bool{}
	for _, b := range want {
		tok, err := d.PutButton(b)
		if err != nil {
			t.Fatal(err)
		}
		// Platforms carry at most 16 bytes, and the bot adds a two-byte
		// action prefix ("m:").
		if len(tok) == 0 || len(tok)+2 > 16 {
			t.Errorf("token %q is %d bytes", tok, len(tok))
		}
		if tokens[tok] {
			t.Errorf("token %q handed out twice", tok)
		}
		tokens[tok] = true
		got, err := d.Button(tok)
		if err != nil || got.Action != b.Action || got.Target != b.Target || got.Key != b.Key || !slices.Equal(got.Subs, b.Subs) {
			t.Errorf("Button(%q) = %+v, %v; want %+v", tok, got, err, b)
		}
	}

	var some string
	for tok := range tokens {
		some = tok
		break
	}
	forged := []byte(some)
	forged[len(forged)-1] = map[bool]byte{true: 'b', false: 'a'}[forged[len(forged)-1] == 'a']
	for _, tok := range []string{"", "a", "aaaaaaaaaaaaa", string(forged), some + "x", strings.ToUpper(some),
		strings.Repeat("x", 65), "m:" + some} {
		if b, err := d.Button(tok); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("Button(%q) = %+v, %v; want ErrNotFound", tok, b, err)
		}
	}
}
