package summary_test

import (
	"fmt"
	"html"

	"github.com/herald-news/herald/alerts/summary"
)

func ExampleSummarize() {
	body := "Heavy storms closed three ports on the northern coast on Tuesday, halting grain exports for a second day. " +
		"Harbour officials said ships would wait at anchor until the wind dropped. " +
		"© 2025 Example News. All rights reserved."
	fmt.Println(summary.Summarize("Storms close ports", body, 120))
	// Output:
	// Heavy storms closed three ports on the northern coast on Tuesday, halting grain exports for a second day.
}

func ExampleWhySentence() {
	body := "Talks resumed in Doha. The ceasefires announced in March collapsed within days."
	s, marks := summary.WhySentence(body, []string{"ceasefire"})
	fmt.Println(summary.Mark(s, marks, "<b>", "</b>", html.EscapeString))
	// Output:
	// The <b>ceasefires</b> announced in March collapsed within days.
}
