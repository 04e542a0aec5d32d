package match

import (
	"strings"
	"testing"
)

func TestLoadTopicsFormat(t *testing.T) {
	n, err := LoadTopics(strings.NewReader("# c\ntruce | перемирие\n[war]\ndrone | дрон\n\n[energy]\n\"coal\" | вугілля\n"), "t.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := n.Topics()
	want := []Topic{{"truce", "other", []string{"truce", "перемирие"}}, {"drone", "war", []string{"drone", "дрон"}}, {"coal", "energy", []string{`"coal"`, "вугілля"}}}
	if len(got) != len(want) {
		t.Fatalf("topics %+v", got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Family != want[i].Family || strings.Join(got[i].Forms, "|") != strings.Join(want[i].Forms, "|") {
			t.Errorf("topic %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []struct{ text, msg string }{
		{"[war\nx | y\n", `t.txt:1: "[war" is not a section line`},
		{"[]\n", "t.txt:1"},
		{"x | | y\n", "t.txt:1: empty spelling"},
		{"x | y\nz | Y\n", `t.txt:2: "Y" already names "x" (line 1)`},
		{"x | \"\"\n", "no letters or digits"},
	} {
		if _, err := LoadTopics(strings.NewReader(bad.text), "t.txt"); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("LoadTopics(%q) = %v, want %q", bad.text, err, bad.msg)
		}
	}
}

// TestMergeTopics: an operator's topic that shares a form with a built-in
// one adds to it; one that shares a form with an actor does not take the
// actor's name.
func TestMergeTopics(t *testing.T) {
	extra, err := LoadTopics(strings.NewReader("[war]\nceasefire | тишина на фронте\nPutin talks | Putin\n"), "extra.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := DefaultNames().Merge(extra)
	al := n.Aliases("ceasefire")
	if len(al) == 0 || al[len(al)-1] != "тишина на фронте" || !strings.Contains(strings.Join(al, "|"), "перемирие") {
		t.Errorf("ceasefire's forms after the merge: %q", al)
	}
	q, err := Parse("Putin", n)
	if err != nil {
		t.Fatal(err)
	}
	if exp := q.Expansions(); len(exp) != 1 || !strings.Contains(exp[0], "Путин") || strings.Contains(exp[0], "topic") {
		t.Errorf("Putin expands to %q", exp)
	}
	if q, _ := Parse("Putin talks", n); !strings.Contains(strings.Join(q.Expansions(), ""), "topic Putin talks") {
		t.Errorf("the operator's topic is lost: %q", q.Expansions())
	}
}

// TestExactForms: a form in quotes names its entry only as written.
func TestExactForms(t *testing.T) {
	n, err := LoadTopics(strings.NewReader("[politics]\nelection | \"выборы\" | \"выборах\"\n"), "t.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		query, title string
		want         bool
	}{
		{"election", "На выборах победил кандидат", true},
		{"election", "Сложный выбор", false},
		{"выборы", "Elections held", true}, // the typed form names the topic
		{"выбор", "Elections held", false}, // another form of the word does not
	} {
		q, err := Parse(tt.query, n)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := q.Explain(art(tt.title, "")); ok != tt.want {
			t.Errorf("%s on %q = %v, want %v", tt.query, tt.title, ok, tt.want)
		}
	}
}

// FuzzLoadTopics: any file loads or is refused with an error naming the
// file, and every topic it loads is found again by its name.
func FuzzLoadTopics(f *testing.F) {
	for _, s := range []string{"[war]\nceasefire | truce | перемирие\n", "x | \"y\"\n[a]\nb", "[", "| |", "a|a|A", "\"\"|x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n, err := LoadTopics(strings.NewReader(text), "f.txt")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.txt") {
				t.Fatalf("error without the file's name: %v", err)
			}
			return
		}
		for _, tp := range n.Topics() {
			if len(n.Aliases(tp.Name)) == 0 && len(n.Aliases(`"`+tp.Name+`"`)) == 0 {
				t.Fatalf("topic %q is not found by its name", tp.Name)
			}
		}
	})
}
