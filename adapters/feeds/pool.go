package feeds

import (
	"bufio"
	"io"
	"sync"
)

// Every parse reads through a few large buffers (the sniffing window, the
// decoded text, the XML decoder's input). Polls that read thousands of
// small feeds reuse them instead of making the garbage collector take
// back a hundred KiB per feed.
var (
	windowReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, sniffWindow) }}
	textReaders   = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 32<<10) }}
)

// getReader returns a pooled reader of r with a buffer of the pool's size.
func getReader(pool *sync.Pool, r io.Reader) *bufio.Reader {
	b := pool.Get().(*bufio.Reader)
	b.Reset(r)
	return b
}

// putReader gives a reader back to its pool; it must not be used after.
func putReader(pool *sync.Pool, b *bufio.Reader) {
	b.Reset(nil)
	pool.Put(b)
}
