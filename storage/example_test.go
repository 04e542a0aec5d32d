package storage_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/storage"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "herald-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// A second herald on the same file gets storage.ErrInUse after the
	// lock timeout instead of hanging.
	db, err := storage.Open(filepath.Join(dir, "herald.db"), storage.Options{LockTimeout: time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	chat := alerts.NewTargetID(alerts.PlatformTelegram, "-1001234")
	if err := db.PutTarget(alerts.Target{ID: chat, Kind: alerts.KindGroup, Active: true}); err != nil {
		log.Fatal(err)
	}
	for _, q := range []string{"ceasefire", `"peace deal" OR Zelensky`} {
		if _, err := db.AddSubscription(alerts.Subscription{Target: chat, Query: q}); err != nil {
			log.Fatal(err)
		}
	}
	subs, err := db.ListSubscriptions(chat)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range subs {
		fmt.Println(s.ID, s.Query)
	}

	_, err = db.GetMeta("tg_last_update_id")
	fmt.Println("missing value is ErrNotFound:", errors.Is(err, alerts.ErrNotFound))

	v, _ := db.SchemaVersion()
	fmt.Println("schema version", v)
	// Output:
	// 1 ceasefire
	// 2 "peace deal" OR Zelensky
	// missing value is ErrNotFound: true
	// schema version 9
}
