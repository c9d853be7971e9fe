package cii_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/einvoice/cii"
	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/einvoice/en16931/en16931test"
	"github.com/rathaus/rathaus/internal/einvoice/ubl"
)

// TestParseDevData parses every well-formed CII file of the dev set (accepted
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
		inv, err := cii.Parse(data)
		switch v.Syntax {
		case "cii":
			total++
			if err != nil {
				t.Errorf("%s: %v", v.File, err)
				continue
			}
			parsed++
			if string(inv.Syntax) != v.Syntax {
				t.Errorf("%s: syntax %q, want %q", v.File, inv.Syntax, v.Syntax)
			}
			if v.XSDValid {
				// The CII schema types amounts as xs:decimal but date
				// strings as plain text, so only dates may be malformed.
				for _, iv := range inv.Invalid {
					if !strings.HasSuffix(iv.Element, "DateTimeString") && !strings.HasSuffix(iv.Element, "DateString") {
						t.Errorf("%s (schema-valid): malformed term %+v", v.File, iv)
					}
				}
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
	t.Logf("CII files parsed %d/%d; totals invariants hold on %d/%d accepted; %d other files refused", parsed, total, holds, accepted, refused)
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
			cii.Parse(data)
		}
	}
	b.ReportMetric(float64(b.N*len(files))/b.Elapsed().Seconds(), "files/s")
}

func isSyntax(s string) bool { return s == "cii" }

// twinKey is what the UBL and CII versions of one KoSIT test suite business
// case must agree on. Other terms differ in the data itself (placeholder
// names, an extra seller id, CII writing "0.00" where UBL omits a total).
type twinKey struct {
	Number, TypeCode, Currency, BuyerReference string
	IssueDate, DueDate                         *en16931.Date
	Totals                                     []string // BT-106..BT-115, absent as 0
	VAT                                        []string // per BG-23: category rate taxable tax
	Lines                                      []string // per BG-25: id quantity unit net
}

func twinKeyOf(inv *en16931.Invoice) twinKey {
	s := func(a *en16931.Amount) string {
		if a == nil {
			return "0"
		}
		return a.Decimal.String() // scale-free: 12.50 and 12.5 agree
	}
	t := inv.Totals
	k := twinKey{
		Number: inv.Number, TypeCode: inv.TypeCode, Currency: inv.CurrencyCode, BuyerReference: inv.BuyerReference,
		IssueDate: inv.IssueDate, DueDate: inv.DueDate,
		Totals: []string{s(t.LineNet), s(t.Allowances), s(t.Charges), s(t.WithoutVAT), s(t.VAT),
			s(t.VATInAccountingCurrency), s(t.WithVAT), s(t.Paid), s(t.Rounding), s(t.Payable)},
	}
	for _, b := range inv.VATBreakdown {
		k.VAT = append(k.VAT, strings.Join([]string{b.Category, s(b.Rate), s(b.TaxableAmount), s(b.TaxAmount)}, " "))
	}
	for _, l := range inv.Lines {
		k.Lines = append(k.Lines, strings.Join([]string{l.ID, s(l.Quantity), l.UnitCode, s(l.NetAmount)}, " "))
	}
	return k
}

// TestTwins parses each invoice that the dev set has in both syntaxes (the
// KoSIT test suite business cases, and the ZUGFeRD corpus XML-Rechnung
// files, converted from CII to UBL by Mustang) with both parsers and
// compares the key terms.
func TestTwins(t *testing.T) {
	dir := en16931test.DevDir(t)
	var pairs [][2]string
	for _, g := range []struct{ ublGlob, ublSuffix, ciiSuffix string }{
		{"testsuite/*_ubl.xml", "_ubl.xml", "_uncefact.xml"},
		{"zugferd/xml-rechnung-ubl/*.ubl.xml", ".ubl.xml", ".cii.xml"},
	} {
		files, err := filepath.Glob(filepath.Join(dir, g.ublGlob))
		if err != nil {
			t.Fatal(err)
		}
		for _, uf := range files {
			cf := strings.TrimSuffix(uf, g.ublSuffix) + g.ciiSuffix
			cf = strings.Replace(cf, "xml-rechnung-ubl", "xml-rechnung-cii", 1)
			if _, err := os.Stat(cf); err == nil {
				pairs = append(pairs, [2]string{uf, cf})
			}
		}
	}
	for _, pair := range pairs {
		ud, err := os.ReadFile(pair[0])
		if err != nil {
			t.Fatal(err)
		}
		cd, err := os.ReadFile(pair[1])
		if err != nil {
			t.Fatal(err)
		}
		u, err := ubl.Parse(ud)
		if err != nil {
			t.Fatalf("%s: %v", pair[0], err)
		}
		c, err := cii.Parse(cd)
		if err != nil {
			t.Fatalf("%s: %v", pair[1], err)
		}
		if diff := cmp.Diff(twinKeyOf(u), twinKeyOf(c)); diff != "" {
			t.Errorf("%s: UBL and CII differ (-UBL +CII):\n%s", filepath.Base(pair[0]), diff)
		}
	}
	if len(pairs) < 20 {
		t.Errorf("only %d twin pairs found", len(pairs))
	}
	t.Logf("%d UBL/CII twin pairs compared", len(pairs))
}
