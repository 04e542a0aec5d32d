package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/discord/discordtest"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// heldBy reads herald_cluster_held{set} from an in-test process's metrics.
func heldBy(addr, set string) int { return (&heraldProc{addr: addr}).held(set) }

// metricOf reads one sample from an in-test process's metrics, or -1.
func metricOf(addr, sample string) float64 { return (&heraldProc{addr: addr}).metric(sample) }

// TestClusterDiscordShards: HERALD_DISCORD_SHARDS is the deployment's
// total. One process runs all four shards; a second joins and takes half;
// the first leaves and the second runs all four. No shard ever runs in two
// processes at once, and the deployment's session starts keep Discord's
// pace: one per rate-limit bucket (shard % max_concurrency) per 5 s,
// whichever process starts them.
func TestClusterDiscordShards(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for shards to move between processes")
	}
	nc := natstest.Start(t, 3)
	fake := discordtest.New(t)
	fake.MaxConcurrency = 2
	// Four shards in two buckets start over 5 s at least, and each move
	// waits for its bucket: more than the fake's usual patience.
	fake.WaitTimeout = time.Minute
	vars := []string{"HERALD_DISCORD_TOKEN", discordtest.Token, "HERALD_DISCORD_API", fake.APIBase(), "HERALD_DISCORD_SHARDS", "4"}
	one := startClusterProcess(t, nc.URL(), nil, vars...)
	fake.WaitConnected(4)
	two := startClusterProcess(t, nc.URL(), nil, vars...)
	waitHeld := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("not within 30 s: %s (held %d and %d)", what, heldBy(one.addr, "discord"), heldBy(two.addr, "discord"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitHeld("a newcomer runs half the shards", func() bool {
		return heldBy(one.addr, "discord") == 2 && heldBy(two.addr, "discord") == 2
	})
	fake.WaitConnected(4)
	waitReady(t, two.addr)
	one.stop()
	waitHeld("the shards of a process that left move", func() bool { return heldBy(two.addr, "discord") == 4 })
	fake.WaitConnected(4)
	if n := fake.ShardOverlaps(); n != 0 {
		t.Errorf("%d times a shard was identified while another connection ran it", n)
	}
	t.Logf("%s identifies for 4 shards over the moves", strconv.Itoa(fake.Identifies()))
	last := map[int]time.Time{}
	for _, id := range fake.IdentifyLog() {
		bucket := id.Shard % fake.MaxConcurrency
		if prev, ok := last[bucket]; ok && id.At.Sub(prev) < 5*time.Second {
			t.Errorf("shard %d identified %s after the last session start in its bucket, want 5 s", id.Shard, id.At.Sub(prev).Round(time.Millisecond))
		}
		last[bucket] = id.At
	}
}
