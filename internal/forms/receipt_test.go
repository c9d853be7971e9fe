package forms

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/tooltest"
)

// TestReceiptPDFText renders a receipt with umlauts, a long hash and a
// long answer and reads it back with Debian's pdftotext (poppler-utils):
// the text must come out as written, and qpdf must find the file sound.
func TestReceiptPDFText(t *testing.T) {
	d, _ := DemoForm("hundesteuer")
	answers := DogTaxAnswers(1)
	answers["breed"] = "Großer Münsterländer – sehr lange Rasse, die umbrochen werden muss"
	a, _, err := Validate(d, answers, Check{Now: dbtest.Epoch})
	if err != nil {
		t.Fatal(err)
	}
	r := ReceiptData{Tenant: "Musterstadt", Ref: "A-7K3M-Q9TX", FormRef: "F-7K3M-Q9TX", FormVersion: 1, FormSHA256: strings.Repeat("ab", 32),
		Title: d.Title.In("de"), Applicant: "Jürgen Äußerst-Öztürk", SubmittedAt: dbtest.Epoch, Lang: "de", Lines: d.Lines(a, "de"),
		Files: []File{{Name: "Nachweis.pdf", MediaType: "application/pdf", Size: 2048, SHA256: strings.Repeat("0f", 32)}}, Fee: FeeText(d.Fee, "de")}
	pdf, err := ReceiptPDF(r)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("RECEIPT_OUT") != "" {
		os.WriteFile(os.Getenv("RECEIPT_OUT"), pdf, 0o600)
	}
	tooltest.Path(t, "pdftotext", "poppler-utils")
	f := t.TempDir() + "/r.pdf"
	os.WriteFile(f, pdf, 0o600)
	out, err := exec.Command("pdftotext", "-layout", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, out)
	}
	text := string(out)
	for _, want := range []string{"Eingangsbestätigung", "A-7K3M-Q9TX", "Jürgen Äußerst-Öztürk", "Hundesteuer-Anmeldung", "Großer Münsterländer", "umbrochen", "Lindenstraße 2, 91052 Musterstadt",
		"02.03.2026, 10:00 Uhr", "96,00 €", "Nein", strings.Repeat("0f", 16)} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt text lacks %q:\n%s", want, text)
		}
	}
	if q, ok := tooltest.Optional(t, "qpdf", "qpdf"); ok {
		if out, err := exec.Command(q, "--check", f).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("No syntax or stream encoding errors")) {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	}
}

// TestReceiptPDFOutsideFixedFont: a receipt is written with the fixed
// font subset, unless it holds a character outside it (Greek, Cyrillic):
// then gopdf draws it with a subset of its own, and the text still comes
// out as written. Both files are sound for qpdf.
func TestReceiptPDFOutsideFixedFont(t *testing.T) {
	r := ReceiptData{Tenant: "Musterstadt", Ref: "A-7K3M-Q9TX", FormRef: "F-7K3M-Q9TX", FormVersion: 1, FormSHA256: strings.Repeat("ab", 32),
		Title: "Hundesteuer-Anmeldung", SubmittedAt: dbtest.Epoch, Lang: "de",
		Lines: []Line{{Label: "Name des Hundes", Value: "Bello"}}}
	for i := 0; i < 120; i++ { // three pages
		r.Lines = append(r.Lines, Line{Label: "Zeile", Value: "Wert " + strings.Repeat("x", i%40)})
	}
	for _, c := range []struct {
		applicant string
		fixed     bool
	}{{"Łukasz Dvořák-Şahin", true}, {"Ωmega Жуков", false}} {
		r.Applicant = c.applicant
		pdf, err := ReceiptPDF(r)
		if err != nil {
			t.Fatal(err)
		}
		// gopdf writes an /Outlines object; the fixed writer does not.
		if fixed := !bytes.Contains(pdf, []byte("/Outlines")); fixed != c.fixed {
			t.Errorf("%s: written with the fixed font = %v", c.applicant, fixed)
		}
		if _, err := exec.LookPath("pdftotext"); err != nil {
			t.Skip("pdftotext (poppler-utils) not installed")
		}
		f := t.TempDir() + "/r.pdf"
		os.WriteFile(f, pdf, 0o600)
		out, err := exec.Command("pdftotext", "-layout", f, "-").CombinedOutput()
		if err != nil || !strings.Contains(string(out), c.applicant) || !strings.Contains(string(out), "Eingangsbestätigung") || !strings.Contains(string(out), "Seite 3") {
			t.Errorf("pdftotext: %v\n%s", err, out)
		}
		if q, err := exec.LookPath("qpdf"); err == nil {
			if out, err := exec.Command(q, "--check", f).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("No syntax or stream encoding errors")) {
				t.Errorf("qpdf --check: %v\n%s", err, out)
			}
		}
	}
}
