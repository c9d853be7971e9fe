package payments

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/charmap"

	"github.com/rathaus/rathaus/internal/platform/tooltest"
)

func TestNoticePDF(t *testing.T) {
	r := &Request{Ref: "Z-7K3M-Q9TX", RF: "RF18539007547034", Purpose: "Bewohnerparkausweis Größe Ä – Straße", Amount: decimal.RequireFromString("30.50"),
		Status: StatusOpen, DueDate: "2026-03-16"}
	b, err := NoticePDF(NoticeData{City: "Stadt Musterstadt", CityAddress: "Marktplatz 1, 91052 Musterstadt",
		Creditor: Creditor{Name: "Stadtkasse Musterstadt", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX"}, Request: r, Lang: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-1.4")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
		t.Fatal("not a PDF")
	}
	text := pdfText(t, b)
	for _, want := range []string{"Zahlungshinweis", "Z-7K3M-Q9TX", "30,50 EUR", "DE89 3704 0044 0532 0130 00", "RF18 5390 0754 7034", "Größe Ä – Straße", "GiroCode"} {
		if !strings.Contains(text, want) {
			t.Errorf("notice lacks %q:\n%s", want, text)
		}
	}
	rc := ReceiptPDF("Stadt Musterstadt", r, Received{Ref: "Q-AAAA-BBBB", Amount: decimal.RequireFromString("30.50"), ReceivedOn: "2026-03-03", Method: "bank_transfer"}, "en")
	if text := pdfText(t, rc); !strings.Contains(text, "Receipt") || !strings.Contains(text, "Q-AAAA-BBBB") || !strings.Contains(text, "EUR 30.50") {
		t.Errorf("receipt:\n%s", text)
	}
}

// pdfText extracts the text with poppler's pdftotext (and checks the file
// with qpdf) where installed; else it reads the content stream's strings.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "x.pdf")
	os.WriteFile(f, b, 0o600)
	if q, ok := tooltest.Optional(t, "qpdf", "qpdf"); ok {
		if out, err := exec.Command(q, "--check", f).CombinedOutput(); err != nil {
			t.Fatalf("qpdf --check: %v\n%s", err, out)
		}
	}
	if p, ok := tooltest.Optional(t, "pdftotext", "poppler-utils"); ok {
		out, err := exec.Command(p, "-enc", "UTF-8", f, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	t.Log("pdftotext not installed: reading the content stream")
	dec, _ := charmapDecode(b)
	return dec
}

// charmapDecode reads the PDF's bytes as Windows-1252, the encoding of its
// WinAnsiEncoding fonts, and removes the string escapes.
func charmapDecode(b []byte) (string, error) {
	dec, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return "", err
	}
	return strings.NewReplacer("\\(", "(", "\\)", ")", "\\\\", "\\").Replace(string(dec)), nil
}

// TestNoticePDFQRConformance renders the notice with poppler and decodes
// its QR code with python3-zbar: the payload the banking app reads.
func TestNoticePDFQRConformance(t *testing.T) {
	ppm, err1 := exec.LookPath("pdftoppm")
	err2 := exec.Command("/usr/bin/python3", "-c", "import zbar").Run()
	if err1 != nil || err2 != nil {
		if os.Getenv("RATHAUS_CONFORMANCE") == "1" {
			t.Fatal("pdftoppm (poppler-utils) or python3-zbar missing")
		}
		t.Skip("pdftoppm or python3-zbar not installed")
	}
	r := &Request{Ref: "Z-7K3M-Q9TX", RF: "RF18539007547034", Purpose: "Hundesteuer", Amount: decimal.RequireFromString("75.00"), Paid: decimal.RequireFromString("25.00"),
		Status: StatusPartial, DueDate: "2026-03-16"}
	n := NoticeData{City: "Stadt Müßstadt", Creditor: Creditor{Name: "Stadtkasse Müßstadt", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX"}, Request: r, Lang: "de"}
	b, err := NoticePDF(n)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "n.pdf"), b, 0o600)
	if out, err := exec.Command(ppm, "-r", "100", "-gray", filepath.Join(dir, "n.pdf"), filepath.Join(dir, "n")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	pgm, err := os.ReadFile(filepath.Join(dir, "n-1.pgm"))
	if err != nil {
		t.Fatal(err)
	}
	parts := bytes.SplitN(pgm, []byte("\n"), 4)
	var w, h int
	if _, err := fmtSscan(string(parts[1]), &w, &h); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "n.y800"), parts[3][:w*h], 0o600)
	out, err := exec.Command("/usr/bin/python3", filepath.Join("epc", "testdata", "zbar_decode.py"), filepath.Join(dir, "n.y800"), itoa(w), itoa(h)).CombinedOutput()
	if err != nil {
		t.Fatalf("zbar: %v %s", err, out)
	}
	want, _, _ := n.EPC().Payload()
	got, _ := hexDecode(strings.TrimSpace(string(out)))
	if !bytes.Equal(got, want) {
		t.Errorf("PDF QR holds %q, want %q", got, want)
	}
	if !bytes.Contains(want, []byte("EUR50.00")) || !bytes.Contains(want, []byte("M\xfc\xdfstadt")) {
		t.Errorf("payload %q: outstanding amount, ISO 8859-1 name", want)
	}
}
