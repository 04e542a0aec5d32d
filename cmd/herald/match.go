package main

import (
	"fmt"
	"io"
)

// runMatch is a placeholder until the matching engine's command lands; the
// owner of alerts/match replaces this file.
func runMatch(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "herald match: not available yet")
	return 2
}
