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

//go:embed topics.txt
var topicsFile string

// Names is what bare query words expand through: actors and places (each
// entry a display name and every spelling it goes by) and topics (each a
// concept with its forms in English, Russian and Ukrainian). A bare word,
// or run of bare words, that names an entry means any of its forms. Names
// is immutable once built and safe for concurrent use.
type Names struct {
	entries  []nameEntry
	byKey    map[string]int // alias key (stems joined by spaces) -> entry
	maxWords int            // words in the longest alias

	firstOnce sync.Once
	first     map[string]struct{} // the first word of every key

	taggerOnce sync.Once
	tagger     *Tagger
}

// Kinds of entries.
const (
	kindActor = iota // a person, organisation, country or place
	kindTopic        // a concept: ceasefire, sanctions, drone
)

type nameEntry struct {
	aliases []string // as written; aliases[0] is the display name
	kind    uint8    // kindActor or kindTopic
	family  string   // the section of the file: "war", "energy", …
}

// name is the entry's display name: its first form, without quotes.
func (e *nameEntry) name() string { return strings.Trim(e.aliases[0], `"`) }

// Topic is one entry of a topics list, for reports and tests.
type Topic struct {
	Name   string   // the display name: "ceasefire"
	Family string   // its section: "war"
	Forms  []string // every form, Name first
}

// startsKey reports whether some alias key starts with the first word of
// the key k, so that the parser only looks further ahead when a name may
// follow.
func (a *Names) startsKey(k string) bool {
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

// Len returns the number of entries.
func (a *Names) Len() int {
	if a == nil {
		return 0
	}
	return len(a.entries)
}

// Aliases returns the forms of the entry that name names, display name
// first, or nil.
func (a *Names) Aliases(name string) []string {
	if a == nil {
		return nil
	}
	i, ok := a.byKey[exactKeyPrefix+FoldString(name)]
	if !ok {
		i, ok = a.byKey[aliasKey(name)]
	}
	if !ok {
		return nil
	}
	return append([]string(nil), a.entries[i].aliases...)
}

// Topics returns the topic entries, in file order.
func (a *Names) Topics() []Topic {
	if a == nil {
		return nil
	}
	var out []Topic
	for _, e := range a.entries {
		if e.kind == kindTopic {
			out = append(out, Topic{Name: e.name(), Family: e.family, Forms: append([]string(nil), e.aliases...)})
		}
	}
	return out
}

// exactKeyPrefix starts the key of a form listed in quotes: its folded
// words, not their stems, so that only those very words name the entry.
const exactKeyPrefix = "="

// formKey is the key a form of a names file is looked up by: aliasKey,
// or for a quoted form ("выборы") the prefix and its folded words.
func formKey(f string) string {
	if inner, ok := quotedForm(f); ok {
		if k := FoldString(inner); k != "" {
			return exactKeyPrefix + k
		}
		return ""
	}
	return aliasKey(f)
}

// quotedForm returns the text inside a form written in double quotes.
func quotedForm(f string) (string, bool) {
	if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
		return f[1 : len(f)-1], true
	}
	return f, false
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
func (a *Names) lookup(key string) (*nameEntry, bool) {
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
func LoadActors(r io.Reader, name string) (*Names, error) {
	return loadNames(r, name, kindActor)
}

// LoadTopics reads a topics file: the format of LoadActors, with lines
// "[family]" that name the section the entries after them belong to
// ("[war]", "[energy]"; "other" before the first one).
//
//	[war]
//	ceasefire | truce | cease-fire | перемирие | прекращение огня | припинення вогню
//
// The first form is the topic's name. A form of several words matches
// only those words in a row ("прекращение огня"), never its words apart.
// A form in double quotes matches only as written, without stemming
// ("выборы" and not "выбор"); in either file.
func LoadTopics(r io.Reader, name string) (*Names, error) {
	return loadNames(r, name, kindTopic)
}

func loadNames(r io.Reader, name string, kind uint8) (*Names, error) {
	a := &Names{byKey: make(map[string]int)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	keyLine := make(map[string]int)
	family := "other"
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if strings.HasPrefix(text, "[") {
			f, ok := strings.CutSuffix(text[1:], "]")
			if f = strings.TrimSpace(f); !ok || f == "" || strings.ContainsAny(f, "[]|") {
				return nil, fmt.Errorf("%s:%d: %q is not a section line like [war]", name, line, text)
			}
			family = f
			continue
		}
		e := nameEntry{kind: kind, family: family}
		seen := make(map[string]bool)
		for _, f := range strings.Split(text, "|") {
			f = strings.TrimSpace(f)
			if f == "" {
				return nil, fmt.Errorf("%s:%d: empty spelling (spellings are separated by \"|\")", name, line)
			}
			k := formKey(f)
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
			if n := wordCount(strings.Trim(f, `"`)); n > a.maxWords {
				a.maxWords = n
			}
		}
		idx := len(a.entries)
		for _, f := range e.aliases {
			k := formKey(f)
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

// Merge returns the entries of a extended by those of b: an entry of b
// that shares a form with an entry of a of the same kind (actor or topic)
// adds its other forms to it; any other entry of b is added. A form that
// already names an entry of the other kind stays with that entry. Neither
// a nor b changes.
func (a *Names) Merge(b *Names) *Names {
	out := &Names{byKey: make(map[string]int)}
	add := func(src *Names) {
		if src == nil {
			return
		}
		for _, e := range src.entries {
			target := -1
			for _, f := range e.aliases {
				if i, ok := out.byKey[formKey(f)]; ok && out.entries[i].kind == e.kind {
					target = i
					break
				}
			}
			if target < 0 {
				target = len(out.entries)
				out.entries = append(out.entries, nameEntry{kind: e.kind, family: e.family})
			}
			for _, f := range e.aliases {
				k := formKey(f)
				if _, ok := out.byKey[k]; ok {
					continue
				}
				out.byKey[k] = target
				out.entries[target].aliases = append(out.entries[target].aliases, f)
				if n := wordCount(strings.Trim(f, `"`)); n > out.maxWords {
					out.maxWords = n
				}
			}
			if len(out.entries[target].aliases) == 0 {
				// Every form named something else already.
				out.entries = out.entries[:target]
			}
		}
	}
	add(a)
	add(b)
	return out
}

// DefaultActors returns the built-in actors and places (the embedded
// actors.txt), parsed once.
func DefaultActors() *Names { return defaultActors() }

// DefaultTopics returns the built-in topics (the embedded topics.txt),
// parsed once.
func DefaultTopics() *Names { return defaultTopics() }

// DefaultNames returns the built-in actors, places and topics together:
// what queries expand through unless the operator adds more.
func DefaultNames() *Names { return defaultNames() }

var (
	defaultActors = sync.OnceValue(func() *Names { return mustLoad(LoadActors, actorsFile, "actors.txt") })
	defaultTopics = sync.OnceValue(func() *Names { return mustLoad(LoadTopics, topicsFile, "topics.txt") })
	defaultNames  = sync.OnceValue(func() *Names { return DefaultActors().Merge(DefaultTopics()) })
)

func mustLoad(load func(io.Reader, string) (*Names, error), text, name string) *Names {
	a, err := load(strings.NewReader(text), name)
	if err != nil {
		panic("match: built-in " + err.Error())
	}
	return a
}

// ActorsFile returns the text of the built-in actors file.
func ActorsFile() string { return actorsFile }

// TopicsFile returns the text of the built-in topics file.
func TopicsFile() string { return topicsFile }
