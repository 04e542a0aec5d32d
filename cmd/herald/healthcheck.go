package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// healthTimeout bounds herald healthcheck: Docker's own timeout for the
// check defaults to 30 s, and a health check should answer well within it.
const healthTimeout = 5 * time.Second

// runHealthcheck exits 0 when the herald on this machine answers /healthz:
// the Docker image is distroless, with no curl to ask it. The address is
// HERALD_HTTP_ADDR, as herald run and herald backup read it.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: herald healthcheck   (asks HERALD_HTTP_ADDR, default 127.0.0.1:8080, for /healthz)")
		return 2
	}
	cfg, err := loadConfig(nil, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	u := localURL(cfg.HTTPAddr, "/healthz")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "herald: unhealthy: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "herald: unhealthy: %s answered %s\n", u, resp.Status)
		return 1
	}
	fmt.Fprintf(stdout, "herald at %s is healthy\n", cfg.HTTPAddr)
	return 0
}

// localURL is the URL of path on the herald listening at addr, from this
// machine: a server listening on every interface (0.0.0.0:8080, as in the
// Docker image, or :8080) is asked on loopback.
func localURL(addr, path string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + path
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + path
}
