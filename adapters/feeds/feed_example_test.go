package feeds_test

import (
	"fmt"

	"github.com/herald-news/herald/adapters/feeds"
)

func ExampleParseFeed() {
	doc := []byte(`<?xml version="1.0"?>
<rss version="2.0"><channel><title>Kyiv Wire</title>
<item><title>Ceasefire talks resume</title><link>https://kyivwire.example/a?utm_source=rss</link>
<guid isPermaLink="false">kw-1</guid>
<description>&lt;p&gt;Delegations met on &lt;b&gt;Tuesday&lt;/b&gt;.&lt;/p&gt;</description></item>
</channel></rss>`)
	items, err := feeds.ParseFeed(doc, "https://kyivwire.example/feed.xml")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range items {
		fmt.Printf("%s | %s | %s | %s\n", a.Source, a.Title, a.URL, a.Body)
	}
	// Output:
	// Kyiv Wire | Ceasefire talks resume | https://kyivwire.example/a | Delegations met on Tuesday.
}
