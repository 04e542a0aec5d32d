package feeds

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/herald-news/herald/adapters/loopback"
	"github.com/herald-news/herald/alerts"
)

// MaxPushBytes is the largest article body POST /v1/articles takes.
const MaxPushBytes = 1 << 20

// PushFunc takes one cleaned article into the pipeline and returns its ID,
// and whether it was seen before.
type PushFunc func(ctx context.Context, a alerts.Article) (id string, duplicate bool, err error)

// PushHandler serves POST /v1/articles: one JSON object
// {"title","url","body","source","published","guid","image"}, or
// text/plain in the scraped form (first line the title) in any encoding,
// read as feeds are (the Content-Type's charset, a BOM, else detection). With a token, requests need
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
		} else if !loopback.From(r) {
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
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return alerts.Article{}, fmt.Errorf("invalid JSON article: %v", err)
		}
		end := dec.InputOffset()
		if _, err := dec.Token(); err != io.EOF {
			return alerts.Article{}, fmt.Errorf("invalid JSON article: something follows the object (after byte %d); send one article, one JSON object, per request", end)
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
	// Text in any encoding, read as feeds are: the charset the
	// Content-Type names, else a BOM, else detection.
	a, err := ParseText(newTextReader(bytes.NewReader(body), contentType, false), "")
	if err != nil {
		return alerts.Article{}, fmt.Errorf("invalid text article: %v", err)
	}
	return a, nil
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
