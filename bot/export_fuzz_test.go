package bot

import (
	"testing"
)

// FuzzExportLines: any file is read as an export or refused, never a
// panic, and the lines read are the non-comment lines after the header.
func FuzzExportLines(f *testing.F) {
	f.Add([]byte("# c\nherald export 1\ntimezone UTC\nsubscribe a\n"))
	f.Add([]byte("\xef\xbb\xbfherald export 1\r\nsubscribe x\r\n"))
	f.Add([]byte("subscribe a\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := exportLines(data)
		if err != nil {
			return
		}
		prev := 0
		for _, l := range lines {
			if l.text == "" || l.text[0] == '#' || l.n <= prev {
				t.Fatalf("line %d %q read from %q", l.n, l.text, data)
			}
			prev = l.n
		}
	})
}
