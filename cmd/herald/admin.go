package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/herald-news/herald/adapters/loopback"
)

// The operator's endpoints (a backup of every chat's data, the source
// list, removing a source) answer only on this host and only to a request
// that carries the admin token: a random secret the running herald writes
// next to its database, readable by whoever may read the database itself.
// The loopback check alone is not enough: a reverse proxy that adds no
// forwarding headers (nginx's default) makes every outside request look
// local.

// adminTokenPath is where the admin token of the database at db lives.
func adminTokenPath(db string) string { return db + ".admin-token" }

// writeAdminToken makes a new admin token and writes it, mode 0600.
func writeAdminToken(db string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(b[:])
	path := adminTokenPath(db)
	os.Remove(path) // a file left by another user would keep its owner and mode
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("admin token %s: %w", path, err)
	}
	return tok, nil
}

// readAdminToken reads the admin token the running herald wrote.
func readAdminToken(db string) (string, error) {
	b, err := os.ReadFile(adminTokenPath(db))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// addrFilePath is where the running herald of the database at db writes
// the address its HTTP server listens on, for herald backup to find it
// whatever HERALD_HTTP_ADDR says where backup runs.
func addrFilePath(db string) string { return db + ".http-addr" }

// writeAddrFile writes the address of this process's HTTP server, as this
// host reaches it (an unspecified host is loopback).
func writeAddrFile(db string, addr net.Addr) error {
	a := addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		loop := "127.0.0.1"
		if tcp.IP.To4() == nil {
			loop = "::1"
		}
		a = net.JoinHostPort(loop, strconv.Itoa(tcp.Port))
	}
	path := addrFilePath(db)
	if err := os.WriteFile(path, []byte(a+"\n"), 0o600); err != nil {
		return fmt.Errorf("HTTP address file %s: %w", path, err)
	}
	return nil
}

// readAddrFile reads the address the running herald wrote, or "".
func readAddrFile(db string) string {
	b, err := os.ReadFile(addrFilePath(db))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// requireAdmin lets through requests from this host that carry the token.
func requireAdmin(token string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopback.From(r) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "served only to this host, not through a proxy"})
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="herald admin"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "send the admin token: Authorization: Bearer $(cat HERALD_DB.admin-token)"})
			return
		}
		h.ServeHTTP(w, r)
	})
}
