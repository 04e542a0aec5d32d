package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/adapters/telegram/telegramtest"
	"github.com/herald-news/herald/storage/jetstream"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// startClusterProcess runs one herald process of a cluster deployment in
// this test process (serve, as herald run does), on the NATS at natsURL
// and, when fake is not nil, the shared fake Bot API; extra are more
// variables, name then value. It returns once the process is ready.
func startClusterProcess(t *testing.T, natsURL string, fake *telegramtest.Server, extra ...string) *served {
	t.Helper()
	vars := map[string]string{"HERALD_NATS_URL": natsURL}
	if fake != nil {
		vars["HERALD_TELEGRAM_TOKEN"], vars["HERALD_TELEGRAM_API"] = telegramtest.Token, fake.URL
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	s := startServe(t, vars)
	waitReady(t, s.addr)
	return s
}

// pushStatus posts an article and returns the status herald answered.
func pushStatus(t *testing.T, addr, title, url, body, source string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"title": title, "url": url, "body": body, "source": source})
	resp, err := testHTTP.Post("http://"+addr+"/v1/articles", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	var out struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode/100 != 2 {
		t.Errorf("POST /v1/articles: %s", resp.Status)
	}
	return out.Status
}

// observer opens the deployment's store as a test's window on it: every
// outbox partition, no leases.
func observer(t *testing.T, natsURL string) *jetstream.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	s, err := jetstream.Open(ctx, jetstream.Options{URL: natsURL, Name: "observer"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitDrained waits until the deployment's outbox is empty: nothing more
// will be sent.
func waitDrained(t *testing.T, obs *jetstream.Store, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		heads, err := obs.Heads()
		if err == nil && len(heads) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained within %s: %d targets still wait (%v)", d, len(heads), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const (
	reportA = "Russia and Ukraine agreed to a thirty-day ceasefire on energy infrastructure after talks in Riyadh, officials from both delegations said on Tuesday. The truce covers power plants, substations and pipelines and takes effect at midnight, according to a joint statement read by the Saudi foreign minister."
	reportB = "Russia and Ukraine agreed to a thirty-day ceasefire covering energy infrastructure following talks in Riyadh, both delegations said on Tuesday. The truce covers power plants, substations and pipelines and begins at midnight, a joint statement read by the Saudi foreign minister said."
)

// TestClusterOneAlertPerStory: two herald processes on a three-server
// NATS cluster form one deployment. A subscription made through one counts
// in the other; the same article pushed to both raises one alert; a second
// report of the event, pushed to the other process, joins the story and
// edits the alert instead of posting again.
func TestClusterOneAlertPerStory(t *testing.T) {
	fake, a, b, obs := subscribedDeployment(t, 4242)
	// The same article reaches both processes at once.
	var wg sync.WaitGroup
	statuses := make([]string, 2)
	for i, p := range []*served{a, b} {
		wg.Go(func() {
			statuses[i] = pushStatus(t, p.addr, "Ceasefire on energy sites agreed", "https://one.example/ceasefire", reportA, "One Wire")
		})
	}
	wg.Wait()
	fake.WaitSent(t, 4242, 2, testWait) // the reply and the alert
	waitDrained(t, obs, testWait)
	if sent := fake.Sent(4242); len(sent) != 2 {
		t.Fatalf("%d messages after the same article reached two processes (%v), want the reply and one alert", len(sent), statuses)
	}
	alert := fake.Sent(4242)[1]

	// A second outlet's report of the event, at the process that did not
	// necessarily send the alert: the story gains a source, the alert is
	// edited.
	if st := pushStatus(t, b.addr, "Energy truce agreed in Riyadh talks", "https://two.example/truce", reportB, "Two Daily"); st != "accepted" {
		t.Fatalf("second report: %q", st)
	}
	edits := fake.WaitRequests(t, "editMessageText", 1, testWait)
	waitDrained(t, obs, testWait)
	if got := len(fake.Sent(4242)); got != 2 {
		t.Errorf("the second report posted again: %d messages, want 2", got)
	}
	if e := edits[0].Params; e.Get("message_id") != itoaInt(alert.MessageID) || !strings.Contains(e.Get("text"), "Two Daily") {
		t.Errorf("edit %v does not name the new source on the sent alert %d", e, alert.MessageID)
	}
	if n := fake.Conflicts(); n != 0 {
		t.Errorf("%d getUpdates conflicts: two processes long-polled at once", n)
	}
}

// subscribedDeployment starts two herald processes on three NATS servers
// and the fake Bot API, and subscribes a user (chat) to "ceasefire"
// through them.
func subscribedDeployment(t *testing.T, chat int64) (fake *telegramtest.Server, a, b *served, obs *jetstream.Store) {
	t.Helper()
	nc := natstest.Start(t, 3)
	fake = telegramtest.New(t)
	a = startClusterProcess(t, nc.URL(), fake)
	b = startClusterProcess(t, nc.URL(), fake)
	obs = observer(t, nc.URL())
	user := telegramtest.User{ID: chat, FirstName: "Olena"}
	if reply := telegramSay(t, fake, telegramtest.Chat{ID: chat, Type: "private"}, user, "/subscribe ceasefire"); !strings.Contains(reply, "Subscribed") {
		t.Fatalf("subscribe reply: %q", reply)
	}
	return fake, a, b, obs
}

func itoaInt(n int) string { return strconv.Itoa(n) }

// TestClusterWebhookAnyProcess: in webhook mode every process registers
// the same webhook with the same secret, so whichever process the load
// balancer hands an update to handles it.
func TestClusterWebhookAnyProcess(t *testing.T) {
	nc := natstest.Start(t, 3)
	fake := telegramtest.New(t)
	addrA, addrB := freeAddr(t), freeAddr(t)
	hook := "http://" + addrA + "/telegram/webhook" // the balancer's address, in production
	startClusterProcess(t, nc.URL(), fake, "HERALD_HTTP_ADDR", addrA, "HERALD_TELEGRAM_WEBHOOK_URL", hook)
	startClusterProcess(t, nc.URL(), fake, "HERALD_HTTP_ADDR", addrB, "HERALD_TELEGRAM_WEBHOOK_URL", hook)
	_, secret := fake.Webhook()
	for i, addr := range []string{addrA, addrB} {
		chat := int64(500 + i)
		body := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":1,"date":1,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"first_name":"U"},"text":"/help"}}`, 90+i, chat, chat)
		req, _ := http.NewRequest("POST", "http://"+addr+"/telegram/webhook", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := testHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("process %d refused the webhook update: %s", i+1, resp.Status)
		}
		fake.WaitSent(t, chat, 1, testWait)
	}
	if n := len(fake.Requests("getUpdates")); n != 0 {
		t.Errorf("%d getUpdates in webhook mode", n)
	}
}
