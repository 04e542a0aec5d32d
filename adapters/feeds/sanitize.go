package feeds

import (
	"net/netip"
	"net/url"
	"strings"
	"unicode"
)

// What a feed says is a link can be anything: "javascript:alert(1)", a
// data: URL, a relative path. Only absolute http(s) URLs become an
// article's link or image, and a GUID that is a script or data URL is no
// identifier worth keeping.

// maxGUID bounds a GUID kept as an article's identifier.
const maxGUID = 1024

// safeLink returns s if it is an absolute http or https URL with a host,
// else "". Relative links are resolved by the parser before this.
func safeLink(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// safeImageURL is safeLink for an image a chat platform will fetch: also
// never an address on this host or its network, as far as the URL says
// (a name that resolves to one is the fetcher's to refuse).
func safeImageURL(s string) string {
	s = safeLink(s)
	if s == "" {
		return ""
	}
	u, _ := url.Parse(s)
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return ""
	}
	if ip, err := netip.ParseAddr(host); err == nil && refusedKind(ip) != "" {
		return ""
	}
	return s
}

// safeGUID returns a GUID fit to identify an article: on one line, at most
// maxGUID bytes, and not a script or data URL (which a GUID used as a link
// would run).
func safeGUID(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if dangerousScheme(s) {
		return ""
	}
	return cutBytes(s, maxGUID)
}

// dangerousScheme reports whether s is a URL that runs or embeds content
// rather than naming a page, reading it as a browser would: case,
// spaces and control characters inside the scheme do not matter.
func dangerousScheme(s string) bool {
	var b strings.Builder
	for _, r := range s {
		if r == ':' {
			break
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
		if b.Len() > 16 {
			return false
		}
	}
	if !strings.Contains(s, ":") {
		return false
	}
	switch b.String() {
	case "javascript", "data", "vbscript", "livescript", "file", "about", "blob":
		return true
	}
	return false
}
