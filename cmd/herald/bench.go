package main

import (
	"fmt"
	"io"
)

// runBench is a placeholder until the matching engine's command lands; the
// owner of alerts/match replaces this file.
func runBench(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "herald bench: not available yet")
	return 2
}
