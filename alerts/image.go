package alerts

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// ImageURL returns u when a platform may be given it as an alert's
// picture: an absolute http(s) URL whose host is a public name or
// address. Loopback, private, link-local and other special addresses,
// and names that are obviously internal (localhost, single labels,
// .local, .internal, .lan, .home.arpa, …), give "": the platform's
// servers would fetch from there on our behalf, or the chat would learn
// of an internal host. Names are not resolved.
func ImageURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil || p.Opaque != "" {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(p.Hostname()), ".")
	if host == "" || len(u) > 2000 {
		return ""
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !publicAddr(ip) {
			return ""
		}
		return p.String()
	}
	if net.ParseIP(host) != nil || looksNumeric(host) || internalName(host) {
		return ""
	}
	return p.String()
}

// publicAddr reports whether ip is a global unicast address outside the
// private, shared, documentation and benchmark ranges.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range specialPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var specialPrefixes = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 (may map to private IPv4)
}

// looksNumeric catches hosts URL parsers read as addresses but netip does
// not: "2130706433", "0x7f.1", "127.1".
func looksNumeric(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return true
	}
	for _, r := range last {
		if (r < '0' || r > '9') && r != 'x' && (r < 'a' || r > 'f') {
			return false
		}
	}
	return last[0] >= '0' && last[0] <= '9'
}

// internalName reports names that only resolve inside a network.
func internalName(host string) bool {
	if !strings.Contains(host, ".") {
		return true // localhost, intranet hosts
	}
	for _, suffix := range []string{".localhost", ".local", ".internal", ".intranet", ".lan", ".home", ".corp",
		".home.arpa", ".localdomain", ".private", ".test", ".invalid", ".example", ".onion"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}
