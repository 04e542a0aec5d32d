package bot_test

import (
	"sync/atomic"
	"testing"

	"github.com/herald-news/herald/bot"
)

// An article is summarised once, when it reaches a chat: the alert and
// the stored article (read again for digests, edits and after a restart)
// carry the summary. An article that reaches no chat is not summarised.
func TestOnlyArticlesThatReachAChatAreSummarised(t *testing.T) {
	var calls atomic.Int32
	e := newEnv(t, func(o *bot.Options) {
		o.Summarize = func(title, body string) string {
			calls.Add(1)
			return "summary of " + title
		}
	})
	e.cmd(dm, "/subscribe ceasefire")
	hit := article("Ceasefire talks resume", "envoys meet in geneva to discuss a ceasefire")
	miss := article("Markets close higher", "stocks rose on monday")
	e.ingest(miss)
	e.ingest(hit)
	e.drain()
	if n := calls.Load(); n != 1 {
		t.Errorf("summarised %d times, want once (only the article that reached a chat)", n)
	}
	got := e.sender.sent()
	if len(got) != 1 || got[0].msg.Alerts[0].Article.Summary != "summary of Ceasefire talks resume" {
		t.Fatalf("sent %+v, want one alert carrying the summary", got)
	}
	stored, err := e.db.GetArticle(hit.ID)
	if err != nil || stored.Summary != "summary of Ceasefire talks resume" {
		t.Errorf("stored matching article: summary %q, err %v; want the alert's summary", stored.Summary, err)
	}
	if stored, err := e.db.GetArticle(miss.ID); err != nil || stored.Summary != "" {
		t.Errorf("stored article that reached no chat: summary %q, err %v; want none", stored.Summary, err)
	}
	// A feed's own description is the summary: nothing to compute.
	own := article("Ceasefire holds", "the ceasefire held overnight")
	own.Summary = "The feed's own summary."
	e.ingest(own)
	e.drain()
	if n := calls.Load(); n != 1 {
		t.Errorf("summarised %d times, want the feed's summary kept", n)
	}
}
