package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/herald-news/herald/alerts/match/bench"
)

// runBench is herald bench [--subs 10k,100k,1M] [--json] [--seed N]
// [--docs N] [--duration D] [--mix cold|hot]: Herald's tokenizer alone
// (the floor) and strings.Fields (naive), then the matching engine against
// the brute-force evaluator and a per-subscription regexp loop (those two
// up to 10k) on a seeded workload.
func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	subs := fs.String("subs", "10000,100000,1000000", "subscription counts, comma-separated (digits, or 100k, 10M)")
	asJSON := fs.Bool("json", false, "one JSON line per engine and size")
	seed := fs.Uint64("seed", 1, "workload seed")
	docs := fs.Int("docs", 1000, "distinct articles")
	mix := fs.String("mix", "cold", `subscription mix: "cold" (mostly specific terms: the pool leaves out the 2,000 commonest article words) or "hot" (popular terms: output-bound)`)
	dur := fs.Duration("duration", 2*time.Second, "timed matching per engine and size")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *mix != "cold" && *mix != "hot" {
		fmt.Fprintf(stderr, "herald bench: --mix: %q is neither cold nor hot\n", *mix)
		return 2
	}
	var sizes []int
	for _, f := range strings.Split(*subs, ",") {
		n, err := bench.ParseSize(f)
		if err != nil {
			fmt.Fprintf(stderr, "herald bench: --subs: %v\n", err)
			return 2
		}
		sizes = append(sizes, n)
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "%-7s %9s %11s %8s %9s %9s %9s %7s %7s %9s %7s %7s %8s %8s %8s %s\n",
			"engine", "subs", "docs/s", "MB/s", "p50 µs", "p99 µs", "B/sub", "allocs", "cold", "add p99", "load s", "RSS MB",
			"cpu µs", "add cpu", "load cpu", "checksum")
	}
	enc := json.NewEncoder(stdout)
	err := bench.Run(sizes, bench.Options{Seed: *seed, Docs: *docs, Duration: *dur, Hot: *mix == "hot"}, func(r bench.Result) {
		if *asJSON {
			enc.Encode(r)
			return
		}
		fmt.Fprintf(stdout, "%-7s %9d %11.0f %8.1f %9.1f %9.1f %9.1f %7.2f %7.2f %9.1f %7.2f %7.0f %8.1f %8.1f %8.2f %s\n",
			r.Engine, r.Subs, r.DocsPerS, r.MBPerS, r.P50us, r.P99us, r.BytesPerSub, r.AllocsPerDc, r.ColdAllocsPerDc, r.AddP99us, r.LoadS, r.RSSMB,
			r.CPUusPerDoc, r.AddCPUP99us, r.LoadCPUS, r.Checksum)
	})
	if err != nil {
		fmt.Fprintf(stderr, "herald bench: %v\n", err)
		return 2
	}
	return 0
}
