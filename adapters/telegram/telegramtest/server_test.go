package telegramtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseHTML(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`<b>bold</b> &amp; <a href="https://x.test/?a=1&amp;b=&quot;2&quot;">link</a>`, `bold & link`, true},
		{`<i>it</i> <code>c</code> <pre>p</pre> <s>s</s> <u>u</u> &#39;&#x41;&lt;&gt;`, `it c p s u 'A<>`, true},
		{`<b>unclosed`, "", false},
		{`<b><i>crossed</b></i>`, "", false},
		{`<div>no</div>`, "", false},
		{`<a href="x" onclick="y">no</a>`, "", false},
		{`a & b`, "", false},
		{`a < b`, "", false},
		{`a > b`, "", false},
		{`&nbsp;`, "", false},
		{"\xff", "", false},
	}
	for _, tt := range tests {
		got, err := ParseHTML(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseHTML(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// call posts a form to the fake as the client library does.
func call(t *testing.T, s *Server, method string, form url.Values) (ok bool, result json.RawMessage, code int) {
	t.Helper()
	resp, err := http.PostForm(s.URL+"/bot"+Token+"/"+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env struct {
		OK        bool            `json:"ok"`
		Result    json.RawMessage `json:"result"`
		ErrorCode int             `json:"error_code"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%s: %v: %s", method, err, body)
	}
	return env.OK, env.Result, env.ErrorCode
}

func TestGetUpdatesConfirmsByOffset(t *testing.T) {
	s := New(t)
	u := User{ID: 1, FirstName: "U"}
	first := s.UserSays(u, "/one")
	s.UserSays(u, "/two")
	ids := func(raw json.RawMessage) []int {
		var ups []struct {
			UpdateID int `json:"update_id"`
		}
		json.Unmarshal(raw, &ups)
		var out []int
		for _, x := range ups {
			out = append(out, x.UpdateID)
		}
		return out
	}
	_, res, _ := call(t, s, "getUpdates", url.Values{"timeout": {"0"}})
	if got := ids(res); len(got) != 2 || got[0] != first {
		t.Fatalf("updates %v", got)
	}
	// Unconfirmed updates come again; an offset confirms them.
	_, res, _ = call(t, s, "getUpdates", url.Values{"offset": {"0"}})
	if got := ids(res); len(got) != 2 {
		t.Fatalf("before confirming: %v", got)
	}
	_, res, _ = call(t, s, "getUpdates", url.Values{"offset": {itoa(first + 1)}})
	if got := ids(res); len(got) != 1 || got[0] != first+1 {
		t.Fatalf("after confirming one: %v", got)
	}
	// The long poll returns when an update arrives.
	done := make(chan []int)
	go func() {
		_, res, _ := call(t, s, "getUpdates", url.Values{"offset": {itoa(first + 2)}, "timeout": {"60"}})
		done <- ids(res)
	}()
	s.WaitRequests(t, "getUpdates", 4, wait)
	third := s.UserSays(u, "/three")
	if got := <-done; len(got) != 1 || got[0] != third {
		t.Fatalf("long poll got %v", got)
	}
}

func TestFaultsAndEdits(t *testing.T) {
	s := New(t)
	s.Fail(Fault{Method: "sendMessage", ChatID: 5, Code: 429, Description: "Too Many Requests: retry after 3", RetryAfter: 3, Times: 1})
	send := url.Values{"chat_id": {"5"}, "text": {"<b>hi</b>"}, "parse_mode": {"HTML"}}
	if ok, _, code := call(t, s, "sendMessage", send); ok || code != 429 {
		t.Fatalf("first send: ok=%v code=%d", ok, code)
	}
	if ok, _, _ := call(t, s, "sendMessage", send); !ok {
		t.Fatal("fault did not wear off")
	}
	edit := url.Values{"chat_id": {"5"}, "message_id": {"1"}, "text": {"<b>hi</b>"}, "parse_mode": {"HTML"}}
	if ok, _, code := call(t, s, "editMessageText", edit); ok || code != 400 {
		t.Errorf("edit without change: ok=%v code=%d", ok, code)
	}
	edit.Set("text", "<b>hello</b>")
	if ok, _, _ := call(t, s, "editMessageText", edit); !ok {
		t.Error("edit refused")
	}
	if m := s.Sent(5); len(m) != 1 || m[0].Visible != "hello" || m[0].Edits != 1 {
		t.Errorf("sent %+v", m)
	}
	bad := url.Values{"chat_id": {"5"}, "text": {"<b>a & b</b>"}, "parse_mode": {"HTML"}}
	if ok, _, code := call(t, s, "sendMessage", bad); ok || code != 400 {
		t.Errorf("bad HTML accepted")
	}
	long := url.Values{"chat_id": {"5"}, "text": {strings.Repeat("x", MaxMessageLen+1)}}
	if ok, _, _ := call(t, s, "sendMessage", long); ok {
		t.Errorf("4,097 characters accepted")
	}
}

const wait = 20 * time.Second

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
