package feeds

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/herald-news/herald/alerts"
)

// MaxPushBytes is the largest article body POST /v1/articles takes.
const MaxPushBytes = 1 << 20

// PushFunc takes one cleaned article into the pipeline and returns its ID,
// and whether it was seen before.
type PushFunc func(ctx context.Context, a alerts.Article) (id string, duplicate bool, err error)

// PushHandler serves POST /v1/articles: JSON
// {"title","url","body","source","published"} or text/plain in the scraped
// form (first line the title). With a token, requests need
// "Authorization: Bearer <token>"; without one, only loopback clients are
// served.
func PushHandler(push PushFunc, token string, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			httpError(w, http.StatusMethodNotAllowed, "use POST")
			return
		}
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="herald"`)
				httpError(w, http.StatusUnauthorized, "missing or wrong bearer token")
				return
			}
		} else if !fromLoopback(r) {
			httpError(w, http.StatusForbidden, "set HERALD_INGEST_TOKEN to accept articles from other hosts or through a proxy")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPushBytes))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("article larger than %d bytes", MaxPushBytes))
			return
		}
		if err != nil {
			httpError(w, http.StatusBadRequest, "reading body: "+err.Error())
			return
		}
		a, err := decodePush(r.Header.Get("Content-Type"), body)
		if err != nil {
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
		id, dup, err := push(r.Context(), a)
		if err != nil {
			log.Error("Pushed article not ingested", "title", a.Title, "err", err)
			httpError(w, http.StatusInternalServerError, "article not stored; retry")
			return
		}
		status := "accepted"
		if dup {
			status = "duplicate"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]string{"id": id, "status": status})
	})
}

type pushedArticle struct {
	Title     string `json:"title"`
	URL       string `json:"url"`
	Body      string `json:"body"`
	Source    string `json:"source"`
	GUID      string `json:"guid"`
	Published string `json:"published"`
	Image     string `json:"image"`
}

func decodePush(contentType string, body []byte) (alerts.Article, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/json", "":
		if mt == "" && !json.Valid(body) {
			break
		}
		var p pushedArticle
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return alerts.Article{}, fmt.Errorf("invalid JSON article: %v", err)
		}
		if strings.TrimSpace(p.Title) == "" {
			return alerts.Article{}, errors.New(`invalid article: "title" is required`)
		}
		a := alerts.Article{Title: p.Title, URL: p.URL, Body: p.Body, Source: p.Source, GUID: p.GUID, Image: p.Image}
		if p.URL != "" {
			u, err := url.Parse(p.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return alerts.Article{}, fmt.Errorf(`invalid article: "url" %q is not an http(s) URL`, p.URL)
			}
			if a.Source == "" {
				a.Source = strings.TrimPrefix(u.Hostname(), "www.")
			}
		}
		if p.Published != "" {
			t, err := time.Parse(time.RFC3339, p.Published)
			if err != nil {
				return alerts.Article{}, fmt.Errorf(`invalid article: "published" %q is not RFC 3339 (2006-01-02T15:04:05Z)`, p.Published)
			}
			a.Published = t
		}
		return Clean(a), nil
	case "text/plain":
	default:
		return alerts.Article{}, fmt.Errorf("unsupported Content-Type %q: send application/json or text/plain", mt)
	}
	if !utf8.Valid(body) && len(body) > 0 && !utf8.Valid(body[:len(body)/2]) {
		// Mostly not text: refuse rather than guess.
		if strings.Count(string(body), "\uFFFD") > len(body)/4 {
			return alerts.Article{}, errors.New("body is not UTF-8 text")
		}
	}
	a, err := ParseText(strings.NewReader(string(body)), "")
	if err != nil {
		return alerts.Article{}, fmt.Errorf("invalid text article: %v", err)
	}
	return a, nil
}

// fromLoopback reports whether the request comes from this host itself. A
// request that carries forwarding headers came through a proxy from
// somewhere else, whatever its connection's address.
func fromLoopback(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// FromLoopback reports whether r was made on this host, not through a proxy.
func FromLoopback(r *http.Request) bool { return fromLoopback(r) }
