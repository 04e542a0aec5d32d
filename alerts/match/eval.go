package match

import (
	"github.com/herald-news/herald/alerts"
)

// occ is one occurrence of a term in an article.
type occ struct {
	pos, end    int
	start, stop int // byte offsets in the field's text
	title       bool
}

// Doc is an article prepared for evaluating queries one by one: every word
// with its exact form and stem, and the source keys. It is the slow,
// obviously correct path behind Explain and the brute-force evaluator.
type Doc struct {
	a      *alerts.Article
	terms  map[string][]occ  // kind byte + form -> occurrences in order
	source map[string]string // source key -> text it came from
}

// NewDoc prepares an article for Eval and Explain.
func NewDoc(a *alerts.Article) *Doc {
	d := &Doc{a: a, terms: make(map[string][]occ), source: make(map[string]string)}
	var ws wordScanner
	add := func(text string, base int, title bool) int {
		ws.reset(text, base)
		last := base
		for ws.next() {
			w := &ws.w
			o := occ{pos: w.pos, end: w.end, start: w.start, stop: w.stop, title: title}
			ex := string(kindExact) + string(w.form)
			d.terms[ex] = append(d.terms[ex], o)
			st := string(kindStem) + stemOf(w.form, w.script)
			d.terms[st] = append(d.terms[st], o)
			if w.end > last {
				last = w.end
			}
		}
		return last
	}
	end := add(a.Title, 0, true)
	add(a.Body, end+1, false)
	var sk sourceKeyer
	sk.keys(a, func(key []byte, from string) {
		if _, ok := d.source[string(key)]; !ok {
			d.source[string(key)] = from
		}
	})
	return d
}

// leafHit finds the first place the leaf matches: ok, and the occurrence
// span (first word's start to last word's stop) and field.
func (d *Doc) leafHit(l *leaf) (ok bool, hit alerts.TermHit) {
	if l.kind == kindSource {
		from, ok := d.source[l.words[0]]
		if !ok {
			return false, hit
		}
		return true, alerts.TermHit{Term: "source:" + l.label, Matched: from, Field: alerts.FieldSource}
	}
	key := func(w string) string { return string(l.kind) + w }
	firsts := d.terms[key(l.words[0])]
	for _, o := range firsts {
		if l.field == inTitle && !o.title {
			continue
		}
		end, stop := o.end, o.stop
		matched := true
		for _, w := range l.words[1:] {
			found := false
			for _, n := range d.terms[key(w)] {
				if n.pos == end {
					end, stop = n.end, n.stop
					found = true
					break
				}
			}
			if !found {
				matched = false
				break
			}
		}
		if !matched {
			continue
		}
		text := d.a.Body
		f := alerts.FieldBody
		if o.title {
			text, f = d.a.Title, alerts.FieldTitle
		}
		return true, alerts.TermHit{Term: l.label, Matched: text[o.start:stop], Field: f, Entry: l.entry}
	}
	return false, hit
}

// eval evaluates n; when hits is non-nil it collects the positive terms
// that fired.
func (d *Doc) eval(n *node, hits *[]alerts.TermHit, negated bool) bool {
	switch n.op {
	case opLeaf:
		ok, h := d.leafHit(n.leaf)
		if ok && hits != nil && !negated {
			for _, old := range *hits {
				if old.Term == h.Term && old.Field == h.Field {
					return true
				}
			}
			*hits = append(*hits, h)
		}
		return ok
	case opNot:
		return !d.eval(n.kids[0], hits, !negated)
	case opAnd:
		all := true
		for _, k := range n.kids {
			if !d.eval(k, hits, negated) {
				all = false
				if hits == nil {
					return false
				}
			}
		}
		return all
	default:
		any := false
		for _, k := range n.kids {
			if d.eval(k, hits, negated) {
				any = true
				if hits == nil {
					return true
				}
			}
		}
		return any
	}
}

// Eval reports whether the query matches the prepared article.
func (q *Query) Eval(d *Doc) bool { return d.eval(q.root, nil, false) }

// ExplainDoc is Explain on a prepared article.
func (q *Query) ExplainDoc(d *Doc) (bool, []alerts.TermHit) {
	var hits []alerts.TermHit
	ok := d.eval(q.root, &hits, false)
	return ok, hits
}

// Explain evaluates the query against one article: whether it matches, and
// the positive terms that fired, with the field and the article's text.
func (q *Query) Explain(a *alerts.Article) (bool, []alerts.TermHit) {
	return q.ExplainDoc(NewDoc(a))
}
