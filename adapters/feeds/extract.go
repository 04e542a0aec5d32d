package feeds

import (
	"bytes"
	"context"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"

	"github.com/herald-news/herald/alerts"
)

// teaserLen is the body length under which an item counts as a teaser
// whose page is worth fetching, when the feed has extraction on.
const teaserLen = 600

// extractArticle replaces a teaser's body with the article text extracted
// from its page. Any failure keeps the teaser: extraction is a bonus.
func (p *Poller) extractArticle(ctx context.Context, a alerts.Article, guarded bool) alerts.Article {
	if a.URL == "" || len([]rune(a.Body)) >= teaserLen {
		return a
	}
	body, err := p.fetch.get(ctx, a.URL, guarded)
	if err != nil {
		p.log.Debug("Page extraction failed; keeping the teaser", "url", a.URL, "error", err)
		return a
	}
	text, err := extractText(body, a.URL)
	if err != nil || len(text) <= len(a.Body) {
		return a
	}
	a.Body = text
	a.ContentHash = ""
	a.Summary = "" // summarise the whole article, not the teaser
	return Clean(a)
}

// extractText returns the main text of an HTML page, as readability sees
// it.
func extractText(page []byte, pageURL string) (string, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return "", err
	}
	parser := readability.NewParser()
	art, err := parser.Parse(bytes.NewReader(page), u)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := art.RenderText(&b); err != nil {
		return "", err
	}
	return feedTidyLines(b.String()), nil
}
