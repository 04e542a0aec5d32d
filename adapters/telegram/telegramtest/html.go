package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxMessageLen is the most characters a message may have after entity
// parsing, counted in UTF-16 code units as Telegram counts them.
// https://core.telegram.org/bots/api#sendmessage
const MaxMessageLen = 4096

// MaxCaptionLen is the most characters of a caption (sendPhoto,
// sendDocument) after entity parsing.
const MaxCaptionLen = 1024

// allowedTags are the tags Telegram's HTML parse mode accepts, with the
// attributes each may carry.
// https://core.telegram.org/bots/api#html-style
var allowedTags = map[string][]string{
	"b": nil, "strong": nil, "i": nil, "em": nil, "u": nil, "ins": nil,
	"s": nil, "strike": nil, "del": nil, "tg-spoiler": nil,
	"span":       {"class"},
	"a":          {"href"},
	"code":       {"class"},
	"pre":        nil,
	"blockquote": {"expandable"},
	"tg-emoji":   {"emoji-id"},
}

// ParseHTML parses text the way the Bot API does with parse_mode=HTML, but
// strictly: it fails where Telegram fails (an unknown or unbalanced tag) and
// also where Telegram would guess (a bare "&", "<" or ">" outside a tag or an
// entity). It returns the visible text, with entities decoded and tags
// removed.
func ParseHTML(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("text must be encoded in UTF-8")
	}
	var out strings.Builder
	var stack []string
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "", fmt.Errorf("can't parse entities: unclosed start tag at byte offset %d", i)
			}
			tag := s[i+1 : i+end]
			if strings.HasPrefix(tag, "/") {
				name := strings.ToLower(strings.TrimSpace(tag[1:]))
				if len(stack) == 0 || stack[len(stack)-1] != name {
					return "", fmt.Errorf("can't parse entities: can't find start tag corresponding to end tag %q at byte offset %d", name, i)
				}
				stack = stack[:len(stack)-1]
			} else {
				name, err := checkStartTag(tag)
				if err != nil {
					return "", fmt.Errorf("can't parse entities: %v at byte offset %d", err, i)
				}
				stack = append(stack, name)
			}
			i += end + 1
		case '&':
			r, n, err := entity(s[i:])
			if err != nil {
				return "", fmt.Errorf("can't parse entities: %v at byte offset %d", err, i)
			}
			out.WriteString(r)
			i += n
		case '>':
			return "", fmt.Errorf("can't parse entities: unescaped \">\" at byte offset %d", i)
		default:
			out.WriteByte(c)
			i++
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("can't parse entities: can't find end tag corresponding to start tag %q", stack[len(stack)-1])
	}
	return out.String(), nil
}

// checkStartTag validates the inside of "<…>" and returns the tag name.
func checkStartTag(tag string) (string, error) {
	name, rest, _ := strings.Cut(tag, " ")
	name = strings.ToLower(name)
	attrs, ok := allowedTags[name]
	if !ok {
		return "", fmt.Errorf("unsupported start tag %q", name)
	}
	rest = strings.TrimSpace(rest)
	for rest != "" {
		key, val, after, err := nextAttr(rest)
		if err != nil {
			return "", err
		}
		allowed := false
		for _, a := range attrs {
			allowed = allowed || a == key
		}
		if !allowed {
			return "", fmt.Errorf("unsupported attribute %q in tag %q", key, name)
		}
		if _, err := decodeEntities(val); err != nil {
			return "", err
		}
		rest = strings.TrimSpace(after)
	}
	return name, nil
}

// nextAttr reads key="value", key='value', key=value or a bare key.
func nextAttr(s string) (key, val, rest string, err error) {
	i := strings.IndexAny(s, "= ")
	if i < 0 {
		return strings.ToLower(s), "", "", nil
	}
	key = strings.ToLower(s[:i])
	if s[i] == ' ' {
		return key, "", s[i:], nil
	}
	s = s[i+1:]
	if s == "" {
		return key, "", "", nil
	}
	if q := s[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return "", "", "", fmt.Errorf("unclosed attribute value of %q", key)
		}
		return key, s[1 : 1+end], s[2+end:], nil
	}
	end := strings.IndexByte(s, ' ')
	if end < 0 {
		end = len(s)
	}
	return key, s[:end], s[end:], nil
}

func decodeEntities(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '&' {
			b.WriteByte(s[i])
			i++
			continue
		}
		r, n, err := entity(s[i:])
		if err != nil {
			return "", err
		}
		b.WriteString(r)
		i += n
	}
	return b.String(), nil
}

var namedEntities = map[string]string{"lt": "<", "gt": ">", "amp": "&", "quot": `"`}

// entity decodes the entity at the start of s ("&amp;", "&#39;", "&#x27;").
func entity(s string) (string, int, error) {
	end := strings.IndexByte(s, ';')
	if end < 0 || end > 12 {
		return "", 0, fmt.Errorf("unescaped \"&\"")
	}
	name := s[1:end]
	if v, ok := namedEntities[name]; ok {
		return v, end + 1, nil
	}
	if strings.HasPrefix(name, "#") {
		num, base := name[1:], 10
		if strings.HasPrefix(num, "x") || strings.HasPrefix(num, "X") {
			num, base = num[1:], 16
		}
		n, err := strconv.ParseUint(num, base, 32)
		if err == nil && n > 0 && n <= utf8.MaxRune {
			return string(rune(n)), end + 1, nil
		}
	}
	return "", 0, fmt.Errorf("unsupported entity %q", "&"+name+";")
}

// UTF16Len is the length of s as Telegram counts it.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
