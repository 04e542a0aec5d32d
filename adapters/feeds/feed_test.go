package feeds

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "feeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseFeedFormats(t *testing.T) {
	type want struct {
		title, url, guid, source, bodyHas string
		published                         time.Time
	}
	tests := []struct {
		file      string
		feedURL   string
		feedTitle string
		hub, self string
		items     []want
	}{
		{
			file: "rss2.xml", feedURL: "https://kyivwire.example/feed.xml", feedTitle: "Kyiv Wire",
			hub: "https://hub.example/", self: "https://kyivwire.example/feed.xml",
			items: []want{
				{title: "Ceasefire talks resume in Istanbul", url: "https://kyivwire.example/2026/11/ceasefire-talks?utm_source=rss", guid: "kw-1002", source: "Kyiv Wire",
					bodyHas: "Delegations met on Tuesday & agreed to continue.\n\nSecond paragraph.", published: time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)},
				{title: "Grain corridor reopens", url: "https://kyivwire.example/2026/11/grain", source: "Kyiv Wire",
					bodyHas: "Ships left Odesa on Monday, the first in weeks.\n\nInsurers said rates would fall.", published: time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)},
			},
		},
		{
			file: "rss091.xml", feedURL: "http://gazette.example/rss", feedTitle: "Old Gazette",
			items: []want{{title: "Harbour bridge opens", url: "http://gazette.example/bridge.html", source: "Old Gazette", bodyHas: "The mayor cut the ribbon."}},
		},
		{
			file: "rss1.rdf", feedURL: "http://rdf.example/index.rdf", feedTitle: "RDF Times",
			items: []want{{title: "Parliament passes budget", url: "http://rdf.example/a1", source: "RDF Times", bodyHas: "240 to 180", published: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}},
		},
		{
			file: "atom.xml", feedURL: "https://observer.example/atom.xml", feedTitle: "Atom Observer",
			hub: "https://hub.example/", self: "https://observer.example/atom.xml",
			items: []want{{title: "Zelensky meets envoys", url: "https://observer.example/zelensky-envoys", guid: "tag:observer.example,2026:1", source: "Atom Observer",
				bodyHas: "The president met envoys from five countries.", published: time.Date(2026, 11, 24, 9, 55, 0, 0, time.UTC)}},
		},
		{
			file: "feed.json", feedURL: "https://jsondaily.example/feed.json", feedTitle: "JSON Daily",
			self: "https://jsondaily.example/feed.json",
			items: []want{
				{title: "Central bank holds rates", url: "https://jsondaily.example/7", guid: "jd-7", source: "JSON Daily", bodyHas: "The bank kept its key rate at 4%.", published: time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)},
				{title: "A title-less item: markets opened higher on Tuesday after the rate decision.", url: "https://jsondaily.example/6", guid: "jd-6", source: "JSON Daily", published: time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)},
			},
		},
		{
			// No feed title: the source is the domain. A date decades ahead
			// is dropped; an item with nothing in it is skipped.
			file: "odd-no-guid-future-date.xml", feedURL: "https://www.odd.example/rss",
			items: []want{
				{title: "Spaces and entities & more", url: "https://odd.example/a", source: "odd.example"},
				{title: "Only a description, no title, no link.", source: "odd.example"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			pf, err := parseFeedDoc(context.Background(), bytes.NewReader(readFixture(t, tt.file)), docMeta{FeedURL: tt.feedURL}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if pf.Title != tt.feedTitle || pf.Hub != tt.hub || pf.Self != tt.self {
				t.Errorf("feed title/hub/self = %q %q %q, want %q %q %q", pf.Title, pf.Hub, pf.Self, tt.feedTitle, tt.hub, tt.self)
			}
			if len(pf.Items) != len(tt.items) {
				t.Fatalf("got %d items, want %d: %+v", len(pf.Items), len(tt.items), pf.Items)
			}
			for i, w := range tt.items {
				a := pf.Items[i]
				if a.Title != w.title {
					t.Errorf("item %d title = %q, want %q", i, a.Title, w.title)
				}
				if a.URL != w.url && !strings.HasPrefix(a.URL, strings.Split(w.url, "?")[0]) {
					t.Errorf("item %d url = %q, want %q", i, a.URL, w.url)
				}
				if w.guid != "" && a.GUID != w.guid {
					t.Errorf("item %d guid = %q, want %q", i, a.GUID, w.guid)
				}
				if a.Source != w.source {
					t.Errorf("item %d source = %q, want %q", i, a.Source, w.source)
				}
				if !strings.Contains(a.Body, w.bodyHas) {
					t.Errorf("item %d body = %q, want it to contain %q", i, a.Body, w.bodyHas)
				}
				if strings.ContainsAny(a.Body, "<>") || strings.Contains(a.Body, "alert(1)") {
					t.Errorf("item %d body kept markup or script: %q", i, a.Body)
				}
				if !a.Published.Equal(w.published) {
					t.Errorf("item %d published = %v, want %v", i, a.Published, w.published)
				}
				if a.ID == "" || a.ContentHash == "" {
					t.Errorf("item %d was not cleaned: ID %q hash %q", i, a.ID, a.ContentHash)
				}
			}
		})
	}
}

// A document in which no feed can be recognised is an error that says
// what it is instead; a feed that is damaged is read for what it has.
func TestParseFeedBroken(t *testing.T) {
	tests := []struct {
		file, wantErr, wantTitle, wantDamage string
	}{
		{file: "broken-empty.xml", wantErr: "the document is empty"},
		{file: "broken-html.html", wantErr: "it looks like an HTML page"},
		{file: "broken-garbage.txt", wantErr: `it starts with text ("this is not a feed at all`},
		{file: "broken-json.json", wantTitle: "Bad", wantDamage: "stopped at a syntax error after 0 items"},
		{file: "broken-truncated.xml", wantTitle: "Cut off", wantDamage: "cut off after 0 items"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			pf, err := parseFeedDoc(context.Background(), bytes.NewReader(readFixture(t, tt.file)), docMeta{FeedURL: "https://broken.example/" + tt.file}, 0)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, errNotAFeed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to say %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pf.Title != tt.wantTitle || len(pf.Items) != 0 || !strings.Contains(strings.Join(pf.Damage, "; "), tt.wantDamage) {
				t.Errorf("got title %q, %d items, damage %q; want %q, 0, %q", pf.Title, len(pf.Items), pf.Damage, tt.wantTitle, tt.wantDamage)
			}
		})
	}
	if _, err := ParseFeed(nil, ""); !errors.Is(err, errNotAFeed) {
		t.Errorf("empty input: %v", err)
	}
}

func FuzzParseFeed(f *testing.F) {
	filepath.WalkDir(filepath.Join("testdata", "feeds"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			f.Add(data)
		}
		return nil
	})
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1","items":[{}]}`))
	// Documents built to cost or to confuse: see hostile_test.go.
	f.Add([]byte(`<rss><channel><item><title>a</title><x>` + strings.Repeat("<a>", 600) + `</item><item><title>b</title></item></channel></rss>`))
	f.Add([]byte(`<rss><channel><item xmlns:a="u" xmlns:a="v" xmlns="w"><a:title>x</a:title><title>t</title></item></channel></rss>`))
	f.Add([]byte(`<!DOCTYPE rss [<!ENTITY a "A"><!ENTITY b "&a;&a;"><!ENTITY c SYSTEM "file:///x">]><rss><channel><item><title>&a;&b;&c;</title></item></channel></rss>`))
	f.Add([]byte("<br />\n<b>Warning</b>: x<br />\n<?xml version=\"1.0\"?><RSS><CHANNEL><ITEM><TITLE>T</TITLE><PUBDATE>Вт, 24 Ноя 2026 10:00:00 +0300</PUBDATE><item><title><![CDATA[open</title></item>"))
	f.Add([]byte(`<rss><channel><item><title>x<y and <a@b> &#0;&#xD83D;&#xDE00; ]]></title><enclosure url=http://a/b.jpg type=image/jpeg /><!-- a -- b --></item></channel></rss>`))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\xb2)*.\xb6\x03\x04\x00\x00\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := ParseFeed(data, "https://fuzz.example/feed")
		if err != nil {
			return
		}
		for _, a := range items {
			if a.Title == "" || a.ID == "" {
				t.Fatalf("item without title or ID: %+v", a)
			}
		}
	})
}

func TestFeedDiscover(t *testing.T) {
	for _, tt := range []struct{ page, want string }{
		{`<html><head><link rel="alternate" type="application/atom+xml" href="atom.xml"></head></html>`, "https://site.example/news/atom.xml"},
		{`<link rel="Alternate  home" type="application/feed+json" href="//cdn.example/f.json">`, "https://cdn.example/f.json"},
		{`<head><link rel="alternate" type="text/html" href="/fr/"></head>`, ""},
		{`<head></head><body><link rel="alternate" type="application/rss+xml" href="/late.xml"></body>`, ""},
		{`<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">`, ""},
		{``, ""},
	} {
		if got := feedDiscover([]byte(tt.page), "https://site.example/news/"); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.page, got, tt.want)
		}
	}
}

func FuzzFeedDiscover(f *testing.F) {
	f.Add([]byte(`<link rel="alternate" type="application/rss+xml" href="/feed">`))
	f.Fuzz(func(t *testing.T, page []byte) {
		if u := feedDiscover(page, "https://site.example/"); u != "" && !strings.HasPrefix(u, "http") {
			t.Fatalf("discovered a non-web feed %q", u)
		}
	})
}
