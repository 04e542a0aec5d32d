package feeds

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/herald-news/herald/adapters/feeds/feedtest"
	"golang.org/x/text/transform"
)

// A document that nests elements without end costs no more than one
// that does not: past maxDepth, elements are read as if they were not
// there, and the items around them are kept.
func TestDeepNesting(t *testing.T) {
	const n = 20000
	for name, item := range map[string]string{
		"unclosed":   "<item><title>Deep</title><x>" + strings.Repeat("<a>", n) + "</item>",
		"closed":     "<item><title>Deep</title><description>" + strings.Repeat("<div>", n) + "deep text" + strings.Repeat("</div>", n) + "</description></item>",
		"namespaced": "<item><title>Deep</title>" + strings.Repeat(`<p:a xmlns:p="urn:x">`, n) + "</item>",
		"stray ends": "<item><title>Deep</title>" + strings.Repeat("<a>", 512) + strings.Repeat("</b>", n) + "</item>",
	} {
		t.Run(name, func(t *testing.T) {
			doc := `<rss version="2.0"><channel><title>Nest</title>` + item + `<item><title>After</title></item></channel></rss>`
			r := newXMLReader(context.Background(), bufio.NewReader(strings.NewReader(doc)), nil)
			most := 0
			for {
				if _, err := r.next(); err != nil {
					break
				}
				most = max(most, r.depth())
			}
			if most > 512 {
				t.Errorf("%d elements open at once, want at most 512", most)
			}
			pf, err := parseFeedDoc(context.Background(), strings.NewReader(doc), docMeta{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(titles(pf), " | "); got != "Deep | After" {
				t.Errorf("items %q, want Deep | After", got)
			}
		})
	}
}

// fixInPieces runs the fixer over s read in pieces of size bytes.
func fixInPieces(s string, size int) (string, error) {
	out, err := io.ReadAll(transform.NewReader(&chunkReader{data: []byte(s), size: size}, &xmlFixer{}))
	return string(out), err
}

// The fixer mends the same whatever the pieces the text comes in: a tag,
// a reference or a CDATA closer cut between two reads is read whole.
func TestXMLFixerInPieces(t *testing.T) {
	docs := []string{
		`<a x=1 y="a<b">t</a><![CDATA[x]]]]><![CDATA[>y]]>&#xD83D;&#xDE00;<!-- a -- b --><b>]]></b><c@d>`,
		`<title><![CDATA[never closed</title><x>` + strings.Repeat("y", 5000) + `</x>`,
		`<e a="` + strings.Repeat("<", 2000) + `"/>` + strings.Repeat(`<f g=h i=j k=l m=n o=p q=r s=t u=v w=x/>`, 50),
	}
	filepath.WalkDir(filepath.Join("testdata", "feeds"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".xml") {
			data, _ := os.ReadFile(path)
			docs = append(docs, decodeText(data, "", false))
		}
		return nil
	})
	for _, doc := range docs {
		whole, err := fixInPieces(doc, len(doc)+1)
		if err != nil {
			t.Fatalf("%.60q: %v", doc, err)
		}
		for _, size := range []int{1, 2, 5, 13, 4096} {
			got, err := fixInPieces(doc, size)
			if err != nil || got != whole {
				t.Fatalf("%.60q in pieces of %d: %v\n%q\nwant\n%q", doc, size, err, got, whole)
			}
		}
	}
}

func FuzzXMLFixer(f *testing.F) {
	f.Add(`<a x=1 y="a<b">t</a><![CDATA[x]]]]><![CDATA[>y]]>&#xD83D;&#xDE00;<!-- a -- b --><b>]]></b><c@d>`, 3)
	f.Add(`<title><![CDATA[never closed</title>&#0;<?xml version="1.1"?><x y=z/>`, 1)
	f.Fuzz(func(t *testing.T, doc string, size int) {
		size = 1 + (size&0xff)%64
		whole, err := fixInPieces(doc, len(doc)+1)
		if err != nil {
			t.Fatalf("whole: %v", err)
		}
		got, err := fixInPieces(doc, size)
		if err != nil || got != whole {
			t.Fatalf("in pieces of %d: %v\n%q\nwant\n%q", size, err, got, whole)
		}
	})
}

// A compressed document inflates to at most maxInflated bytes; the items
// before that are kept.
func TestInflateBomb(t *testing.T) {
	var zipped bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zipped, gzip.BestSpeed)
	zw.Write([]byte(`<rss version="2.0"><channel><title>Bomb</title><item><title>Before the padding</title></item>`))
	pad := bytes.Repeat([]byte(" "), 1<<20)
	for range maxInflated>>20 + 1 {
		zw.Write(pad)
	}
	zw.Write([]byte(`<item><title>Past the bound</title></item></channel></rss>`))
	zw.Close()
	pf, err := parseFeedDoc(context.Background(), &zipped, docMeta{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(titles(pf), " | "); got != "Before the padding" || !strings.Contains(strings.Join(pf.Damage, "; "), "inflates past 10 MiB") {
		t.Errorf("items %q, damage %q", got, pf.Damage)
	}
}

// An element that declares a namespace prefix many times over costs each
// declaration once.
func TestManyNamespaceDeclarations(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>NS</title><item`)
	for i := range 20000 {
		fmt.Fprintf(&b, ` xmlns:p%d="urn:%d" xmlns:q="urn:q%d"`, i, i, i)
	}
	b.WriteString(`><title>Declared</title><q:x>y</q:x></item><item><title>Next</title></item></channel></rss>`)
	r := newXMLReader(context.Background(), bufio.NewReader(strings.NewReader(b.String())), nil)
	for {
		if _, err := r.next(); err != nil {
			break
		}
		if n := len(r.ns["q"]); n > 1 {
			t.Fatalf("q declared %d times in scope, want once (the last)", n)
		}
	}
	if len(r.ns) != 0 {
		t.Errorf("%d prefixes left in scope after the document", len(r.ns))
	}
}

// BenchmarkHostileDocuments reads documents built to cost: elements
// nested without end, one element declaring thousands of prefixes, and
// tag soup. Each should cost about what a plain document of its size
// does (go test -run XXX -bench HostileDocuments ./adapters/feeds/).
func BenchmarkHostileDocuments(b *testing.B) {
	var decls strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&decls, ` xmlns:p%d="urn:%d"`, i, i)
	}
	soup := strings.Repeat(`<a b=c d="e<f">x<y and y>z <news@site.example> &#0; ]]> <!-- c -- d --></a>`, 5000)
	docs := map[string]string{
		"unclosed":   "<item><title>Deep</title><x>" + strings.Repeat("<a>", 100000) + "</item>",
		"namespaces": "<item" + decls.String() + "><title>Declared</title></item>",
		"tag soup":   "<item><title>Soup</title><description>" + soup + "</description></item>",
		"plain":      strings.Repeat("<item><title>Plain item</title><description>Some text of the item.</description></item>", 5000),
	}
	for name, items := range docs {
		doc := []byte(`<rss version="2.0"><channel><title>Cost</title>` + items + `</channel></rss>`)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := parseFeedDoc(context.Background(), bytes.NewReader(doc), docMeta{}, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The poller's own fetch and parse read what servers send: a charset the
// server names wrongly, a gzip body it does not name, a PHP warning
// before the feed.
func TestPollerReadsWhatServersSend(t *testing.T) {
	zipped := func(b []byte) []byte {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		return z.Bytes()
	}
	for _, tt := range []struct {
		name, contentType string
		doc               []byte
		title             string
	}{
		{"KOI8-R served as windows-1251", "application/rss+xml; charset=windows-1251", readEnc(t, "undeclared-koi8-r.xml"), ruItem},
		{"windows-1251 served as Latin-1", "text/xml; charset=ISO-8859-1", readEnc(t, "undeclared-windows-1251.xml"), ruItem},
		{"UTF-16 served as UTF-8", "text/xml; charset=utf-8", readEnc(t, "utf16le-bom.xml"), ruItem},
		{"gzip not named", "application/x-gzip", zipped(readEnc(t, "decl-windows-1251.xml")), ruItem},
		{"a PHP warning first", "application/rss+xml", readTestdata(t, "bad", "leading-php-warning.xml"), "Read past the warning"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&feedtest.Static{Doc: tt.doc, ContentType: tt.contentType})
			defer srv.Close()
			p := NewPoller(PollerOptions{Feeds: []string{srv.URL}}, newMemStore(), nil)
			var pf *parsedFeed
			_, err := p.fetch.fetch(context.Background(), fetchRequest{URL: srv.URL}, func(res *fetchResult, body io.Reader) (err error) {
				pf, err = p.parse(context.Background(), body, res, srv.URL)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(pf.Items) == 0 || pf.Items[0].Title != tt.title {
				t.Errorf("items %q, want %q first", titles(pf), tt.title)
			}
		})
	}
}

// A DOCTYPE's own text entities are expanded, as a browser does; chains
// of entities ("billion laughs"), external and parameter entities are
// not, and nothing a DOCTYPE names is ever fetched.
func TestDoctypeEntities(t *testing.T) {
	var fetched atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		w.Write([]byte(`<!ENTITY evil "fetched">`))
	}))
	defer srv.Close()
	var lol strings.Builder
	lol.WriteString(`<!ENTITY lol "lol">`)
	for i := 1; i <= 9; i++ {
		prev := "lol"
		if i > 1 {
			prev = fmt.Sprintf("lol%d", i-1)
		}
		fmt.Fprintf(&lol, `<!ENTITY lol%d "%s">`, i, strings.Repeat("&"+prev+";", 10))
	}
	doc := `<?xml version="1.0"?><!DOCTYPE rss SYSTEM "` + srv.URL + `/rss.dtd" [` + lol.String() +
		`<!ENTITY company "ACME &amp; Sons"><!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY % p SYSTEM "` + srv.URL + `/p.dtd"> %p;]>` +
		`<rss version="2.0"><channel><title>Entities</title>` +
		`<item><title>News from &company;</title><description>&xxe;&evil;</description></item>` +
		`<item><title>Laughs: &lol9;</title></item></channel></rss>`
	pf, err := parseFeedDoc(context.Background(), strings.NewReader(doc), docMeta{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(titles(pf), " | "); got != "News from ACME & Sons | Laughs: &lol9;" {
		t.Errorf("items %q", got)
	}
	if len(pf.Items) > 0 && strings.Contains(pf.Items[0].Body, "root:") || fetched.Load() != 0 {
		t.Errorf("body %q, %d fetches", bodies(pf), fetched.Load())
	}
}
