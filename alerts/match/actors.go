package match

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"sync"
)

//go:embed actors.txt
var actorsFile string

// Actors is a table of actors and places: each entry is a display name and
// every other spelling it goes by. A bare query word that names an entry
// means any of its spellings. An Actors is immutable once built and safe
// for concurrent use.
type Actors struct {
	entries  []actorEntry
	byKey    map[string]int // alias key (stems joined by spaces) -> entry
	maxWords int            // words in the longest alias

	firstOnce sync.Once
	first     map[string]struct{} // the first word of every key
}

// startsKey reports whether some alias key starts with the first word of
// the key k, so that the parser only looks further ahead when an actor may
// follow.
func (a *Actors) startsKey(k string) bool {
	k, _, _ = strings.Cut(k, " ")
	a.firstOnce.Do(func() {
		a.first = make(map[string]struct{}, len(a.byKey))
		for key := range a.byKey {
			f, _, _ := strings.Cut(key, " ")
			a.first[f] = struct{}{}
		}
	})
	_, ok := a.first[k]
	return ok
}

type actorEntry struct {
	aliases []string // as written; aliases[0] is the display name
}

// Len returns the number of entries.
func (a *Actors) Len() int {
	if a == nil {
		return 0
	}
	return len(a.entries)
}

// Aliases returns the spellings of the entry that name names, display name
// first, or nil.
func (a *Actors) Aliases(name string) []string {
	if a == nil {
		return nil
	}
	i, ok := a.byKey[aliasKey(name)]
	if !ok {
		return nil
	}
	return append([]string(nil), a.entries[i].aliases...)
}

// aliasKey is how an alias or a run of query words is looked up: the stems
// of its words, joined by spaces.
func aliasKey(s string) string {
	var ws wordScanner
	ws.reset(s, 0)
	var b strings.Builder
	for ws.next() {
		if ws.w.joined {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(stemOf(ws.w.form, ws.w.script))
	}
	return b.String()
}

func wordCount(s string) int {
	var ws wordScanner
	ws.reset(s, 0)
	n := 0
	for ws.next() {
		if !ws.w.joined {
			n++
		}
	}
	return n
}

// lookup returns the entry a key names.
func (a *Actors) lookup(key string) (*actorEntry, bool) {
	if a == nil {
		return nil, false
	}
	i, ok := a.byKey[key]
	if !ok {
		return nil, false
	}
	return &a.entries[i], true
}

// LoadActors reads an actors file. The format, one entry a line:
//
//	# comment
//	Volodymyr Zelensky | Zelensky | Zelenskyy | Зеленский | Зеленський
//
// The first spelling is the display name; spellings are separated by "|";
// blank lines and lines starting with "#" are skipped. A spelling may have
// several words ("Volodymyr Zelensky"); case, accents and inflection do not
// matter. Errors name the file and the line.
func LoadActors(r io.Reader, name string) (*Actors, error) {
	a := &Actors{byKey: make(map[string]int)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	keyLine := make(map[string]int)
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		var e actorEntry
		seen := make(map[string]bool)
		for _, f := range strings.Split(text, "|") {
			f = strings.TrimSpace(f)
			if f == "" {
				return nil, fmt.Errorf("%s:%d: empty spelling (spellings are separated by \"|\")", name, line)
			}
			k := aliasKey(f)
			if k == "" {
				return nil, fmt.Errorf("%s:%d: spelling %q has no letters or digits", name, line, f)
			}
			if seen[k] {
				continue
			}
			seen[k] = true
			if i, dup := a.byKey[k]; dup {
				return nil, fmt.Errorf("%s:%d: %q already names %q (line %d)", name, line, f, a.entries[i].aliases[0], keyLine[k])
			}
			e.aliases = append(e.aliases, f)
			if n := wordCount(f); n > a.maxWords {
				a.maxWords = n
			}
		}
		idx := len(a.entries)
		for _, f := range e.aliases {
			k := aliasKey(f)
			a.byKey[k] = idx
			keyLine[k] = line
		}
		a.entries = append(a.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return a, nil
}

// Merge returns the entries of a extended by those of b: an entry of b that
// shares a spelling with an entry of a adds its other spellings to it; any
// other entry of b is added. Neither a nor b changes.
func (a *Actors) Merge(b *Actors) *Actors {
	out := &Actors{byKey: make(map[string]int)}
	add := func(src *Actors) {
		if src == nil {
			return
		}
		for _, e := range src.entries {
			target := -1
			for _, f := range e.aliases {
				if i, ok := out.byKey[aliasKey(f)]; ok {
					target = i
					break
				}
			}
			if target < 0 {
				target = len(out.entries)
				out.entries = append(out.entries, actorEntry{})
			}
			for _, f := range e.aliases {
				k := aliasKey(f)
				if _, ok := out.byKey[k]; ok {
					continue
				}
				out.byKey[k] = target
				out.entries[target].aliases = append(out.entries[target].aliases, f)
				if n := wordCount(f); n > out.maxWords {
					out.maxWords = n
				}
			}
		}
	}
	add(a)
	add(b)
	return out
}

// DefaultActors returns the built-in actors and places (the embedded
// actors.txt), parsed once.
func DefaultActors() *Actors {
	return defaultActors()
}

var defaultActors = sync.OnceValue(func() *Actors {
	a, err := LoadActors(strings.NewReader(actorsFile), "actors.txt")
	if err != nil {
		panic("match: built-in " + err.Error())
	}
	return a
})

// ActorsFile returns the text of the built-in actors file.
func ActorsFile() string { return actorsFile }
