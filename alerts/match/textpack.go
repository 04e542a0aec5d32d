package match

// Query texts are kept in the arena six bits a character when that is
// shorter than a byte each: the characters queries are mostly made of
// take one symbol, an upper-case letter two, any other byte a symbol and
// eight bits. Bits fill each word from its low end.
const (
	textAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789 \"-:().,'_/"
	symUpper     = 62 // the next symbol is a letter, in upper case
	symByte      = 63 // the next 8 bits are the byte
)

var textSym = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(textAlphabet); i++ {
		t[textAlphabet[i]] = int8(i)
	}
	return t
}()

// packedBits is the length of the six-bit code of s.
func packedBits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case textSym[b] >= 0:
			n += 6
		case b >= 'A' && b <= 'Z':
			n += 12
		default:
			n += 14
		}
	}
	return n
}

// packedWords returns how many words the six-bit code of s takes, and
// whether that is fewer than the (len(s)+3)/4 of bytes.
func packedWords(s string) (int, bool) {
	w := (packedBits(s) + 31) / 32
	return w, w < (len(s)+3)/4
}

// packText writes the six-bit code of s into w, which must be zero and
// long enough.
func packText(w []uint32, s string) {
	var acc uint64
	var n uint
	put := func(v uint64, bits uint) {
		acc |= v << n
		n += bits
		if n >= 32 {
			w[0] = uint32(acc)
			w = w[1:]
			acc >>= 32
			n -= 32
		}
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case textSym[b] >= 0:
			put(uint64(textSym[b]), 6)
		case b >= 'A' && b <= 'Z':
			put(symUpper, 6)
			put(uint64(textSym[b|0x20]), 6)
		default:
			put(symByte, 6)
			put(uint64(b), 8)
		}
	}
	if n > 0 {
		w[0] = uint32(acc)
	}
}

// unpackText decodes n bytes of six-bit code from w into b (nil: only
// count) and returns the number of words the code took.
func unpackText(w []uint32, n int, b []byte) int {
	var acc uint64
	var have uint
	used := 0
	get := func(bits uint) uint64 {
		if have < bits {
			acc |= uint64(w[used]) << have
			used++
			have += 32
		}
		v := acc & (1<<bits - 1)
		acc >>= bits
		have -= bits
		return v
	}
	for i := 0; i < n; i++ {
		var c byte
		switch v := get(6); v {
		case symUpper:
			c = textAlphabet[get(6)] &^ 0x20
		case symByte:
			c = byte(get(8))
		default:
			c = textAlphabet[v]
		}
		if b != nil {
			b[i] = c
		}
	}
	return used
}
