package match

import (
	"regexp"
	"strings"
	"sync"

	"github.com/herald-news/herald/alerts"
)

// RegexpLoop is the baseline of herald bench: what bots that filter with
// regular expressions do, one compiled expression per term and a loop over
// every subscription for every article. Stems become prefixes
// ("ceasefir\w*") and word boundaries are ASCII ones, as in most bots. It approximates the query language, so its matches
// can differ from the Index's a little.
type RegexpLoop struct {
	names *Names
	mu    sync.RWMutex
	subs  []rsub
}

type rsub struct {
	id   uint64
	root *rnode
}

type rnode struct {
	op    op
	kids  []*rnode
	re    *regexp.Regexp
	field fieldSel
}

// NewRegexpLoop returns an empty baseline matcher.
func NewRegexpLoop(names *Names) *RegexpLoop { return &RegexpLoop{names: names} }

// Add compiles the subscription's query to regular expressions.
func (r *RegexpLoop) Add(s alerts.Subscription) error {
	q, err := Parse(s.Query, r.names)
	if err != nil {
		return err
	}
	root, err := toRegexp(q.root)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.subs = append(r.subs, rsub{id: s.ID, root: root})
	r.mu.Unlock()
	return nil
}

func toRegexp(n *node) (*rnode, error) {
	if n.op != opLeaf {
		out := &rnode{op: n.op}
		for _, k := range n.kids {
			rk, err := toRegexp(k)
			if err != nil {
				return nil, err
			}
			out.kids = append(out.kids, rk)
		}
		return out, nil
	}
	l := n.leaf
	var parts []string
	for _, w := range l.words {
		p := regexp.QuoteMeta(w)
		if l.kind == kindStem {
			p += `\w*`
		}
		parts = append(parts, p)
	}
	pat := `(?i)\b` + strings.Join(parts, `\W+`) + `\b`
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, err
	}
	return &rnode{op: opLeaf, re: re, field: l.field}, nil
}

func (r *rnode) eval(a *alerts.Article, src string) bool {
	switch r.op {
	case opLeaf:
		switch r.field {
		case inTitle:
			return r.re.MatchString(a.Title)
		case inSource:
			return r.re.MatchString(src)
		}
		return r.re.MatchString(a.Title) || r.re.MatchString(a.Body)
	case opNot:
		return !r.kids[0].eval(a, src)
	case opAnd:
		for _, k := range r.kids {
			if !k.eval(a, src) {
				return false
			}
		}
		return true
	default:
		for _, k := range r.kids {
			if k.eval(a, src) {
				return true
			}
		}
		return false
	}
}

// MatchFunc calls fn with every subscription whose expressions match.
func (r *RegexpLoop) MatchFunc(a *alerts.Article, fn func(sub uint64)) {
	src := a.Source + " | " + a.Outlet + " | " + urlHost(a.URL)
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, s := range r.subs {
		if s.root.eval(a, src) {
			fn(s.id)
		}
	}
}
