// Package natstest runs a NATS JetStream cluster inside a test process:
// three (or any number of) embedded nats-server instances routed to each
// other, each with its own store directory, on loopback ports. Tests of
// Herald's cluster mode use it instead of an external NATS, so CI needs no
// service; a server can be stopped (as a crash: no goodbye to its peers)
// and started again on the same ports and directory.
package natstest

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a running set of embedded servers.
type Cluster struct {
	t       testing.TB
	opts    []*server.Options
	servers []*server.Server
}

// Start starts n servers routed into one JetStream cluster and waits until
// they accept clients and JetStream has a meta leader. They stop when the
// test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	// The ports are chosen free and released before the servers take
	// them, so another process (a test's client connecting out from an
	// ephemeral port) can take one in between; the server then never
	// listens. Such a cluster is dropped and started again on new ports.
	for attempt := 1; ; attempt++ {
		c := &Cluster{t: t}
		if c.try(n, t.TempDir()) {
			t.Cleanup(c.Shutdown)
			c.WaitReady(30 * time.Second)
			return c
		}
		c.Shutdown()
		if attempt == startAttempts {
			t.Fatalf("natstest: a server of %d did not accept clients within %s, %d times on new ports", n, readyWithin, attempt)
		}
		t.Logf("natstest: a server did not accept clients within %s; starting the cluster again on new ports", readyWithin)
	}
}

// startAttempts is how many times Start tries new ports.
const startAttempts = 3

// readyWithin is how long a server has to listen, and pickPorts chooses
// the ports (variables for this package's test).
var (
	readyWithin = 10 * time.Second
	pickPorts   = freePorts
)

// try configures n servers on new ports in dir and starts them, and
// reports whether every one listens.
func (c *Cluster) try(n int, dir string) bool {
	ports := pickPorts(c.t, 2*n) // one call: no port twice
	clusterPorts, clientPorts := ports[:n], ports[n:]
	var routes []*url.URL
	for _, p := range clusterPorts {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	for i := range n {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       clientPorts[i],
			NoLog:      true,
			NoSigs:     true,
			JetStream:  true,
			StoreDir:   filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
			// Small limits keep a test's memory small; nothing here is
			// near them.
			JetStreamMaxMemory: 256 << 20,
			JetStreamMaxStore:  1 << 30,
		}
		if n > 1 {
			o.Cluster = server.ClusterOpts{Name: "herald-test", Host: "127.0.0.1", Port: clusterPorts[i]}
			o.Routes = routes
		}
		c.opts = append(c.opts, o)
		c.servers = append(c.servers, nil)
	}
	for i := range n {
		if !c.launch(i, readyWithin) {
			return false
		}
	}
	return true
}

// launch starts server i and reports whether it listens within d; a
// server that does not is shut down.
func (c *Cluster) launch(i int, d time.Duration) bool {
	c.t.Helper()
	s, err := server.NewServer(c.opts[i])
	if err != nil {
		c.t.Fatalf("natstest: server %d: %v", i+1, err)
	}
	go s.Start()
	if !s.ReadyForConnections(d) {
		s.Shutdown()
		s.WaitForShutdown()
		return false
	}
	c.servers[i] = s
	return true
}

// restartWithin is how long a restarted server has to listen: it
// recovers its streams first, and its ports are fixed.
const restartWithin = 20 * time.Second

func (c *Cluster) startServer(i int) {
	c.t.Helper()
	if !c.launch(i, restartWithin) {
		c.t.Fatalf("natstest: server %d did not accept clients on its ports within %s", i+1, restartWithin)
	}
}

// WaitReady waits until every running server sees a JetStream meta leader,
// and the leader counts every running server as a peer it can place
// replicas on (online, with JetStream, its stats received): until then
// creating a replicated bucket fails with "no suitable peers for
// placement, peer offline".
func (c *Cluster) WaitReady(d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ok := true
		for _, s := range c.servers {
			if s != nil && (!s.JetStreamEnabled() || (len(c.servers) > 1 && !s.JetStreamIsClustered()) || s.JetStreamIsCurrent() == false) {
				ok = false
			}
		}
		if ok && c.metaLeader() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("natstest: no JetStream meta leader within %s", d)
}

func (c *Cluster) metaLeader() bool {
	if len(c.servers) == 1 {
		return true
	}
	running := 0
	for _, s := range c.servers {
		if s != nil {
			running++
		}
	}
	for _, s := range c.servers {
		if s != nil && s.JetStreamIsLeader() {
			return len(s.JetStreamClusterPeers()) >= running
		}
	}
	return false
}

// URL is the comma-separated client URLs of every server, as
// HERALD_NATS_URL takes them.
func (c *Cluster) URL() string {
	var urls []string
	for _, o := range c.opts {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(urls, ",")
}

// Size is the number of servers, running or not.
func (c *Cluster) Size() int { return len(c.opts) }

// Server returns server i (0-based), nil while it is stopped.
func (c *Cluster) Server(i int) *server.Server { return c.servers[i] }

// Kill stops server i at once, as a crash would: clients lose it and its
// peers carry on without it.
func (c *Cluster) Kill(i int) {
	if s := c.servers[i]; s != nil {
		s.Shutdown()
		s.WaitForShutdown()
		c.servers[i] = nil
	}
}

// Restart starts a killed server again on its ports and store directory.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	if c.servers[i] == nil {
		c.startServer(i)
	}
}

// Shutdown stops every server.
func (c *Cluster) Shutdown() {
	for i := range c.servers {
		c.Kill(i)
	}
}

// freePorts returns n loopback ports free a moment ago. The cluster's
// route URLs must be known before the servers start, so the ports are
// chosen up front.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("natstest: free port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}
