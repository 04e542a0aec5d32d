package feeds

import (
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlTagRE finds markup worth parsing: a known HTML element or a comment.
// Text like "a < b" or "<Ukraine>" is left alone.
var htmlTagRE = regexp.MustCompile(`(?i)<(?:!--|/?(?:p|div|br|span|a|b|i|em|strong|ul|ol|li|h[1-6]|img|table|tbody|thead|tr|td|th|blockquote|figure|figcaption|section|article|header|footer|nav|aside|script|style|iframe|html|body|head|meta|link|pre|code|hr|sup|sub|small|u|s|time|picture|source|video|audio|noscript|svg|form|input|button|label|main|title|center|font|dl|dt|dd|abbr|cite|q|mark|wbr|template|object|embed)\b[^<>]*>)`)

// entityRE finds a character reference.
var entityRE = regexp.MustCompile(`&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});`)

func looksLikeHTML(s string) bool { return htmlTagRE.MatchString(s) }

// blockElems end a paragraph; their text starts a new one.
var blockElems = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Table: true, atom.Tr: true, atom.Section: true, atom.Article: true, atom.Header: true,
	atom.Footer: true, atom.Blockquote: true, atom.Pre: true, atom.Figure: true,
	atom.Figcaption: true, atom.Hr: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Aside: true, atom.Nav: true, atom.Main: true, atom.Address: true, atom.Details: true,
	atom.Summary: true, atom.Caption: true, atom.Center: true, atom.Form: true, atom.Fieldset: true,
}

// droppedElems hold no article text: their whole content is skipped.
var droppedElems = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Canvas: true, atom.Button: true, atom.Select: true, atom.Textarea: true,
	atom.Title: true, atom.Head: true, atom.Video: true, atom.Audio: true,
}

// stripHTML turns markup into plain text: entities decoded, script and
// style dropped, block elements and <br> turned into line breaks. It never
// fails: the tokenizer accepts any input.
func stripHTML(s string) string {
	if !looksLikeHTML(s) {
		if strings.IndexByte(s, '&') >= 0 && entityRE.MatchString(s) {
			u := html.UnescapeString(s)
			// Feeds often escape twice ("AT&amp;amp;T"): undo a second
			// level, which plain text never carries.
			if strings.Contains(s, "&amp;") && entityRE.MatchString(u) {
				u = html.UnescapeString(u)
			}
			return u
		}
		return s
	}
	return htmlToText(s)
}

// htmlToText reads s as HTML and returns its text: entities decoded once,
// script, style and other dropped elements skipped with their content,
// block elements and <br> turned into line breaks, attributes (links,
// event handlers) gone. It never fails: the tokenizer accepts any input.
func htmlToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(len(s) / 2)
	var skip []atom.Atom // open dropped elements
	pre := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if len(skip) > 0 {
				continue
			}
			t := string(z.Text())
			if pre == 0 {
				t = strings.ReplaceAll(t, "\n", " ")
			}
			b.WriteString(t)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if droppedElems[a] {
				if tt == html.StartTagToken {
					skip = append(skip, a)
				}
				continue
			}
			switch {
			case a == atom.Br:
				b.WriteByte('\n')
			case a == atom.Td || a == atom.Th:
				b.WriteByte(' ')
			case blockElems[a]:
				b.WriteString("\n\n")
				if a == atom.Pre && tt == html.StartTagToken {
					pre++
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if len(skip) > 0 {
				// Close up to the matching element, forgiving bad nesting.
				for i := len(skip) - 1; i >= 0; i-- {
					if skip[i] == a {
						skip = skip[:i]
						break
					}
				}
				continue
			}
			if blockElems[a] {
				b.WriteString("\n\n")
				if a == atom.Pre && pre > 0 {
					pre--
				}
			}
		}
	}
}

// page is what ReadArticles takes from an HTML document.
type page struct {
	Title, Body, URL, SiteName, Lang string
	// Image is the page's og:image (or twitter:image), resolved.
	Image string
}

// readPage reads an HTML page: title, URL, site name and language from
// extractPage, the main text from the readability extractor the poller
// uses for teaser pages (extractText), falling back to extractPage's when
// readability finds nothing.
func readPage(data []byte, pageURL string) page {
	p := extractPage(data)
	base := pageURL
	if strings.HasPrefix(p.URL, "http://") || strings.HasPrefix(p.URL, "https://") {
		base = p.URL
	}
	if text, err := extractText(data, base); err == nil && hasWordChar(text) {
		p.Body = text
	}
	if p.Image != "" {
		b, _ := url.Parse(base)
		if u, err := feedResolveURL(b, strings.TrimSpace(p.Image)); err == nil {
			p.Image = safeImageURL(u.String())
		}
	}
	return p
}

// pageChrome is the part of a page around the article: navigation, page
// headers and footers, sidebars, forms.
var pageChrome = map[atom.Atom]bool{
	atom.Nav: true, atom.Footer: true, atom.Aside: true, atom.Form: true, atom.Header: true,
}

// extractPage reads the title (og:title, else <title>, else the first
// <h1>), the canonical URL, the site name and the main text (the <article>,
// else <main>, else the body with navigation, headers, footers and sidebars
// removed) of an HTML page.
func extractPage(data []byte) page {
	root, err := html.Parse(strings.NewReader(string(data)))
	if err != nil {
		return page{Body: stripHTML(string(data))}
	}
	var p page
	var titleTag, h1 string
	var article, mainEl, body *html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				if p.Lang == "" {
					p.Lang = attr(n, "lang")
				}
			case atom.Title:
				if titleTag == "" {
					titleTag = nodeText(n)
				}
			case atom.Meta:
				prop := strings.ToLower(attr(n, "property") + attr(n, "name"))
				switch prop {
				case "og:title", "twitter:title":
					if p.Title == "" {
						p.Title = attr(n, "content")
					}
				case "og:url":
					if p.URL == "" {
						p.URL = attr(n, "content")
					}
				case "og:site_name":
					p.SiteName = attr(n, "content")
				case "og:image", "og:image:url", "og:image:secure_url", "twitter:image":
					if p.Image == "" {
						p.Image = attr(n, "content")
					}
				}
			case atom.Link:
				if strings.EqualFold(attr(n, "rel"), "canonical") {
					p.URL = attr(n, "href")
				}
			case atom.H1:
				if h1 == "" {
					h1 = nodeText(n)
				}
			case atom.Article:
				if article == nil {
					article = n
				}
			case atom.Main:
				if mainEl == nil {
					mainEl = n
				}
			case atom.Body:
				body = n
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	if p.Title == "" {
		p.Title = titleTag
	}
	if p.Title == "" {
		p.Title = h1
	}
	content := article
	if content == nil {
		content = mainEl
	}
	if content == nil {
		content = body
	}
	if content != nil {
		var b strings.Builder
		renderText(&b, content, content == body)
		p.Body = stripHTML(b.String())
	}
	return p
}

// renderText writes n back as HTML without dropped elements and, when
// chrome is set, without page chrome, for stripHTML to read.
func renderText(b *strings.Builder, n *html.Node, chrome bool) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			if droppedElems[c.DataAtom] || (chrome && pageChrome[c.DataAtom]) {
				continue
			}
			if c.DataAtom == atom.H1 {
				continue // the headline is the title, not body text
			}
		}
		if c.Type == html.ElementNode || c.Type == html.TextNode {
			if c.FirstChild == nil || c.Type == html.TextNode {
				_ = html.Render(b, c)
				continue
			}
			b.WriteString("<" + c.Data + ">")
			renderText(b, c, chrome)
			b.WriteString("</" + c.Data + ">")
		}
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return oneLine(b.String())
}
