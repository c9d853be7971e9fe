package payments

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/rathaus/rathaus/internal/payments/epc"
)

// A one-page PDF in the standard Helvetica fonts with WinAnsiEncoding
// (which holds every German character and the euro sign), so nothing is
// embedded and the file stays a few kilobytes; the QR code is drawn as
// filled squares, sharp at any zoom and for any printer. Enough for a
// payment notice and a receipt; documents with their own fonts or PDF/A
// belong to the records module's generator.

type pdfDoc struct {
	ops  bytes.Buffer
	y    float64 // current baseline from the bottom, points
	left float64
}

const (
	pageW, pageH = 595.28, 841.89 // A4
	margin       = 56.0
)

func newPDF() *pdfDoc { return &pdfDoc{y: pageH - margin, left: margin} }

// winAnsi encodes s for a PDF string in WinAnsiEncoding, escaping the
// PDF string delimiters; characters outside the set become '?'.
func winAnsi(s string) string {
	var b strings.Builder
	enc := charmap.Windows1252.NewEncoder()
	for _, r := range s {
		out, err := enc.Bytes([]byte(string(r)))
		if err != nil || len(out) != 1 {
			b.WriteByte('?')
			continue
		}
		c := out[0]
		switch c {
		case '(', ')', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			if c < 0x20 {
				b.WriteByte(' ')
			} else {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

// text writes a line at the current position and moves down.
func (d *pdfDoc) text(font string, size float64, s string) {
	fmt.Fprintf(&d.ops, "BT /%s %.1f Tf %.2f %.2f Td (%s) Tj ET\n", font, size, d.left, d.y, winAnsi(s))
	d.y -= size * 1.45
}

func (d *pdfDoc) textAt(font string, size, x, y float64, s string) {
	fmt.Fprintf(&d.ops, "BT /%s %.1f Tf %.2f %.2f Td (%s) Tj ET\n", font, size, x, y, winAnsi(s))
}

// para writes text wrapped at about n characters.
func (d *pdfDoc) para(font string, size float64, s string, n int) {
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(w)) > n {
			d.text(font, size, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		d.text(font, size, line)
	}
}

// row writes a label and a value in two columns.
func (d *pdfDoc) row(label, value string) {
	d.textAt("F1", 10, d.left, d.y, label)
	d.textAt("F2", 10, d.left+150, d.y, value)
	d.y -= 16
}

func (d *pdfDoc) gap(h float64) { d.y -= h }

func (d *pdfDoc) rule() {
	fmt.Fprintf(&d.ops, "0.6 w %.2f %.2f m %.2f %.2f l S\n", d.left, d.y+6, pageW-margin, d.y+6)
	d.y -= 10
}

// qr draws the code (with its quiet zone) with its top-left corner at
// (x, top), each module size points wide.
func (d *pdfDoc) qr(c *epc.Code, x, top, size float64) {
	// Runs of dark modules as one rectangle each, a hair taller than a
	// module so that rasterisers leave no light seams between rows.
	d.ops.WriteString("0 g\n")
	for row, line := range c.Modules {
		for col := 0; col < len(line); {
			if !line[col] {
				col++
				continue
			}
			end := col
			for end < len(line) && line[end] {
				end++
			}
			fmt.Fprintf(&d.ops, "%.3f %.3f %.3f %.3f re\n", x+float64(col)*size, top-float64(row+1)*size-0.05, float64(end-col)*size, size+0.1)
			col = end
		}
	}
	d.ops.WriteString("f\n")
}

// bytes assembles the file: catalog, pages, one page, two fonts, content.
func (d *pdfDoc) bytes(title string) []byte {
	content := d.ops.Bytes()
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>", pageW, pageH),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content)+1, content),
		fmt.Sprintf("<< /Title (%s) /Producer (Rathaus) >>", winAnsi(title)),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, len(objs), xref)
	return b.Bytes()
}

// NoticeData is what a payment notice shows.
type NoticeData struct {
	City, CityAddress string
	Creditor          Creditor
	Request           *Request
	Lang              string // "de" or "en"
}

// Creditor is the city's account.
type Creditor struct {
	Name, IBAN, BIC string
}

// EPC is the request's EPC QR payment for the city's account: the
// outstanding amount and the RF reference.
func (n NoticeData) EPC() epc.Payment {
	return epc.Payment{BIC: n.Creditor.BIC, Name: n.Creditor.Name, IBAN: epc.NormalizeIBAN(n.Creditor.IBAN), Amount: n.Request.Outstanding(), Reference: n.Request.RF}
}

// GroupIBAN prints an IBAN in groups of four.
func GroupIBAN(s string) string { return epc.GroupRF(epc.NormalizeIBAN(s)) }

var noticeText = map[string]map[string]string{
	"de": {"title": "Zahlungshinweis", "purpose": "Zweck", "amount": "Betrag", "outstanding": "Noch offen", "due": "Zahlbar bis", "payee": "Empfänger",
		"iban": "IBAN", "bic": "BIC", "reference": "Verwendungszweck", "ref": "Zahlungsnummer", "status": "Stand",
		"hint": "Bitte überweisen Sie den Betrag mit genau diesem Verwendungszweck (Kassenzeichen), damit Ihre Zahlung automatisch zugeordnet wird.",
		"qr":   "GiroCode: mit der Banking-App scannen, die Überweisung ist dann ausgefüllt.", "receipt": "Quittung", "received": "Erhalten am",
		"number": "Quittungsnummer", "method": "Zahlweg", "for": "Für die Zahlungsnummer", "thanks": "Vielen Dank für Ihre Zahlung.",
		"paid": "Bezahlt – vielen Dank.", "open": "offen", "partial": "teilweise bezahlt", "cancelled": "storniert"},
	"en": {"title": "Payment notice", "purpose": "Purpose", "amount": "Amount", "outstanding": "Outstanding", "due": "Due by", "payee": "Payee",
		"iban": "IBAN", "bic": "BIC", "reference": "Payment reference", "ref": "Payment number", "status": "Status",
		"hint": "Please transfer the amount with exactly this payment reference so that your payment is matched automatically.",
		"qr":   "GiroCode: scan it with your banking app to fill in the transfer.", "receipt": "Receipt", "received": "Received on",
		"number": "Receipt number", "method": "Paid by", "for": "For payment number", "thanks": "Thank you for your payment.",
		"paid": "Paid – thank you.", "open": "open", "partial": "partly paid", "cancelled": "cancelled"},
}

func euro(s string, lang string) string {
	if lang == "en" {
		return "EUR " + s
	}
	return strings.Replace(s, ".", ",", 1) + " EUR"
}

// NoticePDF renders the payment notice with the QR code.
func NoticePDF(n NoticeData) ([]byte, error) {
	tx := noticeText[n.Lang]
	if tx == nil {
		tx = noticeText["de"]
	}
	r := n.Request
	d := newPDF()
	d.text("F2", 11, n.City)
	if n.CityAddress != "" {
		d.text("F1", 9, n.CityAddress)
	}
	d.gap(18)
	d.text("F2", 20, tx["title"])
	d.gap(6)
	d.row(tx["ref"], r.Ref)
	d.row(tx["purpose"], r.Purpose)
	d.row(tx["amount"], euro(r.Amount.StringFixed(2), n.Lang))
	if r.Paid.IsPositive() {
		d.row(tx["outstanding"], euro(r.Outstanding().StringFixed(2), n.Lang))
	}
	d.row(tx["due"], r.DueDate)
	d.row(tx["status"], map[string]string{StatusOpen: tx["open"], StatusPartial: tx["partial"], StatusPaid: tx["paid"], StatusCancelled: tx["cancelled"]}[r.Status])
	d.gap(8)
	d.rule()
	d.row(tx["payee"], n.Creditor.Name)
	d.row(tx["iban"], GroupIBAN(n.Creditor.IBAN))
	if n.Creditor.BIC != "" {
		d.row(tx["bic"], n.Creditor.BIC)
	}
	d.row(tx["reference"], epc.GroupRF(r.RF))
	d.gap(4)
	d.para("F1", 9, tx["hint"], 95)
	if r.Status == StatusOpen || r.Status == StatusPartial {
		payload, _, err := n.EPC().Payload()
		if err != nil {
			return nil, fmt.Errorf("notice %s: %w", r.Ref, err)
		}
		code, err := epc.QR(payload)
		if err != nil {
			return nil, err
		}
		d.gap(12)
		size := 3.0 // points per module: 1.06 mm, ≥ 4 px at 96 dpi
		d.qr(code, d.left, d.y, size)
		d.y -= float64(len(code.Modules))*size + 6
		d.text("F1", 9, tx["qr"])
	}
	return d.bytes(tx["title"] + " " + r.Ref), nil
}

// ReceiptPDF renders a receipt for one payment.
func ReceiptPDF(city string, r *Request, p Received, lang string) []byte {
	tx := noticeText[lang]
	if tx == nil {
		tx = noticeText["de"]
	}
	d := newPDF()
	d.text("F2", 11, city)
	d.gap(18)
	d.text("F2", 20, tx["receipt"])
	d.gap(6)
	d.row(tx["number"], p.Ref)
	d.row(tx["amount"], euro(p.Amount.StringFixed(2), lang))
	d.row(tx["received"], p.ReceivedOn)
	d.row(tx["method"], p.Method)
	d.row(tx["purpose"], r.Purpose)
	d.row(tx["for"], r.Ref)
	d.gap(8)
	d.text("F1", 10, tx["thanks"])
	return d.bytes(tx["receipt"] + " " + p.Ref)
}
