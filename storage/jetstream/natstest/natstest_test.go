package natstest

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestStartTriesNewPortsWhenOneIsTaken: a port taken between its choice
// and the server's start makes Start try again on new ones, and the
// cluster it returns serves clients.
func TestStartTriesNewPortsWhenOneIsTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	calls := 0
	pickPorts = func(t testing.TB, n int) []int {
		calls++
		ports := freePorts(t, n)
		if calls == 1 {
			ports[n-1] = taken.Addr().(*net.TCPAddr).Port // the client port
		}
		return ports
	}
	readyWithin = time.Second
	defer func() { pickPorts, readyWithin = freePorts, 10*time.Second }()

	c := Start(t, 1)
	if calls != 2 {
		t.Fatalf("ports chosen %d times, want 2", calls)
	}
	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}
