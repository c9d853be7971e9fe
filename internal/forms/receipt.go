package forms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The receipt (Eingangsbestätigung) is made at submission, before the
// transaction, and stored as two blobs: a PDF for people and the whole
// submission as JSON for machines (and for the e-file). Both carry the
// reference, the instant of submission, the form version with the
// SHA-256 of its definition, every answer and every file's SHA-256.

// ReceiptData is what a receipt shows.
type ReceiptData struct {
	Tenant      string
	Ref         string
	ServiceID   string
	FormRef     string
	FormVersion int
	FormSHA256  string
	Title       string
	Applicant   string // name or e-mail address
	SubmittedAt time.Time
	Lang        string
	Lines       []Line
	Files       []File
	Fee         string
}

// ReceiptDocument is the submission as JSON (receipt_json).
type ReceiptDocument struct {
	Format      string    `json:"format"` // "rathaus-application"
	Reference   string    `json:"reference"`
	Tenant      string    `json:"tenant"`
	Service     string    `json:"service"`
	Form        string    `json:"form"`
	FormVersion int       `json:"form_version"`
	FormSHA256  string    `json:"form_sha256"`
	Title       string    `json:"title"`
	Applicant   Applicant `json:"applicant"`
	SubmittedAt time.Time `json:"submitted_at"`
	Lang        string    `json:"lang"`
	Answers     Answers   `json:"answers"`
	Files       []File    `json:"files"`
}

// Applicant names who applied: an account or a confirmed address.
type Applicant struct {
	Account string `json:"account,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Email   string `json:"email,omitempty"`
}

// ReceiptJSON encodes the submission document.
func ReceiptJSON(doc ReceiptDocument) ([]byte, error) {
	doc.Format = "rathaus-application"
	if doc.Files == nil {
		doc.Files = []File{}
	}
	return json.MarshalIndent(doc, "", " ")
}

// fonts holds the parsed TTF once per process; each document takes a copy
// (gopdf's font container), so making a receipt does not parse the font.
var fonts = sync.OnceValue(func() *gopdf.FontContainer {
	fc := &gopdf.FontContainer{}
	if err := fc.AddTTFFontData("go", goregular.TTF); err != nil {
		panic("forms: receipt font: " + err.Error()) // embedded, checked by tests
	}
	return fc
})

// metrics are the font's advance widths (for a size of 1 point), read once
// per rune from the same TTF the PDF embeds, so that lines wrap without
// asking gopdf to measure every prefix of every line.
var metrics = struct {
	once  sync.Once
	font  *sfnt.Font
	mu    sync.Mutex
	buf   sfnt.Buffer
	width map[rune]float64
}{width: map[rune]float64{}}

func advance(r rune) float64 {
	metrics.once.Do(func() {
		f, err := sfnt.Parse(goregular.TTF)
		if err != nil {
			panic("forms: receipt font: " + err.Error())
		}
		metrics.font = f
	})
	metrics.mu.Lock()
	defer metrics.mu.Unlock()
	if w, ok := metrics.width[r]; ok {
		return w
	}
	w := 0.0
	if gi, err := metrics.font.GlyphIndex(&metrics.buf, r); err == nil {
		if a, err := metrics.font.GlyphAdvance(&metrics.buf, gi, fixed.I(1000), font.HintingNone); err == nil {
			w = float64(a) / 64 / 1000
		}
	}
	metrics.width[r] = w
	return w
}

func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		w += advance(r)
	}
	return w
}

const (
	pageW, pageH  = 595.28, 841.89 // A4 in points
	marginX       = 56.0
	marginTop     = 56.0
	marginBottom  = 56.0
	contentWidth  = pageW - 2*marginX
	labelWidth    = 190.0
	lineHeight    = 13.0
	bodySize      = 10.0
	smallSize     = 8.0
	headSize      = 16.0
	receiptFamily = "go"
)

// ReceiptPDF renders the receipt: A4, the embedded Go font (Latin with
// umlauts, ß and €), text only, the answers as label/value rows over as
// many pages as needed. With the fixed font subset (receiptpdf.go) it
// takes well under a millisecond; a receipt with a character outside that
// subset is drawn by gopdf with a subset of its own.
func ReceiptPDF(r ReceiptData) ([]byte, error) {
	title := msg(r.Lang, "forms.receipt.title") + " " + r.Ref
	if ff, err := theFixedFont(); err == nil {
		c := &fastCanvas{f: ff}
		err := layoutReceipt(c, r)
		if err == nil {
			return c.finish(pdfInfo{Title: title, Author: r.Tenant, Creator: "Rathaus", Producer: "Rathaus", CreationDate: r.SubmittedAt}), nil
		}
		if !errors.Is(err, errNotFixed) {
			return nil, fmt.Errorf("receipt: %w", err)
		}
	}
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: gopdf.Rect{W: pageW, H: pageH}})
	// Text is small; compressing it costs more than it saves here (the
	// font subset is always compressed by gopdf).
	pdf.SetNoCompression()
	pdf.SetInfo(gopdf.PdfInfo{Title: title, Author: r.Tenant, Creator: "Rathaus", Producer: "Rathaus", CreationDate: r.SubmittedAt})
	if err := pdf.AddTTFFontFromFontContainer(receiptFamily, fonts()); err != nil {
		return nil, fmt.Errorf("receipt font: %w", err)
	}
	if err := layoutReceipt(gopdfCanvas{pdf}, r); err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(24 << 10)
	if _, err := pdf.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	return buf.Bytes(), nil
}

// layoutReceipt draws the receipt on c.
func layoutReceipt(c canvas, r ReceiptData) error {
	w := &pdfWriter{pdf: c, lang: r.Lang, foot: fmt.Sprintf("%s · %s", r.Tenant, r.Ref)}
	w.page()
	w.text(smallSize, marginX, r.Tenant)
	w.y += 8
	w.text(headSize, marginX, msg(r.Lang, "forms.receipt.title"))
	w.y += 6
	w.wrap(bodySize, marginX, contentWidth, r.Title)
	w.y += 6
	w.wrap(bodySize, marginX, contentWidth, msg(r.Lang, "forms.receipt.intro"))
	w.y += 6
	at := r.SubmittedAt.In(berlin)
	when := at.Format("02.01.2006, 15:04 Uhr")
	if r.Lang == "en" {
		when = at.Format("2 Jan 2006, 15:04")
	}
	facts := [][2]string{
		{msg(r.Lang, "forms.receipt.reference"), r.Ref},
		{msg(r.Lang, "forms.receipt.submitted_at"), when},
		{msg(r.Lang, "forms.receipt.applicant"), r.Applicant},
		{msg(r.Lang, "forms.receipt.form"), fmt.Sprintf("%s, %s %d", r.FormRef, msg(r.Lang, "forms.receipt.version"), r.FormVersion)},
	}
	if r.Fee != "" {
		facts = append(facts, [2]string{msg(r.Lang, "forms.receipt.fee"), r.Fee})
	}
	for _, f := range facts {
		w.row(0, f[0], f[1])
	}
	w.y += 10
	w.text(12, marginX, msg(r.Lang, "forms.receipt.answers"))
	w.y += 2
	for _, l := range r.Lines {
		if l.Heading {
			w.y += 3
			w.wrap(bodySize, marginX+float64(l.Depth)*10, contentWidth-float64(l.Depth)*10, l.Label)
			continue
		}
		w.row(l.Depth, l.Label, l.Value)
	}
	if len(r.Files) > 0 {
		w.y += 10
		w.text(12, marginX, msg(r.Lang, "forms.receipt.files"))
		w.y += 2
		for _, f := range r.Files {
			w.row(0, f.Name, fmt.Sprintf("%s, %s\nSHA-256 %s", f.MediaType, HumanSize(f.Size), f.SHA256))
		}
	}
	w.y += 10
	w.wrap(smallSize, marginX, contentWidth, fmt.Sprintf(msg(r.Lang, "forms.receipt.integrity"), r.FormSHA256))
	return w.err
}

// pdfWriter lays text out top to bottom, breaking pages.
type pdfWriter struct {
	pdf   canvas
	lang  string
	y     float64
	pages int
	size  float64 // the font size in use (restored after a page break)
	foot  string
	err   error
}

func (w *pdfWriter) page() {
	w.pdf.addPage()
	w.pages++
	w.y = marginTop
	if w.err == nil {
		w.err = w.pdf.setFont(smallSize)
	}
	w.pdf.setGray(90)
	if w.err == nil {
		w.err = w.pdf.text(marginX, pageH-marginBottom/2, fmt.Sprintf("%s · %s %d", w.foot, msg(w.lang, "forms.receipt.page"), w.pages))
	}
	w.pdf.setGray(0)
	if w.size != 0 && w.err == nil {
		w.err = w.pdf.setFont(w.size)
	}
}

func (w *pdfWriter) need(h float64) {
	if w.y+h > pageH-marginBottom {
		w.page()
	}
}

func (w *pdfWriter) text(size, x float64, s string) {
	if w.err != nil {
		return
	}
	w.need(size + 4)
	w.setSize(size)
	w.y += size
	if w.err == nil {
		w.err = w.pdf.text(x, w.y, clean(s))
	}
	w.y += 4
}

// split breaks s into lines no wider than width (hard line breaks kept),
// at spaces, or inside a word longer than a line (a hash).
func (w *pdfWriter) split(size, width float64, s string) []string {
	var out []string
	for _, para := range strings.Split(clean(s), "\n") {
		out = append(out, wrapLine(para, size, width)...)
	}
	return out
}

// wrapLine breaks one paragraph greedily by the font's advance widths.
func wrapLine(para string, size, width float64) []string {
	words := strings.Fields(para)
	if len(words) == 0 {
		return []string{""}
	}
	space := advance(' ') * size
	var out []string
	var line strings.Builder
	lw := 0.0
	for _, word := range words {
		ww := textWidth(word) * size
		for ww > width { // break an over-long word
			if lw > 0 {
				out = append(out, line.String())
				line.Reset()
				lw = 0
			}
			cut, cw := 0, 0.0
			for i, r := range word {
				a := advance(r) * size
				if cw+a > width && i > 0 {
					cut = i
					break
				}
				cw += a
			}
			if cut == 0 {
				break
			}
			out = append(out, word[:cut])
			word = word[cut:]
			ww = textWidth(word) * size
		}
		switch {
		case lw == 0:
			line.WriteString(word)
			lw = ww
		case lw+space+ww <= width:
			line.WriteByte(' ')
			line.WriteString(word)
			lw += space + ww
		default:
			out = append(out, line.String())
			line.Reset()
			line.WriteString(word)
			lw = ww
		}
	}
	return append(out, line.String())
}

func (w *pdfWriter) setSize(size float64) {
	w.size = size
	if w.err == nil {
		w.err = w.pdf.setFont(size)
	}
}

func (w *pdfWriter) wrap(size, x, width float64, s string) {
	w.setSize(size)
	for _, l := range w.split(size, width, s) {
		w.need(lineHeight)
		w.y += lineHeight
		if w.err == nil {
			w.err = w.pdf.text(x, w.y, l)
		}
	}
	w.y += 2
}

// row writes a label and its value side by side, each wrapped.
func (w *pdfWriter) row(depth int, label, value string) {
	indent := float64(depth) * 10
	ls := w.split(bodySize, labelWidth-indent-8, label)
	vs := w.split(bodySize, contentWidth-labelWidth, value)
	n := max(len(ls), len(vs))
	w.need(float64(n) * lineHeight)
	w.setSize(bodySize)
	w.pdf.setGray(70)
	for i, l := range ls {
		if w.err == nil {
			w.err = w.pdf.text(marginX+indent, w.y+lineHeight*float64(i+1), l)
		}
	}
	w.pdf.setGray(0)
	for i, l := range vs {
		if w.err == nil {
			w.err = w.pdf.text(marginX+labelWidth, w.y+lineHeight*float64(i+1), l)
		}
	}
	w.y += float64(n)*lineHeight + 3
}

// clean keeps what the font can show: tabs become spaces, other control
// characters go.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
}
