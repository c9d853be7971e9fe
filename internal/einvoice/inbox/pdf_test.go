package inbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/tooltest"
)

// TestViewPDF: the readable PDF has every business term present in German
// and is a well-formed PDF (checked with qpdf and pdftotext when installed).
func TestViewPDF(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		s := DefaultSample("RE-PDF-1")
		s.SkontoDays, s.SkontoPercent = 14, "2.00"
		inv := w.submit(t, s)
		got, err := w.s.Get(context.Background(), w.clerkA, w.t.ID, inv.Ref)
		if err != nil {
			t.Fatal(err)
		}
		groups := Terms(got.Document)
		var labels []string
		for _, g := range groups {
			for _, r := range g.Rows {
				labels = append(labels, r.Term)
				if strings.Contains(r.Label, "_") || strings.HasPrefix(r.Label, "lines") {
					t.Errorf("term without a German label: %+v", r)
				}
			}
		}
		for _, want := range []string{"BT-1", "BT-2", "BT-9", "BT-10", "BT-20", "BT-27", "BT-31", "BT-43", "BT-44", "BT-72", "BT-84", "BT-86", "BT-112", "BT-115", "BT-118", "BT-126", "BT-153"} {
			if !strings.Contains(strings.Join(labels, " "), want+" ") && !strings.HasSuffix(strings.Join(labels, " "), want) {
				t.Errorf("term %s missing from the view", want)
			}
		}
		pdf, err := ViewPDF(got, "Musterstadt")
		if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
			t.Fatal("not a PDF")
		}
		f := filepath.Join(t.TempDir(), "v.pdf")
		os.WriteFile(f, pdf, 0o600)
		if q, ok := tooltest.Optional(t, "qpdf", "qpdf"); ok {
			if out, err := exec.Command(q, "--check", f).CombinedOutput(); err != nil {
				t.Errorf("qpdf: %v %s", err, out)
			}
		}
		if p, ok := tooltest.Optional(t, "pdftotext", "poppler-utils"); ok {
			out, err := exec.Command(p, "-layout", "-enc", "UTF-8", f, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(strings.Fields(string(out)), " ")
			for _, want := range []string{"Rechnung RE-PDF-1 von Bürobedarf Schmidt GmbH", "Fälliger Betrag (BT-115) 1190.00", "Druckerpapier A4, 80 g/m²", "Skonto bis 15.03.2026", "Verkäufer (BG-4)", "Eingang"} {
				if !strings.Contains(text, want) {
					t.Errorf("PDF text lacks %q:\n%s", want, out)
				}
			}
		}
	})
}
