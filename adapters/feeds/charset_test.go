package feeds

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/herald-news/herald/alerts"
)

// The texts testdata/mkfixtures.go encodes.
const (
	ruTitle = "Новости дня"
	ruItem  = "Переговоры о прекращении огня возобновились в Стамбуле"
	ruBody  = "Делегации встретились во вторник и договорились продолжить переговоры на следующей неделе. Ёлка зелёная, пятая."
	ukItem  = "Переговори про припинення вогню відновилися в Стамбулі"
	ukBody  = "Ґанок, їжак, єдність."
)

func readEnc(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "feeds", "enc", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Every encoding a feed comes in reads as the text it holds.
func TestFeedEncodings(t *testing.T) {
	tests := []struct {
		file, contentType       string
		feed, title, body, lang string
	}{
		{file: "utf8-bom.xml", feed: ruTitle, title: ruItem, body: ruBody, lang: "ru"},
		{file: "utf16le-bom.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "utf16be-bom.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "utf16le-nobom.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "utf32le-bom.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "utf32be-bom.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "decl-windows-1251.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "decl-koi8-r.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "decl-iso-8859-5.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "decl-shift_jis.xml", title: "停戦交渉がイスタンブールで再開された", lang: "ja"},
		// The HTTP charset wins over the XML declaration.
		{file: "decl-koi8-r.xml", contentType: "application/rss+xml; charset=koi8-r", feed: ruTitle, title: ruItem},
		// Declarations that lie.
		{file: "decl-latin1-is-1251.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "decl-1251-is-utf8.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "undeclared-windows-1251.xml", contentType: "text/xml; charset=ISO-8859-1", feed: ruTitle, title: ruItem},
		// One Cyrillic encoding declared, another sent.
		{file: "decl-koi8-r-is-1251.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "undeclared-koi8-r.xml", contentType: "text/xml; charset=windows-1251", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "undeclared-koi8-u-uk.xml", contentType: "text/xml; charset=windows-1251", title: ukItem, body: ukBody},
		{file: "undeclared-iso-8859-5.xml", contentType: "text/xml; charset=windows-1251", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "undeclared-windows-1251-uk.xml", contentType: "text/xml; charset=koi8-u", title: ukItem, body: ukBody},
		// Undeclared: the detector.
		{file: "undeclared-windows-1251.xml", feed: ruTitle, title: ruItem, body: ruBody, lang: "ru"},
		{file: "undeclared-windows-1251-uk.xml", title: ukItem, body: ukBody, lang: "uk"},
		{file: "undeclared-koi8-r.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "undeclared-koi8-u-uk.xml", title: ukItem, body: ukBody, lang: "uk"},
		{file: "undeclared-iso-8859-5.xml", feed: ruTitle, title: ruItem, body: ruBody},
		{file: "undeclared-windows-1251.xml", contentType: "application/rss+xml; charset=windows-1251", feed: ruTitle, title: ruItem},
		{file: "undeclared-windows-1252.xml", title: "Les négociations reprennent à Istanbul", body: "« c’est très important », a déclaré l’émissaire. Coût : 5 €."},
		{file: "undeclared-shift_jis.xml", title: "停戦交渉がイスタンブールで再開された", body: "来週も協議を続ける予定だ。"},
		{file: "undeclared-euc-jp.xml", title: "停戦交渉がイスタンブールで再開された", body: "来週も協議を続ける予定だ。"},
		{file: "undeclared-gbk.xml", title: "停火谈判在伊斯坦布尔恢复", body: "双方表示下周将继续磋商。"},
		{file: "undeclared-big5.xml", title: "停火談判在伊斯坦堡恢復", body: "雙方表示下週將繼續磋商。"},
		{file: "undeclared-euc-kr.xml", title: "휴전 협상이 이스탄불에서 재개되었다", body: "다음 주에도 협의를 이어갈 예정이다."},
		// Damage: each bad byte costs one character, not the feed.
		{file: "utf8-stray-bytes.xml", feed: "Новости café дня", title: "Переговоры о прекращении огня возобновились в Стамбуле\uFFFD", body: "во вто\uFFFDрник"},
		{file: "control-chars.xml", feed: "Controls inside", title: "A title with a vertical tab", body: "Text with a NUL and a escape."},
		{file: "double-encoded.xml", feed: "Новости", title: "Talks resume… in “Istanbul”", body: "Переговоры возобновились — café"},
		{file: "c1-controls.xml", title: "It’s a “quote” – and – dash", body: "Cost € 5 and …"},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.contentType, func(t *testing.T) {
			pf, err := parseFeedDoc(context.Background(), bytes.NewReader(readEnc(t, tt.file)),
				docMeta{ContentType: tt.contentType, FeedURL: "https://enc.example/feed"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(pf.Items) != 1 {
				t.Fatalf("%d items, want 1", len(pf.Items))
			}
			a := pf.Items[0]
			if tt.feed != "" && pf.Title != tt.feed {
				t.Errorf("feed title %q, want %q", pf.Title, tt.feed)
			}
			if a.Title != tt.title {
				t.Errorf("title %q, want %q", a.Title, tt.title)
			}
			if !strings.Contains(a.Body, tt.body) {
				t.Errorf("body %q, want it to contain %q", a.Body, tt.body)
			}
			if tt.lang != "" && a.Lang != tt.lang {
				t.Errorf("lang %q, want %q", a.Lang, tt.lang)
			}
		})
	}
}

// A page names its charset in a <meta>; text has none and is detected.
func TestDocumentEncodings(t *testing.T) {
	arts, err := ReadArticles("page.html", readEnc(t, "page-meta-windows-1251.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].Title != ruItem || !strings.Contains(arts[0].Body, "Делегации встретились") {
		t.Fatalf("page: %+v", arts)
	}
	arts, err = ReadArticles("article.txt", readEnc(t, "text-windows-1251.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].Title != ruItem || !strings.Contains(arts[0].Body, "Делегации встретились") {
		t.Fatalf("text: %+v", arts)
	}
}

func TestFixText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"cafÃ©", "café"},
		{"â€œquotedâ€\u009d", "“quoted”"},
		{"Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "привет"},
		{"It\u0092s", "It’s"},
		{"a\u0081b", "ab"},
		// Text that only looks like it.
		{"Straße»", "Straße»"},
		{"Ã the start", "Ã the start"},
		{"plain ascii", "plain ascii"},
		{"«Привет»", "«Привет»"},
	} {
		if got := fixText(tt.in); got != tt.want {
			t.Errorf("fixText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The decoder gets its text in pieces of every size.
func TestTextReaderSmallReads(t *testing.T) {
	for _, name := range []string{"undeclared-windows-1251.xml", "utf16le-bom.xml", "utf8-stray-bytes.xml", "undeclared-shift_jis.xml"} {
		data := readEnc(t, name)
		whole := decodeText(data, "", false)
		for _, size := range []int{1, 2, 3, 7} {
			var out strings.Builder
			tr := newTextReader(&chunkReader{data: data, size: size}, "", false)
			buf := make([]byte, size)
			for {
				n, err := tr.Read(buf)
				out.Write(buf[:n])
				if err != nil {
					break
				}
			}
			if out.String() != whole {
				t.Errorf("%s in reads of %d: %q, want %q", name, size, out.String(), whole)
			}
		}
	}
}

type chunkReader struct {
	data []byte
	size int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.size)], c.data)
	c.data = c.data[n:]
	return n, nil
}

func FuzzDecodeText(f *testing.F) {
	f.Add([]byte("caf\xe9 \xd0\xbf\xd1\x80"), "")
	f.Add([]byte("\xff\xfe<\x00?\x00"), "")
	f.Add([]byte(`<?xml version="1.0" encoding="koi8-r"?><a>`+"\xf0\xd2\xc9"), "text/xml; charset=x")
	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		s := decodeText(data, contentType, false)
		if !strings.Contains(contentType, "utf-16") && !utf8.ValidString(s) {
			t.Fatalf("not UTF-8: %q", s)
		}
		_ = fixText(s)
		_ = Clean(alerts.Article{Title: s})
	})
}
