package discordtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
)

// Files: bodies with attachments come as multipart/form-data, the JSON in
// the part payload_json and each file in a part files[n] (Discord's
// "Uploading Files"); files users attach to a command option are served
// from the fake's own CDN path, /attachments/ID/NAME, like
// cdn.discordapp.com's.

// Attachment is a file in a request body.
type Attachment struct {
	Name string
	Data []byte
}

// readBody returns a request's JSON body and, for a multipart one, its
// files.
func readBody(r *http.Request) (json.RawMessage, []Attachment, error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		body, err := io.ReadAll(r.Body)
		return body, nil, err
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var payload json.RawMessage
	var files []Attachment
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, nil, err
		}
		switch name := p.FormName(); {
		case name == "payload_json":
			payload = data
		case strings.HasPrefix(name, "files[") || strings.HasPrefix(name, "file"):
			files = append(files, Attachment{Name: p.FileName(), Data: data})
		}
	}
	if payload == nil {
		return nil, nil, fmt.Errorf("multipart body without payload_json")
	}
	return payload, files, nil
}

// SlashWithFile dispatches a slash command whose attachment option opt
// carries a file the user picked, and returns the interaction ID.
func (s *Server) SlashWithFile(p Place, m Member, name, opt, filename string, data []byte, opts ...Option) string {
	s.t.Helper()
	s.mu.Lock()
	id := s.newID()
	s.cdn[id] = Attachment{Name: filename, Data: data}
	url := fmt.Sprintf("%s/attachments/%s/%s", s.URL, id, filename)
	s.mu.Unlock()
	var os []map[string]any
	for _, o := range opts {
		os = append(os, map[string]any{"name": o.Name, "type": 3, "value": o.Value})
	}
	os = append(os, map[string]any{"name": opt, "type": 11, "value": id})
	data2 := map[string]any{"id": "300000000000000001", "name": name, "type": 1, "options": os,
		"resolved": map[string]any{"attachments": map[string]any{id: map[string]any{
			"id": id, "filename": filename, "size": len(data), "url": url, "proxy_url": url,
			"content_type": "text/plain; charset=utf-8"}}}}
	return s.interact(p, m, 2, data2, nil)
}

// serveCDN serves the files users attached.
func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request) {
	id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/attachments/"), "/")
	s.mu.Lock()
	f, ok := s.cdn[id]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(f.Data)
}

// FollowupFiles returns the files the bot attached to its follow-up
// messages to an interaction.
func (s *Server) FollowupFiles(id string) []Attachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.inter[id]; in != nil {
		return append([]Attachment(nil), in.Files...)
	}
	return nil
}
