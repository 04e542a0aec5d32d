package feeds

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// Some servers send a feed compressed without saying so (a feed.xml.gz
// served as it is, a body compressed twice), and some URLs lead to an
// image or a PDF where a feed used to be. The first is read inflated, as
// a browser that saves and opens it would; the second is told as what it
// is, not read as text.

// maxInflated bounds what a compressed document inflates to, as the
// default MaxBody bounds what the transport inflates: what a parse keeps
// is bounded by what it reads. Past it the document ends with
// errInflatedTooLarge, and what was read is kept.
const maxInflated = 10 << 20

var errInflatedTooLarge = errors.New("the document inflates past 10 MiB")

// inflate puts a gzip reader over src for each gzip layer the document
// starts with (at most two).
func (t *textReader) inflate() {
	for range 2 {
		head, _ := t.src.Peek(3)
		if !bytes.Equal(head, []byte{0x1f, 0x8b, 8}) {
			return
		}
		zr, err := gzip.NewReader(t.src)
		if err != nil {
			return // not gzip after all: read as it is
		}
		t.compressed = append(t.compressed, t.src)
		t.src = getReader(&windowReaders, &inflatedReader{r: zr, left: maxInflated})
	}
}

// inflatedReader reads a gzip stream up to a bound.
type inflatedReader struct {
	r    io.Reader
	left int64
}

func (z *inflatedReader) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, errInflatedTooLarge
	}
	if int64(len(p)) > z.left {
		p = p[:z.left]
	}
	n, err := z.r.Read(p)
	z.left -= int64(n)
	return n, err
}

// binaryType returns the MIME type of a document that is no text, by its
// first bytes as browsers sniff them (an image, audio or video, a PDF, an
// archive, a font), or "" for text. Control bytes make a document binary
// only when they are many: a stray one costs a character, not the
// document.
func binaryType(head []byte) string {
	if len(head) == 0 {
		return ""
	}
	ct := http.DetectContentType(head)
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case strings.HasPrefix(mt, "image/") && mt != "image/svg+xml", strings.HasPrefix(mt, "audio/"),
		strings.HasPrefix(mt, "video/"), strings.HasPrefix(mt, "font/"):
		return mt
	case mt == "application/pdf", mt == "application/zip", mt == "application/x-gzip", mt == "application/x-rar-compressed",
		mt == "application/wasm", mt == "application/postscript", mt == "application/vnd.ms-fontobject", mt == "application/ogg":
		return mt
	case mt == "application/octet-stream":
		sample := head[:min(len(head), 512)]
		control := 0
		for _, c := range sample {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b {
				control++
			}
		}
		if control*16 >= len(sample) {
			return mt
		}
	}
	return ""
}

// binaryWhat names a binary document's kind for an error message.
func binaryWhat(mt string) string {
	switch kind, _, _ := strings.Cut(mt, "/"); {
	case kind == "image":
		return "an image (" + mt + ")"
	case kind == "audio":
		return "an audio file (" + mt + ")"
	case kind == "video":
		return "a video (" + mt + ")"
	case mt == "application/pdf":
		return "a PDF document"
	case mt == "application/octet-stream":
		return "binary data"
	}
	return "a binary file (" + mt + ")"
}
