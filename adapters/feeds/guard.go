package feeds

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// AllowPrivateEnv is the setting that lets feeds added from chat reach
// private addresses; refusals name it.
const AllowPrivateEnv = "HERALD_ALLOW_PRIVATE_FEEDS"

// AddressError is returned (wrapped) when a feed added from chat would reach
// an address the guard refuses: private, loopback, link-local, unspecified
// or multicast.
type AddressError struct {
	// URL is the address Herald was asked to fetch; empty until the fetch
	// that hit the guard fills it in.
	URL string
	IP  netip.Addr
	// Kind says what the address is ("a loopback address").
	Kind string
}

func (e *AddressError) Error() string {
	what := fmt.Sprintf("%s is %s", e.IP, e.Kind)
	if e.URL == "" {
		return "refusing to connect: " + what + "; the operator can allow private feeds with " + AllowPrivateEnv + "=true"
	}
	return fmt.Sprintf("refusing to fetch %s: %s; the operator can allow private feeds with %s=true", e.URL, what, AllowPrivateEnv)
}

// refusedKind says why ip may not be reached from a chat-added feed, or ""
// when it may.
func refusedKind(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "not a valid address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "a link-local address"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	case ip.IsPrivate():
		return "a private address"
	case guardSharedRange.Contains(ip):
		return "a shared (carrier-grade NAT) address"
	case ip.Is4() && ip.As4()[0] == 0:
		return "an unspecified address"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "a broadcast address"
	}
	return ""
}

var guardSharedRange = netip.MustParsePrefix("100.64.0.0/10")

// guardControl is a net.Dialer Control function: it runs after DNS
// resolution, on the very address being connected to, so a name that
// resolves to a private address (or is rebound to one) is refused.
func guardControl(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("guard: bad address %q: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("guard: bad address %q: %w", address, err)
	}
	if kind := refusedKind(ip); kind != "" {
		return &AddressError{IP: ip.Unmap(), Kind: kind}
	}
	return nil
}

// withURL fills the URL into an AddressError found in err, so the message
// names what the user asked for.
func guardWithURL(err error, rawURL string) error {
	var ae *AddressError
	if errors.As(err, &ae) {
		cp := *ae
		cp.URL = rawURL
		return &cp
	}
	return err
}
