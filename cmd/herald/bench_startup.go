package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/herald-news/herald/bot"
	"github.com/herald-news/herald/storage"
	"github.com/prometheus/client_golang/prometheus"
)

// startupResult is one start of herald run on a filled database.
type startupResult struct {
	Subs    int `json:"subs"`
	Targets int `json:"targets"`
	// ReadyS is from starting the process to /readyz answering 200;
	// CPUS the CPU time (user and system) the process had used by then,
	// which a busy machine inflates less than the wall time.
	ReadyS float64 `json:"ready_s"`
	CPUS   float64 `json:"cpu_s"`
	// HeapMB is the Go heap in use (go_memstats_heap_inuse_bytes) right
	// at ready; SettledMB the live heap (heap_alloc) two seconds later,
	// once the collection after loading ran.
	HeapMB    float64 `json:"heap_mb"`
	SettledMB float64 `json:"settled_heap_mb"`
	// RSSMB is the resident set at ready; PeakRSSMB its high-water mark
	// (VmHWM) over the start.
	RSSMB     float64 `json:"rss_mb"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
	FileMB    float64 `json:"file_mb"`
}

// runBenchStartup is herald bench startup: how long herald run takes to be
// ready on a database of N subscriptions over M chats, and the memory it
// holds then. It fills the database with gendb first (in a temporary
// directory, or --db FILE to keep it and use it again), then starts this
// binary's herald run on it --runs times, with no platform, and reads
// /readyz and /metrics.
func runBenchStartup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald bench startup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o genOptions
	fs.IntVar(&o.Subs, "subs", 1_000_000, "subscriptions")
	fs.IntVar(&o.Targets, "targets", 100_000, "chats they belong to")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the generated database")
	dbPath := fs.String("db", "", "database to start on; written by gendb first if it does not exist (default: a temporary one)")
	runs := fs.Int("runs", 3, "starts to measure")
	asJSON := fs.Bool("json", false, "one JSON line per start")
	bin := fs.String("bin", "", "herald binary to start (default: this one), to compare builds on one database")
	cpuProfile := fs.String("cpuprofile", "", "instead of starting herald run, load the database's subscriptions in this process as herald run does and write a CPU profile of the load to FILE")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *dbPath == "" {
		dir, err := os.MkdirTemp("", "herald-bench-")
		if err != nil {
			fmt.Fprintf(stderr, "herald bench startup: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		*dbPath = filepath.Join(dir, "herald.db")
	}
	if _, err := os.Stat(*dbPath); errors.Is(err, os.ErrNotExist) {
		start := time.Now()
		if err := genDB(*dbPath, o); err != nil {
			fmt.Fprintf(stderr, "herald bench startup: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "filled %s with %d subscriptions over %d chats in %s\n", *dbPath, o.Subs, o.Targets, time.Since(start).Round(time.Second))
	} else {
		o.Targets = 0 // not known
	}
	if *cpuProfile != "" {
		if err := profileLoad(*dbPath, *cpuProfile, stdout); err != nil {
			fmt.Fprintf(stderr, "herald bench startup: %v\n", err)
			return 1
		}
		return 0
	}
	self, err := os.Executable()
	if *bin != "" {
		self, err = *bin, nil
	}
	if err != nil {
		fmt.Fprintf(stderr, "herald bench startup: %v\n", err)
		return 1
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "%9s %8s %8s %8s %10s %10s %8s %10s %8s\n", "subs", "targets", "ready s", "CPU s", "heap MB", "settled MB", "RSS MB", "peak RSS", "file MB")
	}
	for range *runs {
		r, err := startOnce(ctx, self, *dbPath)
		if err != nil {
			fmt.Fprintf(stderr, "herald bench startup: %v\n", err)
			return 1
		}
		r.Targets = o.Targets
		if *asJSON {
			json.NewEncoder(stdout).Encode(r)
			continue
		}
		fmt.Fprintf(stdout, "%9d %8d %8.2f %8.2f %10.0f %10.0f %8.0f %10.0f %8.0f\n",
			r.Subs, r.Targets, r.ReadyS, r.CPUS, r.HeapMB, r.SettledMB, r.RSSMB, r.PeakRSSMB, r.FileMB)
	}
	return 0
}

// startOnce starts herald run on db, measures it once ready, and stops it.
// herald is given a free port, and polled once its log says it is starting
// (just before it listens), so that the answers come from it.
func startOnce(ctx context.Context, self, db string) (startupResult, error) {
	var r startupResult
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return r, err
	}
	given := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, self, "run")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") { // no platform, no feeds
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HERALD_DB="+db, "HERALD_HTTP_ADDR="+given, "HERALD_LOG_FORMAT=json")
	logs, err := cmd.StderrPipe()
	if err != nil {
		return r, err
	}
	cmd.Stdout = cmd.Stderr
	client := &http.Client{Timeout: 5 * time.Second}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	addr, seen := "", &strings.Builder{}
	sc := bufio.NewScanner(logs)
	for addr == "" && sc.Scan() {
		var line struct {
			Msg           string
			Subscriptions int
		}
		json.Unmarshal(sc.Bytes(), &line)
		if line.Msg == "Herald starting" {
			r.Subs, addr = line.Subscriptions, given
		}
		fmt.Fprintln(seen, sc.Text())
	}
	if addr == "" {
		return r, fmt.Errorf("herald run stopped before it started:\n%s", seen)
	}
	go io.Copy(io.Discard, logs) // the rest of its log
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(start) > 5*time.Minute {
			return r, fmt.Errorf("herald run not ready after 5 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.ReadyS = time.Since(start).Seconds()
	r.CPUS = cpuTime(cmd.Process.Pid)
	m, err := scrape(client, addr)
	if err != nil {
		return r, err
	}
	r.HeapMB, r.RSSMB = m["go_memstats_heap_inuse_bytes"]/1e6, m["process_resident_memory_bytes"]/1e6
	time.Sleep(2 * time.Second)
	if m, err = scrape(client, addr); err != nil {
		return r, err
	}
	r.SettledMB = m["go_memstats_heap_alloc_bytes"] / 1e6
	r.PeakRSSMB = peakRSS(cmd.Process.Pid) / 1e6
	if fi, err := os.Stat(db); err == nil {
		r.FileMB = float64(fi.Size()) / 1e6
	}
	return r, nil
}

// scrape reads the unlabelled series of herald's /metrics.
func scrape(client *http.Client, addr string) (map[string]float64, error) {
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// peakRSS is a process's resident high-water mark in bytes (Linux), or 0.
func peakRSS(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb * 1024
		}
	}
	return 0
}

// cpuTime is the CPU seconds (user and system) a process has used (Linux),
// or 0.
func cpuTime(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after it. utime and stime are the 14th and 15th, in clock ticks of
	// 1/100 s on Linux.
	_, rest, ok := strings.Cut(string(raw), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100
}

// profileLoad loads the subscriptions of db as herald run does
// (loadSubscriptions into the matcher and the bot's subscription table)
// under a CPU profile written to file, and says what it took.
func profileLoad(db, file string, stdout io.Writer) error {
	st, err := storage.Open(db, storage.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	log := slog.New(slog.DiscardHandler)
	c, err := newCore(config{}, log)
	if err != nil {
		return err
	}
	b, err := bot.New(bot.Options{Store: st, Matcher: c.matcher, Parse: c.parse, Clusterer: c.clusterer,
		Summarize: c.summarize, Log: log, Metrics: bot.NewMetrics(prometheus.NewRegistry())})
	if err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	start, cpu := time.Now(), selfCPU()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	n, err := loadSubscriptions(b)
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(stdout, "loaded %d subscriptions in %.2f s (%.2f s of CPU), %.0f MB allocated, heap %.0f MB after; profile in %s\n",
		n, time.Since(start).Seconds(), (selfCPU() - cpu).Seconds(), float64(ms.TotalAlloc)/1e6, float64(ms.HeapInuse)/1e6, file)
	runtime.KeepAlive(b)
	return nil
}
