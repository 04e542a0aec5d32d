package feeds

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/idna"
)

// ErrNotArticleURL is returned (wrapped) by CanonicalURL for a string that is
// not an absolute http or https URL.
var ErrNotArticleURL = errors.New("not an absolute http(s) URL")

// trackingParams are query parameters that only say how a reader arrived,
// never which page it is. Prefixes end in "_" or "." and match any
// parameter that starts with them.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "gclsrc": true, "dclid": true, "msclkid": true,
	"yclid": true, "twclid": true, "ttclid": true, "li_fat_id": true, "igshid": true,
	"mc_cid": true, "mc_eid": true, "_ga": true, "_gl": true, "_hsenc": true, "_hsmi": true,
	"ref": true, "ref_src": true, "ref_url": true, "referrer": true, "referer": true,
	"cmpid": true, "cmp": true, "icid": true, "ocid": true, "smid": true, "smtyp": true,
	"spm": true, "ito": true, "xtor": true, "ncid": true, "s_cid": true, "sr_share": true,
	"mkt_tok": true, "oly_enc_id": true, "oly_anon_id": true, "vero_id": true, "wt.mc_id": true,
	"rss": true, "feature": true, "share": true, "via": true, "fromrss": true,
	"amp": true, "outputtype": true, "amp_js_v": true, "usqp": true, "guccounter": true,
}

var trackingPrefixes = []string{"utm_", "ns_", "at_", "pk_", "mtm_", "hsa_", "wt.", "__twitter", "_branch"}

func isTrackingParam(key string) bool {
	k := strings.ToLower(key)
	if trackingParams[k] {
		return true
	}
	for _, p := range trackingPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// CanonicalURL returns the one URL an article is known by: scheme and host
// lowercased (IDN hosts in punycode), default ports, credentials, fragments
// and tracking parameters dropped, the remaining parameters sorted, AMP and
// mobile variants (amp./m./mobile. hosts, /amp paths, ?amp=1) folded into
// the desktop page, and a trailing slash removed from any path but "/".
func CanonicalURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("canonical url: empty: %w", ErrNotArticleURL)
	}
	if strings.HasPrefix(s, "//") {
		s = "https:" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("canonical url: %w", err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("canonical url %q: %w", raw, ErrNotArticleURL)
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""

	host, port := u.Hostname(), u.Port()
	host = strings.Trim(strings.ToLower(host), ".")
	if net.ParseIP(host) == nil {
		if a, err := idna.Lookup.ToASCII(host); err == nil {
			host = a
		}
		host = foldHostVariant(host)
	}
	if !hasWordChar(host) || strings.Contains(host, "..") {
		return "", fmt.Errorf("canonical url %q: no host: %w", raw, ErrNotArticleURL)
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host

	u.Path, u.RawPath = canonicalPath(u.EscapedPath())
	u.RawQuery = canonicalQuery(u.RawQuery)
	u.ForceQuery = false
	return u.String(), nil
}

// foldHostVariant maps amp., m. and mobile. hosts to the desktop host,
// keeping at least a registrable-looking name (two labels).
func foldHostVariant(host string) string {
	for _, p := range []string{"amp.", "m.", "mobile."} {
		if rest, ok := strings.CutPrefix(host, p); ok && strings.Contains(rest, ".") {
			return rest
		}
	}
	return host
}

// canonicalPath takes an escaped path and returns the decoded and raw forms
// for url.URL, with AMP segments and a trailing slash removed.
func canonicalPath(escaped string) (string, string) {
	p := escaped
	if p == "" {
		p = "/"
	}
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	lower := strings.ToLower(p)
	switch {
	case strings.HasSuffix(lower, "/amp") || strings.HasSuffix(lower, "/amp/"):
		p = p[:strings.LastIndex(lower, "/amp")]
	case strings.HasPrefix(lower, "/amp/"):
		p = p[len("/amp"):]
	case strings.HasSuffix(lower, ".amp.html"):
		p = p[:len(p)-len(".amp.html")] + ".html"
	case strings.HasSuffix(lower, ".amp"):
		p = p[:len(p)-len(".amp")]
	}
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	if p == "" {
		p = "/"
	}
	dec, err := url.PathUnescape(p)
	if err != nil {
		return p, ""
	}
	if (&url.URL{Path: dec}).EscapedPath() == p {
		return dec, ""
	}
	return dec, p
}

// canonicalQuery drops tracking parameters and sorts the rest, keeping the
// original encoding of each pair.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var kept []string
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, _, _ := strings.Cut(pair, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if isTrackingParam(k) {
			continue
		}
		kept = append(kept, pair)
	}
	slices.Sort(kept)
	return strings.Join(kept, "&")
}
