package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/telegram/telegramtest"
	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// heraldProc is a real herald child process, to be killed with SIGKILL.
type heraldProc struct {
	cmd  *exec.Cmd
	addr string
	log  string
}

func startHeraldProc(t *testing.T, bin string, env ...string) *heraldProc {
	t.Helper()
	p := &heraldProc{addr: freeAddr(t), log: filepath.Join(t.TempDir(), "herald.log")}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	p.cmd = exec.Command(bin, "run")
	base := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") {
			base = append(base, kv)
		}
	}
	p.cmd.Env = append(append(base, "HERALD_DB="+filepath.Join(t.TempDir(), "herald.db"), "HERALD_HTTP_ADDR="+p.addr,
		"HERALD_LOG_LEVEL=warn"), env...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(p.log)
			t.Fatalf("herald not ready after 60 s:\n%.3000s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// held reads herald_cluster_held{set=…} from a process's /metrics.
func (p *heraldProc) held(set string) int {
	return int(p.metric(`herald_cluster_held{set="` + set + `"}`))
}

// metric reads one sample (name with its labels) from a process's
// /metrics, or -1.
func (p *heraldProc) metric(sample string) float64 {
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return n
		}
	}
	return -1
}

// TestClusterCrashDeliversEveryAlert: three NATS servers (in this test
// process), two real herald processes (children), 600 alerts queued for
// 60 Telegram chats. During delivery one herald process is killed with
// SIGKILL, and then one NATS server is stopped. Every alert arrives;
// duplicates stay within the sends in flight at the kills; the survivor
// takes over the dead process's outbox partitions and the Telegram long
// poll within 15 s; the deployment keeps Telegram's 30 messages a second
// and each chat's pace throughout.
func TestClusterCrashDeliversEveryAlert(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real herald processes")
	}
	const users, articles, workers = 60, 10, 8
	bin := buildHerald(t)
	nc := natstest.Start(t, 3)
	fake := telegramtest.New(t)
	obs := observer(t, nc.URL())
	for i := range users {
		id := alerts.NewTargetID(alerts.PlatformTelegram, strconv.Itoa(7000+i))
		if err := obs.PutTarget(alerts.Target{ID: id, Kind: alerts.KindDM, Active: true, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := obs.AddSubscription(alerts.Subscription{Target: id, Query: "ceasefire", Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"HERALD_NATS_URL=" + nc.URL(), "HERALD_TELEGRAM_TOKEN=" + telegramtest.Token, "HERALD_TELEGRAM_API=" + fake.URL}
	a := startHeraldProc(t, bin, env...)
	b := startHeraldProc(t, bin, env...)
	deadline := time.Now().Add(30 * time.Second)
	for a.held("outbox") <= 0 || b.held("outbox") <= 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the outbox was not shared: %d and %d partitions", a.held("outbox"), b.held("outbox"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The victim is the process that long-polls Telegram, so the poll must
	// move too; the articles go to the survivor (in the background: under
	// the race detector ingest is slow, and the kill comes during it).
	victim, survivor := a, b
	deadline = time.Now().Add(30 * time.Second)
	for a.held("telegram")+b.held("telegram") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("no process took the Telegram long poll")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if b.held("telegram") == 1 {
		victim, survivor = b, a
	}
	pushed := make(chan struct{})
	go func() {
		defer close(pushed)
		for i := range articles {
			body := fmt.Sprintf(`{"title":"Ceasefire bulletin %02d","url":"https://news.example/bulletin/%02d","body":"%s The ceasefire held.","source":"Example"}`,
				i, i, crashBodies[i])
			resp, err := http.Post("http://"+survivor.addr+"/v1/articles", "application/json", strings.NewReader(body))
			if err != nil || resp.StatusCode != http.StatusAccepted {
				t.Errorf("push %d: %v %v", i, err, resp)
				return
			}
			resp.Body.Close()
		}
	}()
	total := func() int { return len(fake.Requests("sendMessage")) }
	// waitSends waits for n sends, or at most d (the kill comes then
	// anyway: under the race detector everything is slower).
	waitSends := func(n int, d time.Duration) {
		deadline := time.Now().Add(d)
		for total() < n && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Commands from users who get no alerts, all at once, answered by the
	// long poller while the other process sends alerts: replies and alerts
	// share the deployment's budget.
	burst := func(from int64) {
		for i := range 15 {
			id := from + int64(i)
			fake.UserSays(telegramtest.User{ID: id, FirstName: "U"}, "/help")
		}
	}
	waitSends(30, time.Minute)
	burst(9100)
	waitSends(60, time.Minute)
	share := func(p *heraldProc) float64 { return p.metric(`herald_cluster_budget_share{platform="telegram"}`) }
	sv, ss := share(victim), share(survivor)
	t.Logf("Telegram budget shares while both send: %.3f and %.3f", sv, ss)
	if sv+ss > 1+1e-9 || sv < 2.0/30-1e-9 || ss < 2.0/30-1e-9 {
		t.Errorf("budget shares %.3f and %.3f: want each at least the floor (2 of 30), together at most the whole", sv, ss)
	}
	victim.cmd.Process.Kill() // SIGKILL
	victim.cmd.Wait()
	killed := time.Now()
	t.Logf("herald killed after %d sends", total())
	for survivor.held("outbox") != obs.Partitions() || survivor.held("telegram") != 1 {
		if time.Since(killed) > 15*time.Second {
			t.Fatalf("after 15 s the survivor holds %d of %d outbox partitions and %d Telegram poll", survivor.held("outbox"), obs.Partitions(), survivor.held("telegram"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("work taken over in %s", time.Since(killed).Round(100*time.Millisecond))
	for share(survivor) < 1 {
		if time.Since(killed) > 15*time.Second {
			t.Fatalf("after 15 s the survivor has %.3f of the Telegram budget, want all of it", share(survivor))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The takeover shows in the survivor's metrics: counted by a goroutine
	// the partitions' change starts, which may still be reading them.
	for n := survivor.metric("herald_cluster_redeliveries_total"); n <= 0; n = survivor.metric("herald_cluster_redeliveries_total") {
		if time.Since(killed) > 30*time.Second {
			t.Errorf("herald_cluster_redeliveries_total = %v after taking over a backlog", n)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := survivor.metric(`herald_cluster_consumer_lag{consumer="articles"}`); n < 0 {
		t.Error("no herald_cluster_consumer_lag for the articles stream")
	}
	// Commands still get answers: the survivor polls now.
	if r := telegramSay(t, fake, telegramtest.Chat{ID: 9001, Type: "private"}, telegramtest.User{ID: 9001, FirstName: "Late"}, "/help"); r == "" {
		t.Error("no answer to a command after the long poller died")
	}
	burst(9200)

	waitSends(total()+60, time.Minute)
	nc.Kill(0) // a NATS server dies during delivery
	t.Logf("NATS server 1 killed after %d sends", total())
	time.Sleep(2 * time.Second)
	nc.Restart(0)
	<-pushed

	count := func() (missing, dups int) { return countBulletins(fake, users, articles) }
	deadline = time.Now().Add(3 * time.Minute)
	for {
		missing, _ := count()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(survivor.log)
			t.Fatalf("%d of %d alerts never arrived; the survivor's log:\n%.3000s", missing, users*articles, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitDrained(t, obs, 30*time.Second)
	missing, dups := count()
	t.Logf("%d alerts to %d chats: %d missing, %d duplicated (bound: %d sends in flight at each of 2 kills)", users*articles, users, missing, dups, workers)
	if dups > 2*workers {
		t.Errorf("%d duplicates, more than the %d sends that can be in flight at two kills", dups, 2*workers)
	}
	// Every command got its answer (the burst before the kill went to the
	// dead poller, whose offset the survivor read back: those it had not
	// answered yet are answered now).
	for _, from := range []int64{9100, 9200} {
		for i := range 15 {
			fake.WaitSent(t, from+int64(i), 1, testWait)
		}
	}
	// The platform's budget held for the deployment as a whole, alerts and
	// replies together, in every second of the requests as the fake Bot
	// API received them; and each chat's pace.
	sends := fake.Requests("sendMessage")
	worst, worstAt := 0, time.Time{}
	for i := range sends {
		j := i
		for j < len(sends) && sends[j].At.Sub(sends[i].At) < time.Second {
			j++
		}
		if j-i > worst {
			worst, worstAt = j-i, sends[i].At
		}
	}
	t.Logf("busiest second began %s after the herald kill", worstAt.Sub(killed).Round(10*time.Millisecond))
	t.Logf("busiest second of the deployment: %d messages (alerts and replies)", worst)
	if worst > 30 {
		t.Errorf("%d messages within one second from the deployment; Telegram allows 30", worst)
	}
	for _, id := range append(idRange(7000, users), append(idRange(9100, 15), idRange(9200, 15)...)...) {
		if v := fake.Violations(id); v > 0 {
			t.Errorf("chat %d got %d messages faster than its pace", id, v)
		}
	}
}

func idRange(from int64, n int) []int64 {
	var out []int64
	for i := range n {
		out = append(out, from+int64(i))
	}
	return out
}
