// Package pdfdoc renders plain official letters (decisions, notices,
// print-job cover sheets) as PDF: a sender block, the recipient, date and
// reference, a title, paragraphs, optional label/value rows and a footer,
// on A4 pages with the Go fonts (embedded, Latin-1 and more, so German
// umlauts and ß print). The output is deterministic for the same input.
package pdfdoc

import (
	"fmt"
	"strings"
	"time"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Section is a titled block of label/value rows.
type Section struct {
	Title  string
	Fields [][2]string
}

// Doc is one letter.
type Doc struct {
	Sender    []string // lines of the authority's address block
	Recipient []string // lines of the recipient's address (may be empty)
	Place     string   // "Musterstadt"
	Date      string   // already formatted, e.g. "02.03.2026"
	Reference string   // "Aktenzeichen: C-7K3M-Q9TX"
	Title     string
	// Paragraphs are separated by blank lines; single newlines break lines.
	Paragraphs []string
	Fields     [][2]string // label, value rows after the paragraphs
	// Sections are titled blocks of label/value rows after the fields (a
	// readable view of a record, e.g. an invoice's business groups); a
	// label too long for its column gets a line of its own.
	Sections []Section
	// Closing paragraphs come after the fields (legal remedies notice).
	Closing []string
	Footer  string
	// Subject, Author and Created go into the document information.
	Subject, Author string
	Created         time.Time
}

const (
	pageW, pageH = 595.28, 841.89 // A4 in points
	margin       = 56.0
	lineGap      = 1.35
)

// Render returns the PDF.
func Render(d Doc) ([]byte, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	pdf.SetCompressLevel(6)
	if err := pdf.AddTTFFontData("regular", goregular.TTF); err != nil {
		return nil, fmt.Errorf("pdfdoc: font: %w", err)
	}
	if err := pdf.AddTTFFontData("bold", gobold.TTF); err != nil {
		return nil, fmt.Errorf("pdfdoc: font: %w", err)
	}
	created := d.Created
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	pdf.SetInfo(gopdf.PdfInfo{Title: d.Title, Subject: d.Subject, Author: d.Author, Creator: "Rathaus", Producer: "Rathaus", CreationDate: created})
	w := &writer{pdf: pdf}
	w.page()
	w.font("regular", 8.5)
	for _, l := range d.Sender {
		w.line(l)
	}
	w.gap(18)
	w.font("regular", 11)
	for _, l := range d.Recipient {
		w.line(l)
	}
	w.gap(18)
	meta := strings.TrimSpace(strings.Join(nonEmpty(d.Place, d.Date), ", "))
	if meta != "" {
		w.line(meta)
	}
	if d.Reference != "" {
		w.line(d.Reference)
	}
	w.gap(16)
	w.font("bold", 14)
	w.wrapped(d.Title)
	w.gap(8)
	w.font("regular", 11)
	for _, p := range d.Paragraphs {
		w.paragraph(p)
	}
	if len(d.Fields) > 0 {
		w.gap(4)
		for _, f := range d.Fields {
			w.field(f[0], f[1])
		}
		w.gap(8)
	}
	for _, sec := range d.Sections {
		w.gap(6)
		w.font("bold", 12)
		w.wrapped(sec.Title)
		w.gap(2)
		w.font("regular", 10)
		for _, f := range sec.Fields {
			w.sectionField(f[0], f[1])
		}
	}
	if len(d.Sections) > 0 {
		w.gap(8)
	}
	w.font("regular", 9.5)
	for _, p := range d.Closing {
		w.paragraph(p)
	}
	if w.err != nil {
		return nil, w.err
	}
	if d.Footer != "" {
		w.footer(d.Footer)
	}
	if w.err != nil {
		return nil, w.err
	}
	return pdf.GetBytesPdfReturnErr()
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

type writer struct {
	pdf  *gopdf.GoPdf
	size float64
	name string
	err  error
	y    float64
}

func (w *writer) page() {
	w.pdf.AddPage()
	w.y = margin
}

func (w *writer) font(name string, size float64) {
	if w.err == nil {
		w.err = w.pdf.SetFont(name, "", size)
	}
	w.size, w.name = size, name
}

func (w *writer) gap(h float64) { w.y += h }

func (w *writer) need(h float64) {
	if w.y+h > pageH-margin-20 {
		w.page()
		w.font(w.name, w.size)
	}
}

func (w *writer) line(s string) {
	if w.err != nil {
		return
	}
	h := w.size * lineGap
	w.need(h)
	w.pdf.SetXY(margin, w.y)
	w.err = w.pdf.Cell(nil, clean(s))
	w.y += h
}

func (w *writer) wrapped(s string) {
	if w.err != nil || s == "" {
		return
	}
	lines, err := w.pdf.SplitTextWithWordWrap(clean(s), pageW-2*margin)
	if err != nil {
		// A word longer than the line: break it by characters.
		lines, err = w.pdf.SplitText(clean(s), pageW-2*margin)
		if err != nil {
			w.err = err
			return
		}
	}
	for _, l := range lines {
		w.line(l)
	}
}

func (w *writer) paragraph(p string) {
	for _, block := range strings.Split(strings.ReplaceAll(p, "\r\n", "\n"), "\n\n") {
		block = strings.TrimRight(block, " \n")
		if strings.TrimSpace(block) == "" {
			continue
		}
		for _, l := range strings.Split(block, "\n") {
			if strings.TrimSpace(l) == "" {
				w.gap(w.size * lineGap)
				continue
			}
			w.wrapped(l)
		}
		w.gap(w.size * 0.7)
	}
}

func (w *writer) field(label, value string) {
	if w.err != nil {
		return
	}
	labelW := 170.0
	lines, err := w.pdf.SplitText(clean(value), pageW-2*margin-labelW)
	if err != nil || len(lines) == 0 {
		lines = []string{clean(value)}
	}
	h := w.size * lineGap
	w.need(h * float64(len(lines)))
	w.pdf.SetXY(margin, w.y)
	w.font("bold", w.size)
	if w.err == nil {
		w.err = w.pdf.Cell(nil, clean(label))
	}
	w.font("regular", w.size)
	for _, l := range lines {
		w.pdf.SetXY(margin+labelW, w.y)
		if w.err == nil {
			w.err = w.pdf.Cell(nil, l)
		}
		w.y += h
	}
}

// sectionField is field for section rows: the label wraps in its column,
// a very long one is on a line of its own above the value.
func (w *writer) sectionField(label, value string) {
	if w.err != nil {
		return
	}
	const labelW = 190.0
	w.font("bold", w.size)
	lw, err := w.pdf.MeasureTextWidth(clean(label))
	w.font("regular", w.size)
	if err != nil || lw > labelW-8 {
		w.font("bold", w.size)
		w.wrapped(label)
		w.font("regular", w.size)
		w.wrapped(value)
		return
	}
	lines, err := w.pdf.SplitText(clean(value), pageW-2*margin-labelW)
	if err != nil || len(lines) == 0 {
		lines = []string{clean(value)}
	}
	h := w.size * lineGap
	w.need(h * float64(len(lines)))
	w.pdf.SetXY(margin, w.y)
	w.font("bold", w.size)
	if w.err == nil {
		w.err = w.pdf.Cell(nil, clean(label))
	}
	w.font("regular", w.size)
	for _, l := range lines {
		w.pdf.SetXY(margin+labelW, w.y)
		if w.err == nil {
			w.err = w.pdf.Cell(nil, l)
		}
		w.y += h
	}
}

func (w *writer) footer(s string) {
	n := w.pdf.GetNumberOfPages()
	for i := 1; i <= n; i++ {
		w.pdf.SetPage(i)
		if w.err == nil {
			w.err = w.pdf.SetFont("regular", "", 8)
		}
		w.pdf.SetXY(margin, pageH-margin+10)
		if w.err == nil {
			w.err = w.pdf.Cell(nil, clean(fmt.Sprintf("%s – Seite %d von %d", s, i, n)))
		}
	}
}

// clean drops control characters the fonts cannot draw.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}
