package feeds

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"

	"github.com/herald-news/herald/alerts"
)

// teaserLen is the body length under which an item counts as a teaser
// whose page is worth fetching, when the feed has extraction on.
const teaserLen = 600

// maxPage bounds a page read for extraction.
const maxPage = 4 << 20

// extractArticle replaces a teaser's body with the article text extracted
// from its page, and takes the page's picture when the item has none. Any
// failure keeps the teaser: extraction is a bonus.
func (p *Poller) extractArticle(ctx context.Context, a alerts.Article, guarded bool) alerts.Article {
	if a.URL == "" || len([]rune(a.Body)) >= teaserLen {
		return a
	}
	var pg extracted
	_, err := p.fetch.fetch(ctx, fetchRequest{URL: a.URL, Guarded: guarded}, func(res *fetchResult, body io.Reader) (err error) {
		pg, err = extractPageText(ctx, io.LimitReader(body, maxPage), res.ContentType, a.URL)
		return err
	})
	if err != nil {
		p.log.Debug("Page extraction failed; keeping the teaser", "url", a.URL, "err", err)
		return a
	}
	if a.Image == "" {
		a.Image = safeImageURL(pg.image)
	}
	if len(pg.text) <= len(a.Body) {
		return a
	}
	a.Body = pg.text
	a.ContentHash = ""
	a.Summary = "" // summarise the whole article, not the teaser
	return Clean(a)
}

// extracted is what readability found in a page.
type extracted struct{ text, image string }

// extractPageText reads a page in whatever charset it is in (see
// textReader) and returns its main text and picture, as readability sees
// them. Readability takes no context: when ctx ends first the result is
// abandoned and ctx's error returned at once.
func extractPageText(ctx context.Context, page io.Reader, contentType, pageURL string) (extracted, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return extracted{}, err
	}
	data, err := io.ReadAll(newTextReader(page, contentType, true))
	if err != nil {
		return extracted{}, err
	}
	type result struct {
		pg  extracted
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- result{err: fmt.Errorf("readability failed on the page: %v", v)}
			}
		}()
		parser := readability.NewParser()
		art, err := parser.Parse(strings.NewReader(string(data)), u)
		if err != nil {
			done <- result{err: err}
			return
		}
		var b strings.Builder
		if err := art.RenderText(&b); err != nil {
			done <- result{err: err}
			return
		}
		pg := extracted{text: tidyLines(b.String())}
		if img := strings.TrimSpace(art.ImageURL()); img != "" {
			if iu, err := feedResolveURL(u, img); err == nil {
				pg.image = iu.String()
			}
		}
		done <- result{pg: pg}
	}()
	select {
	case r := <-done:
		return r.pg, r.err
	case <-ctx.Done():
		return extracted{}, ctx.Err()
	}
}

// extractText returns the main text of an HTML page (UTF-8), as
// readability sees it.
func extractText(page []byte, pageURL string) (string, error) {
	pg, err := extractPageText(context.Background(), strings.NewReader(string(page)), "text/html; charset=utf-8", pageURL)
	return pg.text, err
}
