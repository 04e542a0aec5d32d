package match

import (
	"bytes"
	"strings"

	"github.com/herald-news/herald/alerts"
)

// A source: term matches one of an article's source keys. The keys are the
// folded words of the feed name (Source) and of the cited outlet (Outlet),
// every run of up to maxSourceWords of them joined by spaces, and for the
// URL's host and a Source that is a domain name: each label and each
// domain suffix of two or more labels ("bloomberg", "bloomberg.com",
// "www.bloomberg.com").

const (
	maxSourceWords = 4
	maxSourceToks  = 16
)

// sourceQueryKey is the key a source: value looks up.
func sourceQueryKey(v string) string {
	v = strings.TrimSpace(v)
	if isDomainLike(v) {
		return strings.ToLower(strings.TrimSuffix(v, "."))
	}
	return FoldString(v)
}

// isDomainLike reports whether s is a bare host name such as
// "bloomberg.com".
func isDomainLike(s string) bool {
	if !strings.Contains(s, ".") || strings.HasPrefix(s, ".") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

// urlHost returns the lower-cased host of a URL without allocating when it
// is already lower case.
func urlHost(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	} else {
		return ""
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	if i := strings.LastIndexByte(u, ':'); i >= 0 && !strings.Contains(u[i:], "]") {
		u = u[:i]
	}
	return strings.TrimSuffix(u, ".")
}

// sourceKeys calls fn with every source key of the article and the text it
// came from. buf is scratch space; the key passed to fn is only valid during
// the call.
type sourceKeyer struct {
	tk    tokenizer
	forms [maxSourceToks][]byte
	buf   []byte
	low   []byte
}

func (sk *sourceKeyer) keys(a *alerts.Article, fn func(key []byte, from string)) {
	sk.names(a.Source, fn)
	if a.Outlet != a.Source {
		sk.names(a.Outlet, fn)
	}
	if isDomainLike(a.Source) {
		sk.domain(a.Source, a.Source, fn)
	}
	if h := urlHost(a.URL); h != "" {
		sk.domain(h, h, fn)
	}
}

func (sk *sourceKeyer) names(s string, fn func([]byte, string)) {
	if s == "" {
		return
	}
	sk.tk.reset(s)
	n := 0
	for n < maxSourceToks && sk.tk.next() {
		sk.forms[n] = append(sk.forms[n][:0], sk.tk.form...)
		n++
	}
	for i := 0; i < n; i++ {
		sk.buf = sk.buf[:0]
		for j := i; j < n && j-i < maxSourceWords; j++ {
			if j > i {
				sk.buf = append(sk.buf, ' ')
			}
			sk.buf = append(sk.buf, sk.forms[j]...)
			fn(sk.buf, s)
		}
	}
}

func (sk *sourceKeyer) domain(h, from string, fn func([]byte, string)) {
	sk.low = sk.low[:0]
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		sk.low = append(sk.low, c)
	}
	low := sk.low
	// Each label.
	start := 0
	for i := 0; i <= len(low); i++ {
		if i == len(low) || low[i] == '.' {
			if i > start {
				fn(low[start:i], from)
			}
			start = i + 1
		}
	}
	// Each suffix of two or more labels.
	for i := 0; i < len(low); i++ {
		if i == 0 || low[i-1] == '.' {
			if bytes.IndexByte(low[i:], '.') > 0 {
				fn(low[i:], from)
			}
		}
	}
}
