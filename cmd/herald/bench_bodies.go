package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sync"
)

// benchBodies holds the request bodies of one phase, written before the
// phase starts, so that the clients, which run in the same process as the
// service under test, only read them: generating an article's text and
// encoding it cost about a tenth of the CPU of the service's work on it,
// and would be counted as Herald's. The bodies wait in a file (the page
// cache keeps them, outside the process's RSS, which the bench measures)
// and a client reads each with one pread.
type benchBodies struct {
	path string
	f    *os.File
	off  []int64 // body i is [off[i], off[i+1])
}

// fill writes the bodies of phase p's articles, generated on every core,
// in place of the last phase's.
func (bb *benchBodies) fill(text *benchText, p benchPhase) error {
	if bb.f != nil {
		bb.f.Close()
	}
	f, err := os.Create(bb.path)
	if err != nil {
		return err
	}
	bb.f = f
	bb.off = append(bb.off[:0], 0)
	// Chunks of articles, generated side by side and written in order.
	const chunk = 512
	var mu sync.Mutex
	done := map[int][][]byte{}
	next := 0
	var pos int64
	write := func() error { // mu is held
		for {
			bodies, ok := done[next]
			if !ok {
				return nil
			}
			delete(done, next)
			next++
			for _, body := range bodies {
				if _, err := f.WriteAt(body, pos); err != nil {
					return err
				}
				pos += int64(len(body))
				bb.off = append(bb.off, pos)
			}
		}
	}
	chunks := (p.articles + chunk - 1) / chunk
	return parallel(chunks, runtime.GOMAXPROCS(0), func(c int) error {
		var bodies [][]byte
		for i := c * chunk; i < min((c+1)*chunk, p.articles); i++ {
			k, probe := p.kindOf(i)
			body, err := json.Marshal(text.article(p.first+i, k, probe))
			if err != nil {
				return err
			}
			bodies = append(bodies, body)
		}
		mu.Lock()
		defer mu.Unlock()
		done[c] = bodies
		return write()
	})
}

// body returns the body of the phase's article i.
func (bb *benchBodies) body(i int) ([]byte, error) {
	if i+1 >= len(bb.off) {
		return nil, fmt.Errorf("article %d of the phase was not generated", i)
	}
	buf := make([]byte, bb.off[i+1]-bb.off[i])
	_, err := bb.f.ReadAt(buf, bb.off[i])
	return buf, err
}

// close removes the file.
func (bb *benchBodies) close() {
	if bb.f != nil {
		bb.f.Close()
		os.Remove(bb.path)
	}
}
