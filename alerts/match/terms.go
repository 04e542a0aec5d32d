package match

// entryNode is an OR of every form of an actor or topic.
func entryNode(e *nameEntry, text string, f fieldSel) *node {
	var kids []*node
	for _, al := range e.aliases {
		kind := byte(kindStem)
		if inner, ok := quotedForm(al); ok {
			al, kind = inner, kindExact
		}
		n := variants(scanWords(al), kind, f, al, nil)
		if n.op == opOr {
			kids = append(kids, n.kids...)
		} else {
			kids = append(kids, n)
		}
	}
	kids = dropSubsumed(kids)
	n := &node{op: opOr, kids: kids, text: text, field: f, entry: e}
	if len(kids) == 1 {
		n.kids = kids
	}
	for _, k := range n.kids {
		k.leaf.label, k.leaf.entry = text, e.name()
	}
	return n
}

// dropSubsumed removes duplicate leaves and phrases that contain another
// leaf's words in a row ("Volodymyr Zelensky" when "Zelensky" is there):
// they can only match where the shorter one does.
func dropSubsumed(kids []*node) []*node {
	var out []*node
outer:
	for i, k := range kids {
		for j, o := range kids {
			if i == j || o.leaf.field != k.leaf.field || o.leaf.kind != k.leaf.kind {
				continue
			}
			if containsRun(k.leaf.words, o.leaf.words) && (len(o.leaf.words) < len(k.leaf.words) || j < i) {
				continue outer
			}
		}
		out = append(out, k)
	}
	return out
}

func containsRun(hay, needle []string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		ok := true
		for j := range needle {
			if hay[i+j] != needle[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// scanned is one word of a query term.
type scanned struct {
	form   string
	script uint8
	hyph   bool // joined to the previous word by a dash
}

func scanWords(s string) []scanned {
	var tk tokenizer
	return scanInto(make([]scanned, 0, 4), &tk, s)
}

// scanInto appends the words of s to out, scanning with tk.
func scanInto(out []scanned, tk *tokenizer, s string) []scanned {
	tk.reset(s)
	n := len(out)
	for tk.next() {
		out = append(out, scanned{form: string(tk.form), script: tk.script, hyph: tk.hyph && len(out) > n})
	}
	return out
}

// maxVariantRuns bounds how many compounds of one term get both a split and
// a joined reading (2^n leaves).
const maxVariantRuns = 3

// variants builds the leaves of one written term: a word, or a phrase when
// it has several words; each hyphenated compound reads both split
// ("cease fire") and joined ("ceasefire").
func variants(ws []scanned, kind byte, f fieldSel, label string, _ []string) *node {
	form := func(w scanned) string {
		if kind == kindStem {
			return stemOf([]byte(w.form), w.script)
		}
		return w.form
	}
	// Without compounds there is one reading: the leaf.
	compound := len(ws) == 0
	for i := 1; i < len(ws); i++ {
		compound = compound || ws[i].hyph
	}
	if !compound {
		if len(ws) == 1 {
			// The node, its leaf and its word in one allocation.
			b := &struct {
				n node
				l leaf
				w [1]string
			}{}
			b.w[0] = form(ws[0])
			b.l = leaf{field: f, kind: kind, words: b.w[:], label: label}
			b.n = node{op: opLeaf, leaf: &b.l}
			return &b.n
		}
		words := make([]string, len(ws))
		for i, w := range ws {
			words[i] = form(w)
		}
		return &node{op: opLeaf, leaf: &leaf{field: f, kind: kind, words: words, label: label}}
	}
	// Group into compound runs.
	type run struct{ parts []scanned }
	var runs []run
	for _, w := range ws {
		if w.hyph && len(runs) > 0 {
			runs[len(runs)-1].parts = append(runs[len(runs)-1].parts, w)
		} else {
			runs = append(runs, run{parts: []scanned{w}})
		}
	}
	seqs := [][]string{nil}
	alt := 0
	for _, r := range runs {
		var split []string
		for _, w := range r.parts {
			split = append(split, form(w))
		}
		if len(r.parts) < 2 || len(r.parts) > maxCompound || alt >= maxVariantRuns {
			for i := range seqs {
				seqs[i] = append(seqs[i], split...)
			}
			continue
		}
		alt++
		var joined scanned
		for _, w := range r.parts {
			joined.form += w.form
			joined.script |= w.script
		}
		j := form(joined)
		var next [][]string
		for _, s := range seqs {
			a := append(append([]string(nil), s...), split...)
			b := append(append([]string(nil), s...), j)
			next = append(next, a, b)
		}
		seqs = next
	}
	var kids []*node
	for _, s := range seqs {
		kids = append(kids, &node{op: opLeaf, leaf: &leaf{field: f, kind: kind, words: s, label: label}})
	}
	if len(kids) == 1 {
		return kids[0]
	}
	return &node{op: opOr, kids: kids, text: label, field: f}
}
