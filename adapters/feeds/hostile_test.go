package feeds

import (
	"bufio"
	"context"
	"strings"
	"testing"
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
