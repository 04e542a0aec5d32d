package telegramtest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Files: what the bot uploads (sendDocument, multipart/form-data as the
// Bot API takes uploads) and what users send it (a document in a message,
// which the bot fetches with getFile and then GET {base}/file/bot<token>/<file_path>).

// maxDownload is the largest file getFile lets a bot download (20 MB).
const maxDownload = 20 << 20

// Document is a file sent in a message.
type Document struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name"`
	Size     int    `json:"file_size"`
	Data     []byte `json:"-"`
}

// parseUpload reads a multipart request into r.PostForm and returns its
// files by field name.
func parseUpload(r *http.Request) (map[string]Document, error) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return nil, nil
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		return nil, err
	}
	if r.PostForm == nil {
		r.PostForm = url.Values{}
	}
	for k, vs := range r.MultipartForm.Value {
		r.PostForm[k] = vs
	}
	files := map[string]Document{}
	for field, fhs := range r.MultipartForm.File {
		f, err := fhs[0].Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		files[field] = Document{FileName: fhs[0].Filename, Size: len(data), Data: data}
	}
	return files, nil
}

// sendDocument posts a file the bot uploaded, with an optional caption.
func (s *Server) sendDocument(p url.Values, files map[string]Document) (any, *apiError) {
	chatID, e := parseChatID(p)
	if e != nil {
		return nil, e
	}
	doc, ok := files["document"]
	if !ok {
		if p.Get("document") != "" {
			return nil, errf(400, "Bad Request: this fake takes documents as uploads only")
		}
		return nil, errf(400, "Bad Request: there is no document in the request")
	}
	if doc.Size == 0 {
		return nil, errf(400, "Bad Request: file must be non-empty")
	}
	caption := p.Get("caption")
	if UTF16Len(caption) > MaxCaptionLen {
		return nil, errf(400, "Bad Request: message caption is too long")
	}
	thread, _ := strconv.Atoi(p.Get("message_thread_id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextFile++
	doc.FileID = fmt.Sprintf("doc-%d", s.nextFile)
	m := &SentMessage{MessageID: s.userMessageLocked(Chat{ID: chatID}), ChatID: chatID, Visible: caption,
		Text: caption, ThreadID: thread, At: s.Now(), Document: &doc}
	s.sent[chatID] = append(s.sent[chatID], m)
	s.notifyLocked()
	out := s.messageJSON(m)
	out["document"] = doc
	delete(out, "text")
	out["caption"] = caption
	return out, nil
}

// UserSendsDocument queues a message from a user with a file attached
// and its caption (say "/import"), in chat, and returns the update ID.
func (s *Server) UserSendsDocument(chat Chat, from User, name string, data []byte, caption string) int {
	s.mu.Lock()
	s.nextFile++
	doc := Document{FileID: fmt.Sprintf("user-doc-%d", s.nextFile), FileName: name, Size: len(data), Data: data}
	s.files[doc.FileID] = doc
	s.mu.Unlock()
	m := s.message(chat, &from, nil, "")
	delete(m, "text")
	delete(m, "entities")
	m["document"] = doc
	if caption != "" {
		m["caption"] = caption
		if ents := commandEntities(caption); ents != nil {
			m["caption_entities"] = ents
		}
	}
	return s.Push("message", m)
}

// getFile answers with the path to download a file the bot was sent.
func (s *Server) getFile(p url.Values) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc, ok := s.files[p.Get("file_id")]
	if !ok {
		return nil, errf(400, "Bad Request: invalid file_id")
	}
	if doc.Size > maxDownload {
		return nil, errf(400, "Bad Request: file is too big")
	}
	return map[string]any{"file_id": doc.FileID, "file_unique_id": "u" + doc.FileID, "file_size": doc.Size,
		"file_path": "documents/" + doc.FileID + "_" + url.PathEscape(doc.FileName)}, nil
}

// serveFile serves GET /file/bot<token>/<file_path>.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/file/bot")
	token, path, ok := strings.Cut(rest, "/")
	if !ok || token != Token {
		http.Error(w, `{"ok":false,"error_code":404,"description":"Not Found"}`, http.StatusNotFound)
		return
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(path, "documents/"), "_")
	s.mu.Lock()
	doc, found := s.files[id]
	s.downloads++
	s.mu.Unlock()
	if !found {
		http.Error(w, `{"ok":false,"error_code":404,"description":"Not Found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(doc.Data)
}

// Downloads counts file downloads the bot made.
func (s *Server) Downloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.downloads
}
