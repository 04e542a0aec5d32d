package feeds

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/herald-news/herald/alerts"
)

// Clean normalises an article as every ingest path does: repairs invalid
// UTF-8, trims whitespace, and sets the ID and content hash if missing.
func Clean(a alerts.Article) alerts.Article {
	a.Title = strings.Join(strings.Fields(strings.ToValidUTF8(a.Title, "\uFFFD")), " ")
	a.Body = strings.TrimSpace(strings.ToValidUTF8(a.Body, "\uFFFD"))
	if a.ContentHash == "" {
		a.ContentHash = alerts.ContentID(strings.ToLower(a.Title), a.Body)
	}
	if a.ID == "" {
		switch {
		case a.GUID != "":
			a.ID = alerts.ContentID("guid", a.GUID)
		case a.URL != "":
			a.ID = alerts.ContentID("url", a.URL)
		default:
			a.ID = alerts.ContentID("content", a.ContentHash)
		}
	}
	return a
}

// ParseText reads an article in the scraped text form: the first non-empty
// line is the title, the rest is the body.
func ParseText(r io.Reader, source string) (alerts.Article, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return alerts.Article{}, err
	}
	if !utf8.Valid(data) {
		data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), len(data)+1)
	var title string
	var body strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if title == "" {
			title = strings.TrimSpace(line)
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	if title == "" {
		return alerts.Article{}, fmt.Errorf("no title: the first non-empty line is the title")
	}
	return Clean(alerts.Article{Title: title, Body: body.String(), Source: source}), nil
}

// ReadArticles reads the articles in a file given its name and contents:
// scraped text (first line the title), an HTML page, or a feed (each item).
func ReadArticles(name string, data []byte) ([]alerts.Article, error) {
	a, err := ParseText(bytes.NewReader(data), "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return []alerts.Article{a}, nil
}
