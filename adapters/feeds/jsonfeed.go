package feeds

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonItem is the part of a JSON Feed item (https://jsonfeed.org/version/1.1)
// Herald reads.
type jsonItem struct {
	ID            any    `json:"id"`
	URL           string `json:"url"`
	ExternalURL   string `json:"external_url"`
	Title         string `json:"title"`
	ContentHTML   string `json:"content_html"`
	ContentText   string `json:"content_text"`
	Summary       string `json:"summary"`
	Image         string `json:"image"`
	BannerImage   string `json:"banner_image"`
	DatePublished string `json:"date_published"`
	DateModified  string `json:"date_modified"`
	Language      string `json:"language"`
	Attachments   []struct {
		URL      string `json:"url"`
		MIMEType string `json:"mime_type"`
	} `json:"attachments"`
}

// parseJSON reads a JSON Feed, one item at a time. A document cut short
// keeps the items it completed.
func (p *docParser) parseJSON(text *bufio.Reader) error {
	dec := json.NewDecoder(text)
	if _, err := dec.Token(); err != nil { // the "{"
		return fmt.Errorf("%w: it is not JSON that can be read (%v)", errNotAFeed, err)
	}
	recognised := false
	err := func() error {
		for dec.More() {
			if err := p.ctx.Err(); err != nil {
				return err
			}
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			switch key {
			case "version":
				var v any
				if err := dec.Decode(&v); err != nil {
					return err
				}
				if s, ok := v.(string); ok && strings.Contains(s, "jsonfeed.org") {
					recognised = true
				}
			case "title", "home_page_url", "feed_url", "language":
				var s any
				if err := dec.Decode(&s); err != nil {
					return err
				}
				v, _ := s.(string)
				switch key {
				case "title":
					p.title = field{s: v, sniff: true}.text() // as item titles
				case "home_page_url":
					p.link = resolveIn(&openElem{base: p.base}, strings.TrimSpace(v))
					if site := p.fileSiteBase(); site != nil {
						p.base = site // see siteBase
					}
				case "feed_url":
					p.self = v
				case "language":
					p.lang = v
				}
			case "hubs":
				var hubs []struct{ Type, URL string }
				if err := dec.Decode(&hubs); err != nil {
					return err
				}
				for _, h := range hubs {
					if strings.EqualFold(h.Type, "websub") && p.hub == "" {
						p.hub = h.URL
					}
				}
			case "items":
				if err := p.jsonItems(dec, &recognised); err != nil {
					return err
				}
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return err
				}
			}
		}
		return nil
	}()
	if p.ctx.Err() != nil {
		return p.ctx.Err()
	}
	if !recognised {
		if err != nil {
			return fmt.Errorf("%w: it is JSON, but not a JSON Feed (%v)", errNotAFeed, err)
		}
		return fmt.Errorf(`%w: it is JSON, but not a JSON Feed (no "version" naming jsonfeed.org and no "items")`, errNotAFeed)
	}
	if err != nil {
		var syntax *json.SyntaxError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			p.damage = append(p.damage, fmt.Sprintf("the document is cut off after %s", p.items()))
		case errors.As(err, &syntax):
			p.damage = append(p.damage, fmt.Sprintf("stopped at a syntax error after %s (byte %d: %v)", p.items(), syntax.Offset, err))
		default:
			p.damage = append(p.damage, fmt.Sprintf("stopped after %s: %v", p.items(), err))
		}
	}
	return nil
}

// jsonItems reads the items array; an item that is not an object is
// skipped.
func (p *docParser) jsonItems(dec *json.Decoder, recognised *bool) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil // "items" that is not a list: nothing to read
	}
	*recognised = true
	for dec.More() {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		var ji jsonItem
		if json.Unmarshal(raw, &ji) != nil {
			continue
		}
		p.addItem(p.jsonRawItem(&ji))
	}
	_, err = dec.Token() // the "]"
	return err
}

func (p *docParser) jsonRawItem(ji *jsonItem) *rawItem {
	e := &openElem{base: p.base}
	it := &rawItem{
		// Plain text by the spec, but feeds written by blog software
		// carry entities ("Tom &amp; Jerry &#8211; live"): read as
		// RSS titles are.
		title:     field{s: ji.Title, sniff: true},
		link:      resolveIn(e, strings.TrimSpace(ji.URL)),
		published: parseDate(ji.DatePublished),
		updated:   parseDate(ji.DateModified),
		lang:      ji.Language,
	}
	switch id := ji.ID.(type) {
	case string:
		it.guid = id
	case float64:
		it.guid = fmt.Sprint(id)
	}
	if it.link == "" {
		it.link = resolveIn(e, strings.TrimSpace(ji.ExternalURL))
	}
	switch {
	case strings.TrimSpace(ji.ContentHTML) != "":
		it.content = field{s: ji.ContentHTML, html: true}
	default:
		it.content = field{s: ji.ContentText}
	}
	it.desc = field{s: ji.Summary, sniff: true}
	for _, att := range ji.Attachments {
		if isImage("", att.MIMEType, att.URL) {
			it.setImage(resolveIn(e, strings.TrimSpace(att.URL)), imageEnclosure)
		}
	}
	it.setImage(resolveIn(e, strings.TrimSpace(ji.BannerImage)), imageThumbnail)
	it.setImage(resolveIn(e, strings.TrimSpace(ji.Image)), imageContent)
	return it
}
