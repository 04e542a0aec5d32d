package feeds

import (
	"unicode"

	"golang.org/x/text/encoding"
)

// Russian sites have declared one Cyrillic encoding and sent another for
// as long as there were two: a KOI8-R feed served as windows-1251 by a
// server's default, or the other way round. Read in the wrong one, the
// text is still Cyrillic, but its case is turned around: KOI8-R's
// lower-case letters are windows-1251's capitals ("оСРХМ БЯРПЕРХКЯЪ" for
// "Путин встретился"). No Russian or Ukrainian text is mostly capitals, so
// a declaration that makes it so gives way to the detector, when the
// detector's encoding does not.

// cyrillicCharsets are the single-byte Cyrillic encodings, by their WHATWG
// names.
var cyrillicCharsets = map[string]bool{
	"koi8-r": true, "koi8-u": true, "windows-1251": true, "iso-8859-5": true, "ibm866": true, "x-mac-cyrillic": true,
}

// otherCyrillic returns the encoding window is in when the Cyrillic one
// it was declared in reads it as mostly capitals and the detector's
// reads it as text.
func otherCyrillic(declared encoding.Encoding, name string, window []byte) (encoding.Encoding, string, bool) {
	if !cyrillicCharsets[name] {
		return nil, "", false
	}
	if share, letters := capitalShare(declared, window); letters < 20 || share < 0.5 {
		return nil, "", false
	}
	enc, detected, ok := detectCharset(window)
	if !ok || !cyrillicCharsets[detected] || detected == name {
		return nil, "", false
	}
	if share, _ := capitalShare(enc, window); share > 0.3 {
		return nil, "", false
	}
	return enc, detected, true
}

// capitalShare decodes b and returns the share of capitals among its
// Cyrillic letters, and how many letters there are.
func capitalShare(enc encoding.Encoding, b []byte) (float64, int) {
	text, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return 0, 0
	}
	letters, capitals := 0, 0
	for _, r := range string(text) {
		if r < 0x400 || r > 0x4FF || !unicode.IsLetter(r) {
			continue
		}
		letters++
		if unicode.IsUpper(r) {
			capitals++
		}
	}
	if letters == 0 {
		return 0, 0
	}
	return float64(capitals) / float64(letters), letters
}
