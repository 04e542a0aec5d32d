package bot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// verbs are a format's fmt verbs, sorted, without argument indexes: a
// translation may reorder them ("%[2]s … %[1]d"), not change them.
func verbs(s string) string {
	var out []string
	for _, v := range verb.FindAllString(s, -1) {
		if i := strings.IndexByte(v, ']'); i >= 0 {
			v = "%" + v[i+1:]
		}
		out = append(out, v)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestEveryTextTranslated fails on a text of the bot's without a Russian
// or Ukrainian translation, or with one whose fmt verbs differ from the
// English (it would print %!d(MISSING) or drop a value).
func TestEveryTextTranslated(t *testing.T) {
	ids := catalogIDs()
	if len(ids) < 150 {
		t.Fatalf("only %d texts in the catalog", len(ids))
	}
	for _, lang := range Languages[1:] {
		missing := 0
		for _, idText := range ids {
			id, en := idText[0], idText[1]
			got, ok := lookup(lang, id, -1)
			if !ok {
				missing++
				t.Errorf("%s: no translation of %s: %q", lang, id, en)
				continue
			}
			if verbs(got) != verbs(en) {
				t.Errorf("%s: %s has verbs %q, the English %q:\n%s", lang, id, verbs(got), verbs(en), got)
			}
			if strings.TrimSpace(got) == "" && strings.TrimSpace(en) != "" {
				t.Errorf("%s: %s is empty", lang, id)
			}
		}
		// Every plural text has a form for each count (Russian and
		// Ukrainian: one for 1 and 21, few for 2 and 22, many for 0, 5,
		// 11 and 25), with the English verbs.
		for id := range plurals {
			for _, n := range []int{0, 1, 2, 5, 11, 21, 22, 25, 111} {
				s, ok := lookup(lang, "plural."+id, n)
				en, _ := lookup("en", "plural."+id, n)
				if !ok || !strings.Contains(s, "%d") {
					t.Errorf("%s: plural %s has no form for %d: %q", lang, id, n, s)
				} else if verbs(s) != verbs(en) {
					t.Errorf("%s: plural %s for %d has verbs %q, the English %q:\n%s", lang, id, n, verbs(s), verbs(en), s)
				}
			}
		}
		// A translation of a text the code no longer has is a mistake.
		data, err := localeFiles.ReadFile("locales/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var file map[string]any
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatal(err)
		}
		known := map[string]bool{}
		for _, idText := range ids {
			known[idText[0]] = true
		}
		for id := range plurals {
			known["plural."+id] = true
		}
		for id := range file {
			if !known[id] {
				t.Errorf("%s: %s translates a text the code does not have", lang, id)
			}
		}
		if missing > 0 {
			t.Logf("%s: %d of %d texts untranslated", lang, missing, len(ids))
		}
	}
}

func TestPluralForms(t *testing.T) {
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "the 1 topic"}, {"en", 3, "all 3 topics"},
		{"ru", 1, "1 тему"}, {"ru", 3, "3 темы"}, {"ru", 5, "5 тем"}, {"ru", 21, "21 тему"},
		{"uk", 1, "1 тему"}, {"uk", 3, "3 теми"}, {"uk", 5, "5 тем"},
	} {
		if got := trPlural(tc.lang, "topics", tc.n); got != tc.want {
			t.Errorf("%s %d: %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}

func TestMatchLanguage(t *testing.T) {
	for in, want := range map[string]string{"ru": "ru", "uk-UA": "uk", "en-GB": "en", "en_US": "en", "RU": "ru", "de": "", "": ""} {
		if got := matchLanguage(in); got != want {
			t.Errorf("matchLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}

// dumpCatalog writes the English texts to translate, for a translator:
// go test -run TestDumpCatalog -v ./bot
func TestDumpCatalog(t *testing.T) {
	if !testing.Verbose() {
		t.Skip("prints the catalog with -v")
	}
	for _, idText := range catalogIDs() {
		fmt.Printf("%q: %q,\n", idText[0], idText[1])
	}
}

// Herald's alert layouts speak the chat's language: their fixed words,
// the digest's title with its plural form, and the month and weekday
// names of dates; every other part of a layout (the "2", the zone) is
// Go's.
func TestWordsOfAlerts(t *testing.T) {
	at := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC) // a Monday
	for _, tc := range []struct {
		lang, date, weekday, digest1, digest3, digest5, also string
	}{
		{"en", "7 Dec 08:00 UTC", "Mon 08:00 UTC", "Digest: 1 new story", "Digest: 3 new stories", "Digest: 5 new stories", "Also reported by"},
		{"ru", "7 дек. 08:00 UTC", "пн 08:00 UTC", "Сводка: 1 новая история", "Сводка: 3 новые истории", "Сводка: 5 новых историй", "Также сообщили"},
		{"uk", "7 груд. 08:00 UTC", "пн 08:00 UTC", "Зведення: 1 нова історія", "Зведення: 3 нові історії", "Зведення: 5 нових історій", "Також повідомили"},
		{"de", "7 Dec 08:00 UTC", "Mon 08:00 UTC", "Digest: 1 new story", "Digest: 3 new stories", "Digest: 5 new stories", "Also reported by"},
	} {
		w := WordsIn(tc.lang)
		got := []string{w.Time(at, "2 Jan 15:04 MST"), w.Time(at, "Mon 15:04 MST"), w.Digest(1), w.Digest(3), w.Digest(5), w.AlsoReportedBy}
		want := []string{tc.date, tc.weekday, tc.digest1, tc.digest3, tc.digest5, tc.also}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", tc.lang, got, want)
		}
	}
	// Every month and weekday has its own name in each language.
	for _, lang := range Languages[1:] {
		seen := map[string]bool{}
		for m := time.January; m <= time.December; m++ {
			seen[formatTime(lang, time.Date(2026, m, 1, 0, 0, 0, 0, time.UTC), "Jan")] = true
		}
		for d := 0; d < 7; d++ {
			seen[formatTime(lang, time.Date(2026, 11, 1+d, 0, 0, 0, 0, time.UTC), "Mon")] = true
		}
		if len(seen) != 19 {
			t.Errorf("%s: %d distinct month and weekday names, want 19", lang, len(seen))
		}
	}
	if got := WordsIn("ru").AndMore(4); got != "…и ещё 4 истории" {
		t.Errorf("ru AndMore = %q", got)
	}
}
