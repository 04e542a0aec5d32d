package match

import (
	"math/rand/v2"
	"testing"
)

// TestTextPackRoundTrip: the six-bit code of any text decodes to it, in
// the number of words packedWords says.
func TestTextPackRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	texts := []string{"a", "Zelensky OR Зеленский", `"cease fire" -title:truce`, "source:Nbripy", "x\x00\xff", "G7 2024 (U.S.)"}
	for i := 0; i < 2000; i++ {
		b := make([]byte, 1+r.IntN(60))
		for j := range b {
			switch r.IntN(3) {
			case 0:
				b[j] = byte(r.IntN(256))
			case 1:
				b[j] = textAlphabet[r.IntN(len(textAlphabet))]
			default:
				b[j] = byte('A' + r.IntN(26))
			}
		}
		texts = append(texts, string(b))
	}
	for _, s := range texts {
		nw := (packedBits(s) + 31) / 32
		w := make([]uint32, nw+2)
		packText(w, s)
		if w[nw] != 0 {
			t.Fatalf("%q: code overruns %d words", s, nw)
		}
		b := make([]byte, len(s))
		if used := unpackText(w, len(s), b); used != nw || string(b) != s {
			t.Fatalf("%q: decoded %q in %d words, want %d", s, b, used, nw)
		}
	}
}
