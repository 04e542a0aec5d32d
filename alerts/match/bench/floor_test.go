package bench

import (
	"strings"
	"testing"

	"github.com/herald-news/herald/alerts/match"
)

// BenchmarkFloor is the floor row of herald bench: Herald's tokenizer,
// folding and stemming over the workload's articles, with no index.
func BenchmarkFloor(b *testing.B) {
	docs := NewWorkload(1).Articles(300)
	b.SetBytes(avgBytes(docs))
	b.ReportAllocs()
	var f match.Floor
	i := 0
	cpuLoop(b, func() {
		f.Scan(&docs[i%len(docs)])
		i++
	})
}

// BenchmarkNaive is the naive row: strings.Fields over strings.ToLower.
func BenchmarkNaive(b *testing.B) {
	docs := NewWorkload(1).Articles(300)
	b.SetBytes(avgBytes(docs))
	b.ReportAllocs()
	i, n := 0, 0
	cpuLoop(b, func() {
		a := &docs[i%len(docs)]
		n += len(strings.Fields(strings.ToLower(a.Title))) + len(strings.Fields(strings.ToLower(a.Body)))
		i++
	})
}
