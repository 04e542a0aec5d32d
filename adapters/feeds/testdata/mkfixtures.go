//go:build ignore

// mkfixtures writes the feed fixtures that are not UTF-8 (or are broken on
// purpose below the character level), from UTF-8 text here, so that each
// can be read and changed. Run from the package directory:
//
//	go run testdata/mkfixtures.go
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// rss is a small RSS document; decl is its XML declaration ("" for none).
func rss(decl, title, itemTitle, body string) string {
	var b strings.Builder
	if decl != "" {
		b.WriteString(decl + "\n")
	}
	fmt.Fprintf(&b, "<rss version=\"2.0\"><channel><title>%s</title><link>https://enc.example/</link>\n", title)
	fmt.Fprintf(&b, "<item><title>%s</title><link>https://enc.example/1</link><guid>enc-1</guid><description>%s</description></item>\n", itemTitle, body)
	b.WriteString("</channel></rss>\n")
	return b.String()
}

const (
	ruTitle = "Новости дня"
	ruItem  = "Переговоры о прекращении огня возобновились в Стамбуле"
	ruBody  = "Делегации встретились во вторник и договорились продолжить переговоры на следующей неделе. Ёлка зелёная, пятая."
	ukTitle = "Новини дня"
	ukItem  = "Переговори про припинення вогню відновилися в Стамбулі"
	ukBody  = "Делегації зустрілися у вівторок і домовилися продовжити переговори наступного тижня. Ґанок, їжак, єдність."
	frItem  = "Les négociations reprennent à Istanbul"
	frBody  = "Les délégations se sont réunies mardi — « c’est très important », a déclaré l’émissaire. Coût : 5 €."
	jaItem  = "停戦交渉がイスタンブールで再開された"
	jaBody  = "代表団は火曜日に会談し、交渉を続けることで合意した。来週も協議を続ける予定だ。"
	zhItem  = "停火谈判在伊斯坦布尔恢复"
	zhBody  = "代表团周二举行会晤，同意继续谈判。双方表示下周将继续磋商。"
	twItem  = "停火談判在伊斯坦堡恢復"
	twBody  = "代表團週二舉行會晤，同意繼續談判。雙方表示下週將繼續磋商。"
	koItem  = "휴전 협상이 이스탄불에서 재개되었다"
	koBody  = "대표단은 화요일에 만나 협상을 계속하기로 합의했다. 양측은 다음 주에도 협의를 이어갈 예정이다."
)

func main() {
	out := filepath.Join("testdata", "feeds", "enc")
	write := func(name string, e encoding.Encoding, doc string) {
		data := []byte(doc)
		if e != nil {
			var err error
			if data, err = e.NewEncoder().Bytes(data); err != nil {
				panic(fmt.Sprintf("%s: %v", name, err))
			}
		}
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			panic(err)
		}
	}
	decl := func(enc string) string { return `<?xml version="1.0" encoding="` + enc + `"?>` }
	ru := rss("", ruTitle, ruItem, ruBody)
	uk := rss("", ukTitle, ukItem, ukBody)

	// Byte order marks and wide encodings.
	write("utf8-bom.xml", unicode.UTF8BOM, rss(decl("utf-8"), ruTitle, ruItem, ruBody))
	write("utf16le-bom.xml", unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), rss(decl("utf-16"), ruTitle, ruItem, ruBody))
	write("utf16be-bom.xml", unicode.UTF16(unicode.BigEndian, unicode.UseBOM), rss(decl("utf-16"), ruTitle, ruItem, ruBody))
	write("utf16le-nobom.xml", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), rss(decl("utf-16"), ruTitle, ruItem, ruBody))
	write("utf32le-bom.xml", utf32.UTF32(utf32.LittleEndian, utf32.UseBOM), rss(decl("utf-32"), ruTitle, ruItem, ruBody))
	write("utf32be-bom.xml", utf32.UTF32(utf32.BigEndian, utf32.UseBOM), rss(decl("utf-32"), ruTitle, ruItem, ruBody))

	// Declared in the XML declaration.
	write("decl-windows-1251.xml", charmap.Windows1251, rss(decl("windows-1251"), ruTitle, ruItem, ruBody))
	write("decl-koi8-r.xml", charmap.KOI8R, rss(decl("KOI8-R"), ruTitle, ruItem, ruBody))
	write("decl-iso-8859-5.xml", charmap.ISO8859_5, rss(decl("ISO-8859-5"), ruTitle, ruItem, ruBody))
	write("decl-shift_jis.xml", japanese.ShiftJIS, rss(decl("Shift_JIS"), "ニュース", jaItem, jaBody))
	// Declared wrongly: Windows-1251 bytes under a Latin-1 declaration,
	// UTF-8 under a Windows-1251 one.
	write("decl-latin1-is-1251.xml", charmap.Windows1251, rss(decl("ISO-8859-1"), ruTitle, ruItem, ruBody))
	write("decl-1251-is-utf8.xml", nil, rss(decl("windows-1251"), ruTitle, ruItem, ruBody))
	// Windows-1251 under a KOI8-R declaration: read as declared, its case
	// is turned around.
	write("decl-koi8-r-is-1251.xml", charmap.Windows1251, rss(decl("KOI8-R"), ruTitle, ruItem, ruBody))

	// Undeclared: the detector decides. (Also read with an HTTP charset.)
	write("undeclared-windows-1251.xml", charmap.Windows1251, ru)
	write("undeclared-windows-1251-uk.xml", charmap.Windows1251, uk)
	write("undeclared-koi8-r.xml", charmap.KOI8R, ru)
	write("undeclared-koi8-u-uk.xml", charmap.KOI8U, uk)
	write("undeclared-iso-8859-5.xml", charmap.ISO8859_5, ru)
	write("undeclared-windows-1252.xml", charmap.Windows1252, rss("", "Le Monde", frItem, frBody))
	write("undeclared-shift_jis.xml", japanese.ShiftJIS, rss("", "ニュース", jaItem, jaBody))
	write("undeclared-euc-jp.xml", japanese.EUCJP, rss("", "ニュース", jaItem, jaBody))
	write("undeclared-gbk.xml", simplifiedchinese.GBK, rss("", "新闻", zhItem, zhBody))
	write("undeclared-big5.xml", traditionalchinese.Big5, rss("", "新聞", twItem, twBody))
	write("undeclared-euc-kr.xml", korean.EUCKR, rss("", "뉴스", koItem, koBody))

	// Damage below the character level.
	stray := []byte(rss("", ruTitle, ruItem, ruBody))
	stray = bytes.Replace(stray, []byte("Стамбуле"), []byte("Стамбуле\xff"), 1)   // a stray byte
	stray = bytes.Replace(stray, []byte("вторник"), []byte("вто\xd1рник"), 1)     // a cut sequence
	stray = bytes.Replace(stray, []byte("Новости"), []byte("Новости caf\xe9"), 1) // a Latin-1 é
	os.WriteFile(filepath.Join(out, "utf8-stray-bytes.xml"), stray, 0o644)
	controls := rss("", "Controls\x01 inside", "A title\x0b with a vertical tab", "Text\x00 with a NUL and a\x1b escape.")
	write("control-chars.xml", nil, controls)
	// Mojibake: UTF-8 read as Windows-1252 (as browsers read it: the
	// bytes it leaves undefined become C1 controls) and encoded again.
	mangle := func(s string) string {
		var b strings.Builder
		for _, c := range []byte(s) {
			if r := charmap.Windows1252.DecodeByte(c); r != '\uFFFD' {
				b.WriteRune(r)
			} else {
				b.WriteRune(rune(c))
			}
		}
		return b.String()
	}
	write("double-encoded.xml", nil, rss(decl("utf-8"), mangle("Новости"), mangle("Talks resume… in “Istanbul”"), mangle("Переговоры возобновились — café")))
	write("c1-controls.xml", nil, rss(decl("utf-8"), "Quotes", "It\u0092s a \u0093quote\u0094 \u0096 and &#150; dash", "Cost \u0080 5 and &#133;"))

	// Text for the push handler and herald read.
	write("text-windows-1251.txt", charmap.Windows1251, ruItem+"\n\n"+ruBody+"\n")
	write("page-meta-windows-1251.html", charmap.Windows1251, `<!DOCTYPE html><html lang="ru"><head><meta charset="windows-1251"><title>`+ruItem+`</title>
<meta property="og:image" content="/img/talks.jpg"></head><body><article><h1>`+ruItem+`</h1><p>`+ruBody+`</p><p>`+ruBody+`</p></article></body></html>`)
}
