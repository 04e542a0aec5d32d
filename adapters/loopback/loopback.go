// Package loopback tells a request made on this host from one that came
// from elsewhere or through a proxy. The endpoints only the machine's own
// user may call (pushing articles without a token, the operator's admin
// routes) ask it.
package loopback

import (
	"net"
	"net/http"
)

// forwardingHeaders are set by proxies on the requests they pass on.
var forwardingHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"}

// From reports whether r was made on this host: its connection comes from
// a loopback address and it carries no forwarding header. A request that
// carries one came through a proxy from somewhere else, whatever its
// connection's address.
func From(r *http.Request) bool {
	for _, h := range forwardingHeaders {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
