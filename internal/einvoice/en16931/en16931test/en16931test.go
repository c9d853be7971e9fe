// Package en16931test holds helpers for the parser tests: the reference
// verdicts of the e-invoice dev data set, the arithmetic invariants that
// accepted invoices satisfy, and cmp options for the model.
package en16931test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/platform/datasets"
)

// CmpOptions compares decimals by value and scale ("12.50" != "12.5"), so
// that the tests also check that the written scale is kept.
var CmpOptions = cmp.Options{
	cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) && a.Exponent() == b.Exponent() }),
}

// Verdict is one line of dev/verdicts.jsonl (only the fields the parser
// tests use).
type Verdict struct {
	File       string `json:"file"`
	Syntax     string `json:"syntax"`
	Wellformed bool   `json:"wellformed"`
	XSDValid   bool   `json:"xsd_valid"`
	Accept     bool   `json:"accept"`
}

// DevDir returns the e-invoice dev data directory, skipping the test when
// the data sets are absent (failing it when datasets.Required()).
func DevDir(tb testing.TB) string {
	tb.Helper()
	root, err := datasets.Dir()
	if err == nil {
		dir := filepath.Join(root, "einvoice", "dev")
		if _, err = os.Stat(filepath.Join(dir, "verdicts.jsonl")); err == nil {
			return dir
		}
	}
	if datasets.Required() {
		tb.Fatalf("e-invoice dev data: %v", err)
	}
	tb.Skipf("e-invoice dev data not found: %v", err)
	return ""
}

// Verdicts reads dir/verdicts.jsonl.
func Verdicts(tb testing.TB, dir string) []Verdict {
	tb.Helper()
	f, err := os.Open(filepath.Join(dir, "verdicts.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []Verdict
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var v Verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			tb.Fatalf("verdicts.jsonl: %v", err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// CheckTotals checks the arithmetic that every accepted EN 16931 invoice
// satisfies (rules BR-CO-10, BR-CO-13, BR-CO-14, BR-CO-15, BR-CO-16) and that no
// parsed term was malformed. It returns one error per broken invariant.
func CheckTotals(inv *en16931.Invoice) error {
	var errs []error
	if len(inv.Invalid) > 0 {
		errs = append(errs, fmt.Errorf("%d malformed terms, first %+v", len(inv.Invalid), inv.Invalid[0]))
	}
	t := inv.Totals
	if t.LineNet == nil || t.WithoutVAT == nil || t.WithVAT == nil || t.Payable == nil {
		errs = append(errs, fmt.Errorf("a mandatory total is missing: %+v", t))
		return errors.Join(errs...)
	}
	zero := decimal.Zero
	val := func(d *en16931.Amount) decimal.Decimal {
		if d == nil {
			return zero
		}
		return d.Decimal
	}
	sum := zero
	for i, l := range inv.Lines {
		if l.NetAmount == nil {
			errs = append(errs, fmt.Errorf("line %d (%s): no net amount", i+1, l.ID))
			continue
		}
		sum = sum.Add(l.NetAmount.Decimal)
	}
	if !sum.Equal(t.LineNet.Decimal) {
		errs = append(errs, fmt.Errorf("BR-CO-10: sum of line net amounts %s != BT-106 %s", sum, t.LineNet))
	}
	if w := t.LineNet.Decimal.Sub(val(t.Allowances)).Add(val(t.Charges)); !w.Equal(t.WithoutVAT.Decimal) {
		errs = append(errs, fmt.Errorf("BR-CO-13: BT-106 - BT-107 + BT-108 = %s != BT-109 %s", w, t.WithoutVAT))
	}
	vatSum := zero
	for _, b := range inv.VATBreakdown {
		vatSum = vatSum.Add(val(b.TaxAmount))
	}
	if t.VAT != nil && !vatSum.Equal(t.VAT.Decimal) {
		errs = append(errs, fmt.Errorf("BR-CO-14: sum of BT-117 %s != BT-110 %s", vatSum, t.VAT))
	}
	// BR-CO-15 rounds the sum to 2 decimals; its CII form also lets BT-112
	// equal BT-109 alone.
	if w := t.WithoutVAT.Decimal.Add(val(t.VAT)).Round(2); !w.Equal(t.WithVAT.Decimal) &&
		!(inv.Syntax == en16931.SyntaxCII && t.WithVAT.Equal(t.WithoutVAT.Decimal)) {
		errs = append(errs, fmt.Errorf("BR-CO-15: BT-109 + BT-110 = %s != BT-112 %s", w, t.WithVAT))
	}
	// The XRechnung extension adds third-party payments to BR-CO-16.
	if w := t.WithVAT.Decimal.Sub(val(t.Paid)).Add(val(t.Rounding)); !w.Equal(t.Payable.Decimal) &&
		!strings.Contains(inv.ProcessControl.SpecificationID, "extension") {
		errs = append(errs, fmt.Errorf("BR-CO-16: BT-112 - BT-113 + BT-114 = %s != BT-115 %s", w, t.Payable))
	}
	return errors.Join(errs...)
}
