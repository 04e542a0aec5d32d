package feeds

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/herald-news/herald/alerts"
)

// push posts one article to a PushHandler and returns the answer and what
// reached the pipeline.
func push(t *testing.T, contentType string, body []byte) (int, string, *alerts.Article) {
	t.Helper()
	var got *alerts.Article
	h := PushHandler(func(_ context.Context, a alerts.Article) (string, bool, error) {
		got = &a
		return a.ID, false, nil
	}, "secret", nil)
	r := httptest.NewRequest(http.MethodPost, "/v1/articles", strings.NewReader(string(body)))
	r.Header.Set("Authorization", "Bearer secret")
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var msg map[string]string
	json.Unmarshal(w.Body.Bytes(), &msg)
	return w.Code, msg["error"], got
}

func TestPushJSONIsOneObject(t *testing.T) {
	for _, tt := range []struct {
		body    string
		code    int
		wantErr string
	}{
		{`{"title":"Talks resume"}`, http.StatusAccepted, ""},
		{"{\"title\":\"Talks resume\"}\n\n", http.StatusAccepted, ""},
		{`{"title":"One"} {"title":"Two"}`, http.StatusBadRequest, "something follows the object (after byte 15)"},
		{`{"title":"One"}x`, http.StatusBadRequest, "something follows the object"},
		{`{"title":"One"}}`, http.StatusBadRequest, "something follows the object"},
		{`{"title":"One","extra":1}`, http.StatusBadRequest, `unknown field "extra"`},
	} {
		code, msg, _ := push(t, "application/json", []byte(tt.body))
		if code != tt.code || !strings.Contains(msg, tt.wantErr) {
			t.Errorf("%s: %d %q, want %d %q", tt.body, code, msg, tt.code, tt.wantErr)
		}
	}
}

// A text article that is not UTF-8 is decoded as a feed would be.
func TestPushTextInAnyEncoding(t *testing.T) {
	text := "Переговоры возобновились в Стамбуле\n\nДелегации встретились во вторник и договорились продолжить переговоры."
	enc := func(e interface{ Bytes([]byte) ([]byte, error) }) []byte {
		b, err := e.Bytes([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tt := range []struct {
		name, contentType string
		body              []byte
	}{
		{"utf-8", "text/plain", []byte(text)},
		{"windows-1251, detected", "text/plain", enc(charmap.Windows1251.NewEncoder())},
		{"koi8-r, detected", "text/plain", enc(charmap.KOI8R.NewEncoder())},
		{"koi8-r, declared", "text/plain; charset=koi8-r", enc(charmap.KOI8R.NewEncoder())},
		{"utf-16 with a BOM", "text/plain", enc(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder())},
	} {
		code, msg, a := push(t, tt.contentType, tt.body)
		if code != http.StatusAccepted || a == nil {
			t.Errorf("%s: %d %s", tt.name, code, msg)
			continue
		}
		if a.Title != "Переговоры возобновились в Стамбуле" || !strings.Contains(a.Body, "Делегации встретились") || a.Lang != "ru" {
			t.Errorf("%s: %q / %q / %s", tt.name, a.Title, a.Body, a.Lang)
		}
	}
}

func TestPushImage(t *testing.T) {
	_, _, a := push(t, "application/json", []byte(`{"title":"Pictured","image":"https://cdn.example/a.jpg"}`))
	if a == nil || a.Image != "https://cdn.example/a.jpg" {
		t.Errorf("image: %+v", a)
	}
	_, _, a = push(t, "application/json", []byte(`{"title":"Pictured","image":"javascript:alert(1)"}`))
	if a == nil || a.Image != "" {
		t.Errorf("script image kept: %+v", a)
	}
}
