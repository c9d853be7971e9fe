package forms

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The receipt's PDF writer. gopdf subsets and compresses the font anew
// for every document, which was most of a submission's PDF time. Here the
// Go font's subset for a fixed set of characters (Latin-1, Latin
// Extended-A, the usual punctuation and €) is made once per process — by
// gopdf itself, so the embedded font program is the one gopdf would
// embed — together with its widths and ToUnicode map; a receipt then only
// writes its text. A receipt with a character outside the set is drawn by
// gopdf as before (canvas below), so nothing the font can show is lost.

// canvas is what the layout draws on: one implementation writes the PDF
// directly with the fixed font, the other is gopdf.
type canvas interface {
	addPage()
	setFont(size float64) error
	setGray(g uint8)
	text(x, y float64, s string) error // y: the baseline from the top
}

// errNotFixed: a character outside the fixed font; gopdf draws the receipt.
var errNotFixed = errors.New("character outside the fixed receipt font")

// fixedRunes is the character set of the fixed font.
func fixedRunes() []rune {
	var rs []rune
	for r := rune(0x20); r <= 0x7e; r++ {
		rs = append(rs, r)
	}
	for r := rune(0xa0); r <= 0x17f; r++ {
		rs = append(rs, r)
	}
	return append(rs, []rune("‐‑‒–—―‘’‚‛“”„†‡•…‰′″‹›⁄€™−")...)
}

// fixedFont is the precomputed font part of every fast receipt.
type fixedFont struct {
	gid   map[rune]uint16
	objs  []byte // objects 3 to 7: Type0 font, CIDFont, descriptor, font program, ToUnicode
	offs  [5]int // their offsets in objs
	first int    // the object number of objs' first object (3)
}

var theFixedFont = sync.OnceValues(makeFixedFont)

func makeFixedFont() (*fixedFont, error) {
	f, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		return nil, err
	}
	var buf sfnt.Buffer
	upem := int(f.UnitsPerEm())
	ff := &fixedFont{gid: map[rune]uint16{}, first: 3}
	var sample []rune
	width := map[uint16]int{}
	for _, r := range fixedRunes() {
		gi, err := f.GlyphIndex(&buf, r)
		if err != nil || gi == 0 {
			continue // not in the font: such text goes to gopdf
		}
		a, err := f.GlyphAdvance(&buf, gi, fixed.I(upem), font.HintingNone)
		if err != nil {
			return nil, err
		}
		ff.gid[r] = uint16(gi)
		width[uint16(gi)] = (int(a) >> 6) * 1000 / upem // as gopdf computes /W
		sample = append(sample, r)
	}

	// gopdf's subset for exactly these characters, taken from a document
	// that shows all of them.
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: gopdf.Rect{W: pageW, H: pageH}})
	if err := pdf.AddTTFFontFromFontContainer(receiptFamily, fonts()); err != nil {
		return nil, err
	}
	pdf.AddPage()
	if err := pdf.SetFont(receiptFamily, "", 10); err != nil {
		return nil, err
	}
	pdf.SetXY(10, 10)
	if err := pdf.Text(string(sample)); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if _, err := pdf.WriteTo(&out); err != nil {
		return nil, err
	}
	program, length1, err := fontProgram(out.Bytes())
	if err != nil {
		return nil, err
	}
	desc := regexp.MustCompile(`(?s)<<\n/Type /FontDescriptor\n(.*?)>>`).FindSubmatch(out.Bytes())
	if desc == nil {
		return nil, errors.New("receipt font: no font descriptor in gopdf's output")
	}
	descFields := regexp.MustCompile(`/FontFile2 \d+ 0 R\n`).ReplaceAll(desc[1], nil)

	gids := make([]int, 0, len(width))
	for g := range width {
		gids = append(gids, int(g))
	}
	sort.Ints(gids)
	var w bytes.Buffer
	for _, g := range gids {
		fmt.Fprintf(&w, "%d[%d]", g, width[uint16(g)])
	}
	var cmap bytes.Buffer
	cmap.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	runes := make([]rune, 0, len(ff.gid))
	for r := range ff.gid {
		runes = append(runes, r)
	}
	sort.Slice(runes, func(i, j int) bool { return ff.gid[runes[i]] < ff.gid[runes[j]] })
	for i := 0; i < len(runes); i += 100 {
		part := runes[i:min(i+100, len(runes))]
		fmt.Fprintf(&cmap, "%d beginbfchar\n", len(part))
		for _, r := range part {
			fmt.Fprintf(&cmap, "<%04X> <%04X>\n", ff.gid[r], r) // all in the BMP
		}
		cmap.WriteString("endbfchar\n")
	}
	cmap.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
	var zcmap bytes.Buffer
	zw := zlib.NewWriter(&zcmap)
	zw.Write(cmap.Bytes())
	zw.Close()

	var o bytes.Buffer
	obj := func(i int, body string) {
		ff.offs[i] = o.Len()
		fmt.Fprintf(&o, "%d 0 obj\n%s", ff.first+i, body)
	}
	obj(0, "<< /Type /Font /Subtype /Type0 /BaseFont /go /Encoding /Identity-H /DescendantFonts [4 0 R] /ToUnicode 7 0 R >>\nendobj\n")
	obj(1, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /go /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 5 0 R /W ["+w.String()+"] >>\nendobj\n")
	obj(2, "<<\n/Type /FontDescriptor\n"+string(descFields)+"/FontFile2 6 0 R\n>>\nendobj\n")
	obj(3, fmt.Sprintf("<< /Length %d /Filter /FlateDecode /Length1 %d >>\nstream\n", len(program), length1))
	o.Write(program)
	o.WriteString("\nendstream\nendobj\n")
	obj(4, fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n", zcmap.Len()))
	o.Write(zcmap.Bytes())
	o.WriteString("\nendstream\nendobj\n")
	ff.objs = o.Bytes()
	return ff, nil
}

// fontProgram finds the compressed font program in gopdf's output: the
// stream whose dictionary has /Length1.
func fontProgram(pdf []byte) ([]byte, int, error) {
	m := regexp.MustCompile(`<</Length (\d+)\n/Filter /FlateDecode\n/Length1 (\d+)\n>>\nstream\n`).FindSubmatchIndex(pdf)
	if m == nil {
		return nil, 0, errors.New("receipt font: no font program in gopdf's output")
	}
	n, _ := strconv.Atoi(string(pdf[m[2]:m[3]]))
	n1, _ := strconv.Atoi(string(pdf[m[4]:m[5]]))
	if m[1]+n > len(pdf) {
		return nil, 0, errors.New("receipt font: truncated font program")
	}
	return pdf[m[1] : m[1]+n], n1, nil
}

// fastCanvas writes the pages' content streams with the fixed font.
type fastCanvas struct {
	f     *fixedFont
	pages [][]byte
	size  []byte // the Tf operand in use
	color []byte // the rg operator in use
}

func (c *fastCanvas) addPage() { c.pages = append(c.pages, make([]byte, 0, 8<<10)) }

func (c *fastCanvas) setFont(size float64) error {
	c.size = strconv.AppendFloat(c.size[:0], size, 'f', -1, 64)
	return nil
}

func (c *fastCanvas) setGray(g uint8) {
	v := float64(g) / 255
	b := c.color[:0]
	for i := 0; i < 3; i++ {
		b = strconv.AppendFloat(b, v, 'f', 3, 64)
		b = append(b, ' ')
	}
	c.color = append(b, "rg\n"...)
}

const hexDigits = "0123456789ABCDEF"

func (c *fastCanvas) text(x, y float64, s string) error {
	p := c.pages[len(c.pages)-1]
	p = append(p, "BT\n"...)
	p = strconv.AppendFloat(p, x, 'f', 2, 64)
	p = append(p, ' ')
	p = strconv.AppendFloat(p, pageH-y, 'f', 2, 64)
	p = append(p, " TD\n/F1 "...)
	p = append(p, c.size...)
	p = append(p, " Tf\n"...)
	p = append(p, c.color...)
	p = append(p, "[<"...)
	for _, r := range s {
		g, ok := c.f.gid[r]
		if !ok {
			return errNotFixed
		}
		p = append(p, hexDigits[g>>12], hexDigits[g>>8&15], hexDigits[g>>4&15], hexDigits[g&15])
	}
	p = append(p, ">] TJ\nET\n"...)
	c.pages[len(c.pages)-1] = p
	return nil
}

// pdfInfo is the document information dictionary.
type pdfInfo struct {
	Title, Author, Creator, Producer string
	CreationDate                     time.Time
}

// finish writes the whole file: catalog, pages, the fixed font, the
// information dictionary, the pages and their contents, the xref table.
func (c *fastCanvas) finish(info pdfInfo) []byte {
	n := len(c.pages)
	size := 0
	for _, p := range c.pages {
		size += len(p) + 200
	}
	out := make([]byte, 0, size+len(c.f.objs)+1024)
	offs := make([]int, 0, 9+2*n)
	offs = append(offs, 0) // object 0
	out = append(out, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"...)
	offs = append(offs, len(out))
	out = append(out, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"...)
	offs = append(offs, len(out))
	out = append(out, "2 0 obj\n<< /Type /Pages /MediaBox [0 0 595.28 841.89] /Count "...)
	out = strconv.AppendInt(out, int64(n), 10)
	out = append(out, " /Kids ["...)
	for i := range c.pages {
		out = strconv.AppendInt(out, int64(9+2*i), 10)
		out = append(out, " 0 R "...)
	}
	out = append(out, "] >>\nendobj\n"...)
	base := len(out)
	for _, o := range c.f.offs {
		offs = append(offs, base+o)
	}
	out = append(out, c.f.objs...)
	offs = append(offs, len(out))
	out = append(out, "8 0 obj\n<<"...)
	for _, kv := range [][2]string{{"Title", info.Title}, {"Author", info.Author}, {"Creator", info.Creator}, {"Producer", info.Producer}} {
		if kv[1] != "" {
			out = append(out, " /"+kv[0]+" "...)
			out = appendTextString(out, kv[1])
		}
	}
	if !info.CreationDate.IsZero() {
		out = append(out, " /CreationDate (D:"...)
		out = info.CreationDate.AppendFormat(out, "20060102150405-07'00'")
		out = append(out, ')')
	}
	out = append(out, " >>\nendobj\n"...)
	for i, p := range c.pages {
		offs = append(offs, len(out))
		out = strconv.AppendInt(out, int64(9+2*i), 10)
		out = append(out, " 0 obj\n<< /Type /Page /Parent 2 0 R /Resources << /ProcSet [/PDF /Text] /Font << /F1 3 0 R >> >> /Contents "...)
		out = strconv.AppendInt(out, int64(10+2*i), 10)
		out = append(out, " 0 R >>\nendobj\n"...)
		offs = append(offs, len(out))
		out = strconv.AppendInt(out, int64(10+2*i), 10)
		out = append(out, " 0 obj\n<< /Length "...)
		out = strconv.AppendInt(out, int64(len(p)), 10)
		out = append(out, " >>\nstream\n"...)
		out = append(out, p...)
		out = append(out, "\nendstream\nendobj\n"...)
	}
	xref := len(out)
	out = append(out, "xref\n0 "...)
	out = strconv.AppendInt(out, int64(len(offs)), 10)
	out = append(out, "\n0000000000 65535 f \n"...)
	for _, o := range offs[1:] {
		out = appendPadded(out, o)
		out = append(out, " 00000 n \n"...)
	}
	out = append(out, "trailer\n<< /Size "...)
	out = strconv.AppendInt(out, int64(len(offs)), 10)
	out = append(out, " /Root 1 0 R /Info 8 0 R >>\nstartxref\n"...)
	out = strconv.AppendInt(out, int64(xref), 10)
	return append(out, "\n%%EOF\n"...)
}

func appendPadded(b []byte, n int) []byte {
	var d [10]byte
	for i := 9; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:]...)
}

// appendTextString writes s as a PDF text string: UTF-16BE with its byte
// order mark, in hex.
func appendTextString(b []byte, s string) []byte {
	b = append(b, "<FEFF"...)
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, hexDigits[u>>12], hexDigits[u>>8&15], hexDigits[u>>4&15], hexDigits[u&15])
	}
	return append(b, '>')
}

// gopdfCanvas draws with gopdf (any character the font has).
type gopdfCanvas struct{ pdf *gopdf.GoPdf }

func (c gopdfCanvas) addPage()                   { c.pdf.AddPage() }
func (c gopdfCanvas) setFont(size float64) error { return c.pdf.SetFont(receiptFamily, "", size) }
func (c gopdfCanvas) setGray(g uint8)            { c.pdf.SetTextColor(g, g, g) }
func (c gopdfCanvas) text(x, y float64, s string) error {
	c.pdf.SetXY(x, y)
	return c.pdf.Text(s)
}
