package feeds

import (
	"strings"
	"testing"
	"time"
)

// wantItem is what a test expects of one item; empty fields are not
// checked unless set is listed in exact.
type wantItem struct {
	title, url, guid, bodyHas, summary, image string
	published                                 time.Time
	// exact lists fields that must match even when empty: "url", "guid",
	// "image", "published".
	exact string
}

func checkItems(t *testing.T, pf *parsedFeed, want []wantItem) {
	t.Helper()
	if len(pf.Items) != len(want) {
		t.Fatalf("%d items %q, want %d", len(pf.Items), titles(pf), len(want))
	}
	for i, w := range want {
		a := pf.Items[i]
		check := func(name, got, want string) {
			if (want != "" || strings.Contains(w.exact, name)) && got != want {
				t.Errorf("item %d (%s) %s = %q, want %q", i, a.Title, name, got, want)
			}
		}
		check("title", a.Title, w.title)
		check("url", a.URL, w.url)
		check("guid", a.GUID, w.guid)
		check("summary", a.Summary, w.summary)
		check("image", a.Image, w.image)
		if !strings.Contains(a.Body, w.bodyHas) {
			t.Errorf("item %d (%s) body = %q, want it to contain %q", i, a.Title, a.Body, w.bodyHas)
		}
		if (!w.published.IsZero() || strings.Contains(w.exact, "published")) && !a.Published.Equal(w.published) {
			t.Errorf("item %d (%s) published = %v, want %v", i, a.Title, a.Published, w.published)
		}
		for _, bad := range []string{"alert(", "<script", "javascript:", "onclick", "onerror", "display:none", "color:red", "<p>", "&lt;", "&amp;"} {
			for field, v := range map[string]string{"title": a.Title, "body": a.Body, "summary": a.Summary, "url": a.URL, "guid": a.GUID, "image": a.Image} {
				if strings.Contains(strings.ToLower(v), bad) && !strings.Contains(w.title+w.bodyHas, bad) {
					t.Errorf("item %d %s carries %q: %q", i, field, bad, v)
				}
			}
		}
	}
}

func day(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

// The field rules: text read literally and HTML parsed once, links and
// their bases, permalink GUIDs, Atom 0.3, the fallbacks of the body, the
// dates of every dialect, pictures, and nothing dangerous passing.
func TestFeedFields(t *testing.T) {
	tests := []struct {
		file string
		meta docMeta
		feed string
		want []wantItem
	}{
		{file: "atom-text-types.xml", feed: "Types & Kinds", want: []wantItem{
			{title: "Why <script> tags matter", url: "https://atom.example/news/why-script", guid: "tag:atom.example,2026:1",
				bodyHas: "Write <b> for bold & <i> for italics.", published: day(2026, 11, 24, 10, 0)},
			{title: "Bold & brave", url: "https://atom.example/abs/bold", bodyHas: "Full text here.\n\nSecond paragraph of the full text", summary: "The summary the feed wrote for this entry, in a sentence."},
			{title: "An xhtml title", url: "https://other.example/base/relative/page", bodyHas: "Styled text with a link.", published: day(2026, 11, 23, 6, 0)},
		}},
		{file: "rss-text-sniff.xml", feed: "Sniffing", want: []wantItem{
			{title: "Why <script> tags matter", bodyHas: "Prices: a < b && c > d, and x <y> z."},
			{title: "Tom & Jerry", bodyHas: "An HTML paragraph."},
			{title: "Breaking: news", bodyHas: "AT&T & friends"},
		}},
		{file: "links-and-guids.xml", feed: "Links", want: []wantItem{
			{title: "Permalink GUID", url: "https://guid.example/a", guid: "https://guid.example/a"},
			{title: "Not a permalink", guid: "https://guid.example/b", exact: "url"},
			{title: "Script link and GUID", exact: "url guid"},
			{title: "Data link", guid: "d-1", exact: "url"},
			{title: "Relative link", url: "https://feed.example/relative/e"},
			{title: "Item base", url: "https://base.example/dir/f"},
		}},
		// Content-Location comes before the feed's URL.
		{file: "links-and-guids.xml", meta: docMeta{ContentLocation: "https://cl.example/feeds/main.xml"}, feed: "Links", want: []wantItem{
			{title: "Permalink GUID"}, {title: "Not a permalink"}, {title: "Script link and GUID"}, {title: "Data link"},
			{title: "Relative link", url: "https://cl.example/feeds/relative/e"},
			{title: "Item base", url: "https://base.example/dir/f"},
		}},
		{file: "atom03.xml", feed: "Atom Zero Three", want: []wantItem{
			{title: "Base64 body", url: "https://a03.example/1", bodyHas: "Decoded from base64.", published: day(2005, 7, 31, 12, 29).Add(29 * time.Second)},
			{title: "Escaped body", bodyHas: "Escaped HTML.", published: day(2005, 7, 30, 10, 0)},
			{title: "Modified only", bodyHas: "Inline XHTML.", published: day(2005, 7, 29, 9, 0)},
		}},
		{file: "body-fallbacks.xml", feed: "Bodies", want: []wantItem{
			{title: "Content encoded", bodyHas: "The full text from content:encoded", summary: "The teaser the feed wrote for this story, in one sentence."},
			{title: "XHTML body", bodyHas: "Text from xhtml:body."},
			{title: "Body element", bodyHas: "Text from body."},
			{title: "Full item", bodyHas: "Text from fullitem."},
			{title: "Media description", bodyHas: "Text from media:description."},
			{title: "iTunes summary", bodyHas: "Text from itunes:summary."},
		}},
		{file: "dates.xml", feed: "Dates", want: []wantItem{
			{title: "dc:date", published: day(2026, 11, 24, 5, 0)},
			{title: "dcterms:created", published: day(2026, 11, 23, 0, 0)},
			{title: "dcterms:modified only", published: day(2026, 11, 22, 10, 0)},
			{title: "dcterms:issued", published: day(2026, 11, 21, 10, 0)},
			{title: "pubDate EST", published: day(2026, 11, 24, 14, 30)},
			{title: "pubDate MSK", published: day(2026, 11, 24, 9, 0)},
			{title: "Atom updated in RSS", published: day(2026, 11, 20, 7, 0)},
			{title: "No date", exact: "published"},
		}},
		{file: "dates-loose.xml", feed: "Loose Dates", want: []wantItem{
			{title: "No space after the comma", published: day(2026, 11, 24, 7, 0)},
			{title: "Russian month", published: day(2026, 11, 24, 7, 0)},
			{title: "Russian locale RFC 822", published: day(2026, 11, 24, 7, 0)},
			{title: "Ukrainian month", published: day(2026, 11, 24, 10, 0)},
			{title: "GMT plus hours", published: day(2026, 11, 24, 7, 0)},
			{title: "Day first with dots", published: day(2026, 11, 3, 10, 0)},
			{title: "Basic ISO 8601", published: day(2026, 11, 24, 10, 0)},
		}},
		{file: "escaped-bodies.xml", feed: "Escaping", want: []wantItem{
			{title: "Paragraphs never closed", bodyHas: "First paragraph.\n\nSecond paragraph."},
			{title: "An excerpt cut short", bodyHas: "The president said that the economy is growing and"},
			{title: "Escaped twice", bodyHas: "A body escaped twice."},
			{title: "<div> vs <span>: the difference", bodyHas: "Use <div> for blocks; x < y."},
		}},
		{file: "atom-text-feed-title.xml", feed: "Why <b> tags matter", want: []wantItem{{title: "An entry"}}},
		{file: "yandex.xml", feed: "РИА Тест", want: []wantItem{
			{title: "Путин провел совещание с членами правительства", url: "https://ria.example/1.html", image: "https://ria.example/img/1.jpg",
				bodyHas: "Обсуждались вопросы экономики и бюджета на следующий год.", published: day(2026, 11, 24, 9, 0)},
			{title: "Турбо-страница", bodyHas: "Текст турбо-страницы, полный и подробный, с абзацами.\n\nВторой абзац."},
		}},
		{file: "dangerous.xml", feed: "Danger", want: []wantItem{
			{title: "Clean title", bodyHas: "Kept text.\n\nLink text", exact: "url guid image"},
			{title: "Private image only", exact: "image"},
		}},
		{file: "images.xml", feed: "Pictures", want: []wantItem{
			{title: "Media content and thumbnail", image: "https://img.example/news/img/1.jpg"},
			{title: "Video with a thumbnail", image: "https://img.example/v.jpg"},
			{title: "Image enclosure", image: "https://img.example/e.jpg"},
			{title: "Audio enclosure", exact: "image"},
			{title: "Image by extension", image: "https://img.example/x.png?w=600"},
			{title: "Atom enclosure", image: "https://img.example/w.webp"},
		}},
		{file: "fields.json", meta: docMeta{FeedURL: "https://jf.example/feed.json"}, feed: "JSON Fields", want: []wantItem{
			{title: "Numeric ID, external URL", url: "https://elsewhere.example/story", guid: "42", bodyHas: "Kept: the full story", summary: "The summary the feed wrote, in a sentence.",
				image: "https://jf.example/img/42.jpg", published: day(2026, 11, 24, 10, 0)},
			{title: "Attachment image", url: "https://jf.example/2", bodyHas: "Plain text with <b> in it.", image: "https://jf.example/a.png"},
			{title: "Tom & Jerry – live, 1 < 2", bodyHas: "Written by blog software", summary: "The summary the feed wrote, with entities & all."},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			pf, err := parseTestdata(t, tt.meta, "fields", tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if pf.Title != tt.feed {
				t.Errorf("feed title %q, want %q", pf.Title, tt.feed)
			}
			checkItems(t, pf, tt.want)
		})
	}
}
