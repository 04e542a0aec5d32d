package feeds

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, parts ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{"testdata", "feeds"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parseTestdata(t *testing.T, meta docMeta, parts ...string) (*parsedFeed, error) {
	t.Helper()
	if meta.FeedURL == "" {
		meta.FeedURL = "https://feed.example/feed.xml"
	}
	return parseFeedDoc(context.Background(), bytes.NewReader(readTestdata(t, parts...)), meta, 0)
}

func titles(pf *parsedFeed) []string {
	var out []string
	for _, a := range pf.Items {
		out = append(out, a.Title)
	}
	return out
}

// An ill-formed feed keeps every complete item, as feed readers do.
func TestIllFormedFeeds(t *testing.T) {
	tests := []struct {
		file, feed string
		titles     []string
		bodyHas    string
		damage     string
	}{
		{file: "truncated-after-items.xml", feed: "Cut Wire", titles: []string{"First complete item", "Second complete item"}, damage: "cut off after 2 items"},
		{file: "cut-between-tags.xml", feed: "Cut between tags", titles: []string{"One"}, damage: "cut off after 1 item"},
		{file: "cut-in-a-field.xml", feed: "Cut in a field", titles: []string{"One", "Two"}, damage: "cut off after 2 items"},
		{file: "late-declaration.xml", feed: "Decl late", titles: []string{"One"}},
		{file: "truncated.json", feed: "JSON Cut", titles: []string{"First complete", "Second complete"}, damage: "cut off after 2 items"},
		{file: "bare-ampersands.xml", feed: "Q&A Weekly", titles: []string{"AT&T and Johnson & Johnson report", "Second item"}, bodyHas: "Profits rose 5% & costs fell."},
		{file: "undefined-entities.xml", feed: "Entities Daily", titles: []string{"Talks resume — again… «finally»", "Second item"}, bodyHas: "Café & bar © &foo; stays"},
		{file: "bad-cdata.xml", feed: "CDATA Times", titles: []string{"Before the broken part", "After the broken part"}, bodyHas: "Nested ends", damage: "skipped a part that is not well-formed"},
		{file: "lt-in-text.xml", feed: "Math < News", titles: []string{"Inflation < 2% for the first time", "Second item"}, bodyHas: "We <3 low prices, and 1 << 2."},
		{file: "mismatched-tags.xml", feed: "Tag Soup", titles: []string{"Raw HTML in a description", "Second item"}, bodyHas: "One\ntwo three"},
		{file: "illegal-charref.xml", feed: "References", titles: []string{"Fine first", "A NUL reference here", "Fine third"}},
		{file: "charrefs.xml", feed: "Character References", titles: []string{"Nothing here", "A pair 😀 and a half \uFFFD", "Too big \uFFFD \uFFFD", "Fine — “quoted”"}},
		{file: "comments.xml", feed: "Comments", titles: []string{"Split title", "After them"}, bodyHas: "Beforeafter."},
		{file: "unclosed-cdata.xml", feed: "Open Sections", titles: []string{"Fine first", "A title never closed", "Body never closed", "Code with ]]> in it", "Fine last"}},
		{file: "leading-php-warning.xml", feed: "Notices First", titles: []string{"Read past the warning"}},
		{file: "leading-text.xml", feed: "Text First", titles: []string{"Read past the text"}, damage: "read past 80 bytes of text before the feed"},
		{file: "leading-text.json", feed: "JSON Text First", titles: []string{"Read past the notice"}, damage: "read past 57 bytes of text before the feed"},
		{file: "own-namespace.xml", feed: "Own Namespace", titles: []string{"In a namespace of its own"}},
		{file: "upper-case-names.xml", feed: "Shouting Feed", titles: []string{"Upper case", "Lower-case pubdate"}, bodyHas: "All of it."},
		{file: "unclosed-items.xml", feed: "Open Items", titles: []string{"Never closed", "Nor this one", "Closed"}},
		{file: "gzipped-twice.xml.gz", feed: "Zipped Twice", titles: []string{"Inflated"}},
		{file: "xml11-undeclared-prefixes.xml", feed: "Version 1.1", titles: []string{"Prefixes nobody declared"}, bodyHas: "Full text of the story, from content:encoded."},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			pf, err := parseTestdata(t, docMeta{}, "bad", tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if pf.Title != tt.feed {
				t.Errorf("feed title %q, want %q", pf.Title, tt.feed)
			}
			if got := strings.Join(titles(pf), " | "); got != strings.Join(tt.titles, " | ") {
				t.Errorf("items %q, want %q", got, strings.Join(tt.titles, " | "))
			}
			if tt.bodyHas != "" && (len(pf.Items) == 0 || !strings.Contains(pf.Items[0].Body+pf.Items[len(pf.Items)-1].Body, tt.bodyHas)) {
				t.Errorf("bodies %q, want %q", bodies(pf), tt.bodyHas)
			}
			if got := strings.Join(pf.Damage, "; "); !strings.Contains(got, tt.damage) || tt.damage == "" && got != "" {
				t.Errorf("damage %q, want %q", got, tt.damage)
			}
		})
	}
}

// Text that looks like markup but is not a tag stays text; tags written
// loosely (unquoted, in any case, in a namespace of the feed's own) are
// read as tags.
func TestLooseMarkup(t *testing.T) {
	pf, err := parseTestdata(t, docMeta{}, "bad", "tag-like-text.xml")
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, pf, []wantItem{
		{title: "Letters from <editor@angle.example>", bodyHas: "Write to <editor@angle.example> or see <https://angle.example/faq>."},
		{title: "If x<y and y>z then x<z", bodyHas: "Fish & chips; a<b; c</ d; and <3."},
		{title: "Unquoted attributes", bodyHas: "Kept.", image: "https://angle.example/3.jpg?w=1&h=2"},
		{title: "A less-than in an attribute", image: "https://angle.example/4.jpg"},
		{title: "After them"},
	})
	if len(pf.Damage) > 0 {
		t.Errorf("damage %q", pf.Damage)
	}
	pf, err = parseTestdata(t, docMeta{}, "bad", "unclosed-cdata.xml")
	if err != nil {
		t.Fatal(err)
	}
	if got := pf.Items[2].Body; got != "The text." {
		t.Errorf("a body whose CDATA section is never closed: %q", got)
	}
	for file, want := range map[string][]wantItem{
		"upper-case-names.xml": {
			{title: "Upper case", url: "https://upper.example/1", guid: "u1", bodyHas: "All of it.", published: day(2026, 11, 24, 10, 0)},
			{title: "Lower-case pubdate", url: "https://upper.example/2", published: day(2026, 11, 23, 10, 0)},
		},
		"own-namespace.xml": {{title: "In a namespace of its own", url: "https://own.example/1", published: day(2026, 11, 24, 10, 0)}},
	} {
		pf, err := parseTestdata(t, docMeta{}, "bad", file)
		if err != nil {
			t.Fatal(err)
		}
		checkItems(t, pf, want)
	}
}

func bodies(pf *parsedFeed) []string {
	var out []string
	for _, a := range pf.Items {
		out = append(out, a.Body)
	}
	return out
}

// A document in which no feed can be recognised is an error that says
// what was found.
func TestNotAFeed(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"not-a-feed-opml.xml", "it is an OPML list of feeds"},
		{"not-a-feed-xml.xml", "it is XML whose root element is <sitemap>"},
		{"not-a-feed-array.json", "it is a JSON array"},
		{"not-a-feed-object.json", "it is JSON, but not a JSON Feed"},
		{"not-a-feed-page.html", "it looks like an HTML page"},
		{"not-a-feed-image.png", "it is an image (image/png)"},
	} {
		_, err := parseTestdata(t, docMeta{}, "bad", tt.file)
		if !errors.Is(err, errNotAFeed) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.file, err, tt.want)
		}
	}
}
