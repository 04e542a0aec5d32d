package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/telegram/telegramtest"
	"github.com/herald-news/herald/storage"
)

// crashSeed replays TestCrashRecoveryDeliversEveryAlert's kill times: the
// test logs the seed it drew.
var crashSeed = flag.Uint64("crash.seed", 0, "seed of TestCrashRecoveryDeliversEveryAlert's kill times (0 draws one; the test logs it)")

// crashBodies are distinct events, so that none of them joins another's
// story: each must be its own alert.
var crashBodies = []string{
	"Negotiators in Vienna discussed a grain corridor through the Black Sea ports.",
	"A prisoner exchange brought home forty soldiers near the northern border crossing.",
	"Monitors from the OSCE reported shelling overnight close to a water treatment plant.",
	"Parliament voted to extend martial law for another ninety days.",
	"Energy officials warned of rolling blackouts after strikes on a substation.",
	"The central bank cut its key interest rate citing lower inflation.",
	"Aid convoys reached three villages that were cut off since spring.",
	"A court sentenced two officials for embezzling funds meant for fortifications.",
	"Farmers protested at the border against cheap imports of wheat and sugar.",
	"Engineers reopened a railway bridge destroyed by flooding last year.",
}

// TestCrashRecoveryDeliversEveryAlert runs a real herald process against a
// fake Telegram with a backlog of 1,000 alerts to 100 chats, kills it with
// SIGKILL at random moments, restarts it, and checks that every alert
// arrived, and that duplicates stay within what was in flight at the kills.
func TestCrashRecoveryDeliversEveryAlert(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real herald process")
	}
	const users, articles, kills, workers = 100, 10, 4, 8
	bin := buildHerald(t)
	fake := telegramtest.New(t)
	dbPath := filepath.Join(t.TempDir(), "herald.db")
	addr := freeAddr(t)
	logPath := filepath.Join(t.TempDir(), "herald.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	var proc *exec.Cmd
	start := func() {
		t.Helper()
		proc = exec.Command(bin, "run")
		env := []string{}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "HERALD_") {
				env = append(env, kv)
			}
		}
		proc.Env = append(env, "HERALD_DB="+dbPath, "HERALD_HTTP_ADDR="+addr, "HERALD_LOG_LEVEL=warn",
			"HERALD_TELEGRAM_TOKEN="+telegramtest.Token, "HERALD_TELEGRAM_API="+fake.URL)
		proc.Stdout, proc.Stderr = logf, logf
		if err := proc.Start(); err != nil {
			t.Fatal(err)
		}
		waitReady(t, addr)
	}
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill times from seed %d; replay them with: go test -run TestCrashRecoveryDeliversEveryAlert ./cmd/herald -args -crash.seed=%d", seed, seed)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("seed %d; herald's log:\n%.3000s", seed, log)
		}
	})
	start()
	t.Cleanup(func() {
		if proc.ProcessState == nil {
			proc.Process.Kill()
			proc.Wait()
		}
	})

	for i := range users {
		fake.UserSays(telegramtest.User{ID: int64(7000 + i), FirstName: fmt.Sprintf("User%d", i)}, "/subscribe ceasefire")
	}
	for i := range users {
		fake.WaitSent(t, int64(7000+i), 1, 60*time.Second) // the reply
	}
	for i := range articles {
		body := fmt.Sprintf(`{"title":"Ceasefire bulletin %02d","url":"https://news.example/bulletin/%02d","body":"%s The ceasefire held.","source":"Example"}`,
			i, i, crashBodies[i])
		resp, err := http.Post("http://"+addr+"/v1/articles", "application/json", strings.NewReader(body))
		if err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("push %d: %v %v", i, err, resp)
		}
		resp.Body.Close()
	}

	total := func() int {
		n := 0
		for i := range users {
			n += len(fake.Sent(int64(7000 + i)))
		}
		return n
	}
	rng := rand.New(rand.NewPCG(seed, 42))
	for k := range kills {
		time.Sleep(time.Duration(300+rng.IntN(2500)) * time.Millisecond)
		proc.Process.Kill() // SIGKILL
		proc.Wait()
		t.Logf("kill %d: %d messages delivered so far", k+1, total()-users)
		start()
	}

	count := func() (missing, dups int) { return countBulletins(fake, users, articles) }
	waitForWithin(t, 3*time.Minute, "every alert to arrive", func() bool { missing, _ := count(); return missing == 0 })
	// Stop herald the way an operator does, then read its outbox: once
	// it is empty, nothing more can be sent, so the count is final.
	proc.Process.Signal(syscall.SIGTERM)
	if err := proc.Wait(); err != nil {
		t.Errorf("herald did not stop cleanly on SIGTERM: %v", err)
	}
	db, err := storage.Open(dbPath, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	left, err := db.Pending(1 << 20)
	db.Close()
	if err != nil || len(left) != 0 {
		t.Errorf("%d deliveries left in the outbox after every alert arrived (%v)", len(left), err)
	}
	missing, dups := count()
	t.Logf("%d alerts to %d chats: %d missing, %d duplicated across %d SIGKILLs (bound: %d sends in flight per kill)",
		users*articles, users, missing, dups, kills, workers)
	if dups > kills*workers {
		t.Errorf("%d duplicate alerts, more than the %d that can be in flight at %d kills", dups, kills*workers, kills)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

var bulletinTitle = regexp.MustCompile(`Ceasefire bulletin (\d\d)`)

// countBulletins counts, over the chats 7000… of the crash tests, the
// bulletins that never arrived and those that arrived more than once.
func countBulletins(fake *telegramtest.Server, users, articles int) (missing, dups int) {
	for i := range users {
		seen := map[string]int{}
		for _, m := range fake.Sent(int64(7000 + i)) {
			for _, g := range bulletinTitle.FindAllStringSubmatch(m.Visible, -1) {
				seen[g[1]]++
			}
		}
		for a := range articles {
			n := seen[fmt.Sprintf("%02d", a)]
			if n == 0 {
				missing++
			}
			if n > 1 {
				dups += n - 1
			}
		}
	}
	return missing, dups
}
