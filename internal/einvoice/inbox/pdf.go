package inbox

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// pdfLine is one line of the readable PDF.
type pdfLine struct {
	text  string
	bold  bool
	size  float64
	space float64 // extra space before the line
}

// pdfDoc collects lines and writes a plain PDF 1.4 with the standard
// Helvetica fonts in WinAnsi encoding (German letters, €), A4, wrapped at
// the page width. It needs no font files: every reader has these fonts.
type pdfDoc struct{ lines []pdfLine }

func (d *pdfDoc) heading(s string) {
	d.lines = append(d.lines, pdfLine{text: s, bold: true, size: 13, space: 8})
}
func (d *pdfDoc) title(s string) { d.lines = append(d.lines, pdfLine{text: s, bold: true, size: 17}) }
func (d *pdfDoc) text(s string)  { d.lines = append(d.lines, pdfLine{text: s, size: 10}) }
func (d *pdfDoc) pair(label, value string) {
	d.lines = append(d.lines, pdfLine{text: label + ": " + value, size: 10})
}

const (
	pageW, pageH  = 595.0, 842.0
	margin        = 50.0
	lineFactor    = 1.35
	averageGlyphW = 0.52 // Helvetica average width per point of size
)

// wrap cuts s into lines that fit the width at the font size (estimated
// from Helvetica's average glyph width, with a safety margin).
func wrap(s string, size float64) []string {
	maxChars := int((pageW - 2*margin) / (size * averageGlyphW))
	var out []string
	for _, para := range strings.Split(s, "\n") {
		words := strings.Fields(para)
		line := ""
		for _, w := range words {
			for len([]rune(w)) > maxChars {
				r := []rune(w)
				if line != "" {
					out = append(out, line)
					line = ""
				}
				out = append(out, string(r[:maxChars]))
				w = string(r[maxChars:])
			}
			switch {
			case line == "":
				line = w
			case len([]rune(line))+1+len([]rune(w)) <= maxChars:
				line += " " + w
			default:
				out = append(out, line)
				line = w
			}
		}
		out = append(out, line)
	}
	return out
}

// pdfString encodes s as a PDF literal string in WinAnsi (characters
// outside it become '?').
func pdfString(s string) string {
	enc := charmap.Windows1252.NewEncoder()
	var b strings.Builder
	b.WriteByte('(')
	for _, r := range s {
		bs, err := enc.Bytes([]byte(string(r)))
		if err != nil || len(bs) != 1 {
			bs = []byte{'?'}
		}
		c := bs[0]
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(')')
	return b.String()
}

// bytes writes the document.
func (d *pdfDoc) bytes() []byte {
	var pages []string
	var cur strings.Builder
	y := pageH - margin
	flush := func() {
		pages = append(pages, cur.String())
		cur.Reset()
		y = pageH - margin
	}
	for _, l := range d.lines {
		font := "/F1"
		if l.bold {
			font = "/F2"
		}
		y -= l.space
		for _, t := range wrap(l.text, l.size) {
			y -= l.size * lineFactor
			if y < margin {
				flush()
				y -= l.size * lineFactor
			}
			fmt.Fprintf(&cur, "BT %s %.1f Tf %.1f %.1f Td %s Tj ET\n", font, l.size, margin, y, pdfString(t))
		}
	}
	flush()
	var b bytes.Buffer
	offs := []int{}
	obj := func(body string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), body)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	n := len(pages)
	// 1 catalog, 2 pages, 3 F1, 4 F2, then per page: page, content.
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := make([]string, n)
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 5+2*i)
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	for i, content := range pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.0f %.0f] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>", pageW, pageH, 6+2*i))
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write([]byte(content))
		zw.Close()
		obj(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes()))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

// ViewPDF is the readable German view of an invoice as a PDF: the facts of
// the workflow, the validation result, every business term present and
// the recorded steps.
func ViewPDF(inv *Invoice, tenantName string) []byte {
	d := &pdfDoc{}
	kind := "Rechnung"
	if inv.Kind == "credit_note" {
		kind = "Gutschrift"
	}
	d.title(fmt.Sprintf("%s %s von %s", kind, inv.Number, inv.Supplier))
	d.text(fmt.Sprintf("%s · Eingang %s · Vorgang %s", tenantName, inv.ReceivedAt.In(berlin).Format("02.01.2006 15:04"), inv.Ref))
	d.heading("Bearbeitung")
	d.pair("Status", statusDE[inv.Status])
	if inv.UnitName != "" {
		d.pair("Zuständige Einheit", inv.UnitName)
	}
	if inv.RoutingProblem != "" {
		d.pair("Klärung", inv.RoutingProblem)
	}
	d.pair("Betrag", germanAmount(inv.Amount)+" "+inv.Currency)
	if inv.DueDate != "" {
		d.pair("Fällig am", germanDate(inv.DueDate))
	}
	if inv.DiscountUntil != "" {
		d.pair("Skonto bis", germanDate(inv.DiscountUntil)+" ("+germanAmount(inv.DiscountPercent)+" %)")
	}
	if inv.CostCentre != "" || inv.BudgetLine != "" {
		d.pair("Kostenstelle / Haushaltsstelle", inv.CostCentre+" / "+inv.BudgetLine)
	}
	d.pair("Prüfsumme der Originaldatei (SHA-256)", inv.Hash)
	d.heading("Prüfung nach den Regeln für E-Rechnungen")
	switch {
	case inv.Validation.Manual:
		d.text("Papierrechnung: die Angaben wurden von Hand erfasst, der Scan ist das Original.")
	case inv.Validation.Accept:
		sc := ""
		if inv.Validation.Scenario != nil {
			sc = *inv.Validation.Scenario
		}
		d.text("Angenommen (" + sc + ").")
	}
	for _, m := range inv.Validation.Messages {
		txt := m.TextDE
		if txt == "" {
			txt = m.Text
		}
		d.text(fmt.Sprintf("%s %s: %s", levelDE[m.Level], m.ID, txt))
	}
	for _, g := range Terms(inv.Document) {
		title := g.Title
		if g.Index > 0 {
			title = fmt.Sprintf("%s %d", title, g.Index)
		}
		if g.Term != "" {
			title += " (" + g.Term + ")"
		}
		d.heading(title)
		for _, r := range g.Rows {
			label := r.Label
			if r.Term != "" {
				label += " (" + r.Term + ")"
			}
			d.pair(label, r.Value)
		}
	}
	d.heading("Verlauf")
	for _, s := range inv.Steps {
		who := s.ActorName
		if who == "" {
			who = s.Actor
		}
		line := fmt.Sprintf("%s %s: %s", s.At.In(berlin).Format("02.01.2006 15:04"), stepDE[s.Step], who)
		if s.OnBehalfOf != "" {
			line += " (in Vertretung für " + s.OnBehalfOf + ")"
		}
		if s.Note != "" {
			line += " – " + s.Note
		}
		d.text(line)
	}
	return d.bytes()
}

var statusDE = map[Status]string{StatusClarification: "in Klärung", StatusNew: "neu", StatusInApproval: "in Freigabe", StatusApproved: "angeordnet",
	StatusInPayment: "im Zahlungslauf", StatusPaid: "bezahlt", StatusRejected: "abgelehnt"}

var stepDE = map[Step]string{StepReceived: "Eingang", StepRouted: "Zugeordnet", StepSachlich: "Sachlich richtig", StepRechnerisch: "Rechnerisch richtig",
	StepAnordnung: "Anordnung", StepRejected: "Abgelehnt", StepPaymentRun: "Zahlungslauf", StepPaid: "Bezahlt", StepNetted: "Verrechnet"}

var levelDE = map[string]string{"error": "Fehler", "warning": "Warnung", "information": "Hinweis"}

func germanDate(s string) string {
	if d, ok := civilString(s); ok {
		return fmt.Sprintf("%02d.%02d.%04d", d.Day, int(d.Month), d.Year)
	}
	return s
}

func germanAmount(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	i, f, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for k, c := range i {
		if k > 0 && (len(i)-k)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if f != "" {
		b.WriteString("," + f)
	}
	return b.String()
}
