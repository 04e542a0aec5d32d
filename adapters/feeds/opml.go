package feeds

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/herald-news/herald/bot"
)

// LoadFeedList reads HERALD_FEEDS: either a text file of feed URLs, one a
// line, with # comments and blank lines allowed, or an OPML file (the
// format feed readers import and export). An empty file is an empty list.
func LoadFeedList(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read feed list: %w", err)
	}
	feeds, err := ParseFeedList(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return feeds, nil
}

// ParseFeedList reads a feed list from memory; see LoadFeedList. Duplicate
// URLs are listed once.
func ParseFeedList(data []byte) ([]string, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if bytes.HasPrefix(trimmed, []byte("<")) {
		return parseOPML(trimmed)
	}
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if err := feedCheckURL(line); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// feedCheckURL says what is wrong with a feed address, if anything.
func feedCheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return fmt.Errorf("%q has no host", s)
		}
	case "file":
		if u.Path == "" && u.Opaque == "" {
			return fmt.Errorf("%q names no file", s)
		}
	default:
		return fmt.Errorf("%q is not a feed URL: it must start with http://, https:// or file://", s)
	}
	return nil
}

type opmlDoc struct {
	XMLName xml.Name `xml:"opml"`
	Version string   `xml:"version,attr"`
	Head    opmlHead `xml:"head"`
	Body    struct {
		Outlines []opmlOutline `xml:"outline"`
	} `xml:"body"`
}

type opmlHead struct {
	Title       string `xml:"title,omitempty"`
	DateCreated string `xml:"dateCreated,omitempty"`
}

type opmlOutline struct {
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr,omitempty"`
	Type     string        `xml:"type,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Outlines []opmlOutline `xml:"outline"`
}

func parseOPML(data []byte) ([]string, error) {
	var doc opmlDoc
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a valid OPML file: %w", err)
	}
	var out []string
	seen := map[string]bool{}
	var walk func([]opmlOutline) error
	walk = func(os []opmlOutline) error {
		for _, o := range os {
			if u := strings.TrimSpace(o.XMLURL); u != "" {
				if err := feedCheckURL(u); err != nil {
					return fmt.Errorf("outline %q: %w", o.Text, err)
				}
				if !seen[u] {
					seen[u] = true
					out = append(out, u)
				}
			}
			if err := walk(o.Outlines); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc.Body.Outlines); err != nil {
		return nil, err
	}
	return out, nil
}

// WriteOPML writes the sources as an OPML 2.0 subscription list that any
// feed reader imports.
func WriteOPML(w io.Writer, sources []bot.SourceStatus) error {
	doc := opmlDoc{Version: "2.0", Head: opmlHead{Title: "Herald sources", DateCreated: time.Now().UTC().Format(time.RFC1123Z)}}
	for _, s := range sources {
		text := s.Title
		if text == "" {
			text = feedDomain(s.URL)
		}
		if text == "" {
			text = s.URL
		}
		doc.Body.Outlines = append(doc.Body.Outlines, opmlOutline{Text: text, Title: text, Type: "rss", XMLURL: s.URL})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write OPML: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
