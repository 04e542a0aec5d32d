package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// event is one ceasefire, told by two outlets in their own words: the
// events share the wording, but no two share more than one name or
// figure, so they are five stories.
type event struct{ a, b, where, who, days string }

var events = []event{
	{"Russia", "Ukraine", "Riyadh", "Saudi", "thirty"},
	{"Armenia", "Azerbaijan", "Geneva", "Swiss", "14"},
	{"Ethiopia", "Eritrea", "Nairobi", "Kenyan", "21"},
	{"Colombia", "Venezuela", "Havana", "Cuban", "45"},
	{"Serbia", "Kosovo", "Brussels", "Belgian", "60"},
}

func (e event) reports() (titleA, bodyA, titleB, bodyB string) {
	titleA = fmt.Sprintf("%s and %s agree %s-day energy ceasefire", e.a, e.b, e.days)
	bodyA = fmt.Sprintf("%s and %s agreed to a %s-day ceasefire on energy infrastructure after talks in %s, officials from both delegations said on Tuesday. The truce covers power plants, substations and pipelines and takes effect at midnight, according to a joint statement read by the %s foreign minister.", e.a, e.b, e.days, e.where, e.who)
	titleB = fmt.Sprintf("Energy truce agreed in %s talks between %s and %s", e.where, e.a, e.b)
	bodyB = fmt.Sprintf("%s and %s agreed to a %s-day ceasefire covering energy infrastructure following talks in %s, both delegations said on Tuesday. The truce covers power plants, substations and pipelines and begins at midnight, a joint statement read by the %s foreign minister said.", e.a, e.b, e.days, e.where, e.who)
	return
}

// TestClusterReportsAtOnceFormOneStory: two reports of one event reach two
// processes at the same moment, for five events at once. Each event is one
// story: one alert per event, which ends up naming both outlets. And an
// alert committed by the process that does not send to the chat reaches
// the chat at once (the sender is told), not at the sender's next full
// read of the outbox 30 s later.
func TestClusterReportsAtOnceFormOneStory(t *testing.T) {
	const chat = 5151
	fake, a, b, obs := subscribedDeployment(t, chat)
	// Both processes have the subscription in their matcher.
	time.Sleep(500 * time.Millisecond)

	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, e := range events {
		ta, ba, tb, bb := e.reports()
		wg.Go(func() {
			<-start
			pushStatus(t, a.addr, ta, fmt.Sprintf("https://one.example/%d", i), ba, "One Wire")
		})
		wg.Go(func() {
			<-start
			pushStatus(t, b.addr, tb, fmt.Sprintf("https://two.example/%d", i), bb, "Two Daily")
		})
	}
	close(start)
	wg.Wait()
	fake.WaitSent(t, chat, 1+len(events), testWait)
	waitDrained(t, obs, testWait)
	sent := fake.Sent(chat)[1:]
	if len(sent) != len(events) {
		var titles []string
		for _, m := range sent {
			titles = append(titles, strings.SplitN(m.Visible, "\n", 2)[0])
		}
		t.Fatalf("%d alerts for %d events reported at once at two processes:\n%s", len(sent), len(events), strings.Join(titles, "\n"))
	}
	for _, m := range sent {
		if !strings.Contains(m.Visible, "One Wire") || !strings.Contains(m.Visible, "Two Daily") {
			t.Errorf("the alert does not name both outlets (edits: %d):\n%s", m.Edits, m.Visible)
		}
	}
	t.Logf("%d events, %d alerts, %d edits; %v and %v articles waited for one announced elsewhere",
		len(events), len(sent), len(fake.Requests("editMessageText")),
		metricOf(a.addr, "herald_cluster_story_waits_total"), metricOf(b.addr, "herald_cluster_story_waits_total"))

	// One lone alert committed at each process: one of the two does not
	// send to the chat, and its alert still arrives at once.
	lone := []struct {
		p           *served
		title, body string
	}{
		{a, "Ceasefire holds in Tbilisi", "The ceasefire declared in Tbilisi on Monday held for a second day, Georgian officials said."},
		{b, "Mogadishu ceasefire extended", "Somali clan elders in Mogadishu extended their ceasefire by 90 days, the AMISOM mission said."},
	}
	for i, l := range lone {
		before := len(fake.Sent(chat))
		pushStatus(t, l.p.addr, l.title, fmt.Sprintf("https://three.example/%d", i), l.body, "Three Post")
		fake.WaitSent(t, chat, before+1, 5*time.Second)
	}
	notices := metricOf(a.addr, "herald_cluster_outbox_notices_total") + metricOf(b.addr, "herald_cluster_outbox_notices_total")
	if notices <= 0 {
		t.Errorf("no process was told of a delivery another process queued (herald_cluster_outbox_notices_total = %v)", notices)
	}
}
