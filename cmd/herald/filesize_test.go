package main

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxLines is the most a hand-written non-test Go file may hold: past it,
// a file has more than one job and should be split by job.
const maxLines = 500

// TestNoFileHasTooManyJobs fails on a hand-written non-test Go file of
// more than maxLines lines, naming it, so that a file that grows past one
// job is split when it does, not in a later clean-up.
func TestNoFileHasTooManyJobs(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		n, generated := 0, false
		for sc.Scan() {
			n++
			if n < 20 && strings.HasPrefix(sc.Text(), "// Code generated") {
				generated = true
			}
		}
		if err := sc.Err(); err != nil {
			return err
		}
		if n > maxLines && !generated {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s has %d lines, over %d: split it by job", rel, n, maxLines)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
