package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage/jetstream"
	"github.com/herald-news/herald/storage/jetstream/natstest"
)

// The same update during the first send, with the bot's state in the
// cluster store (NATS JetStream, three embedded servers) instead of
// bbolt: the store's CompleteAll and Enqueue turn the update into the
// edit of the message just sent, as bbolt's do in one transaction.
func TestAnUpdateDuringTheFirstSendBecomesItsEditInClusterMode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS cluster")
	}
	c := natstest.Start(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, err := jetstream.Open(ctx, jetstream.Options{URL: c.URL(), Name: "bot", Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { js.Close() })
	e := newEnv(t, func(o *bot.Options) {
		o.Clusterer = &joinStories{stories: map[string]*alerts.Story{}}
		o.Store = js
	})
	updateDuringTheFirstSend(t, e, js)
}
