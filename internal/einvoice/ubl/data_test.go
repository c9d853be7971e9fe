package ubl_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/einvoice/en16931/en16931test"
	"github.com/rathaus/rathaus/internal/einvoice/ubl"
)

// TestParseDevData parses every well-formed UBL file of the dev set (accepted
// and rejected: a rule-breaking invoice must still parse), checks the
// totals invariants on the accepted ones, and checks that the files of
// another or unknown syntax are refused.
func TestParseDevData(t *testing.T) {
	dir := en16931test.DevDir(t)
	var parsed, total, accepted, holds, refused int
	for _, v := range en16931test.Verdicts(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, v.File))
		if err != nil {
			t.Fatal(err)
		}
		inv, err := ubl.Parse(data)
		switch v.Syntax {
		case "ubl-invoice", "ubl-creditnote":
			total++
			if err != nil {
				t.Errorf("%s: %v", v.File, err)
				continue
			}
			parsed++
			if string(inv.Syntax) != v.Syntax {
				t.Errorf("%s: syntax %q, want %q", v.File, inv.Syntax, v.Syntax)
			}
			if v.XSDValid && len(inv.Invalid) > 0 {
				// The UBL schema types amounts as xs:decimal and dates as
				// xs:date, so a schema-valid file has nothing malformed.
				t.Errorf("%s (schema-valid): malformed terms %+v", v.File, inv.Invalid)
			}
			if !v.Accept {
				continue
			}
			accepted++
			if err := en16931test.CheckTotals(inv); err != nil {
				t.Errorf("%s (accepted): %v", v.File, err)
				continue
			}
			holds++
		default:
			if err == nil {
				t.Errorf("%s (syntax %s): parsed without error", v.File, v.Syntax)
				continue
			}
			if !errors.Is(err, en16931.ErrUnknownDocument) && !errors.Is(err, en16931.ErrNotWellFormed) {
				t.Errorf("%s: error %v is neither ErrUnknownDocument nor ErrNotWellFormed", v.File, err)
			}
			refused++
		}
	}
	t.Logf("UBL files parsed %d/%d; totals invariants hold on %d/%d accepted; %d other files refused", parsed, total, holds, accepted, refused)
}

// BenchmarkParseDevSet parses every dev file of this syntax once per
// iteration and reports files per second.
func BenchmarkParseDevSet(b *testing.B) {
	dir := en16931test.DevDir(b)
	var files [][]byte
	var size int64
	for _, v := range en16931test.Verdicts(b, dir) {
		if !isSyntax(v.Syntax) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, v.File))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		size += int64(len(data))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range files {
			ubl.Parse(data)
		}
	}
	b.ReportMetric(float64(b.N*len(files))/b.Elapsed().Seconds(), "files/s")
}

func isSyntax(s string) bool { return s == "ubl-invoice" || s == "ubl-creditnote" }
