package xsd

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestZZCold(t *testing.T) {
	dir := devDir(t)
	ubl, _ := os.ReadFile(filepath.Join(dir, "testsuite/01.01_comprehensive_test_ubl.xml"))
	cii, _ := os.ReadFile(filepath.Join(dir, "testsuite/01.01a-INVOICE_uncefact.xml"))
	t0 := time.Now()
	e1 := Validate(ubl, UBLInvoice)
	t1 := time.Now()
	e2 := Validate(ubl, UBLInvoice)
	t2 := time.Now()
	e3 := Validate(cii, CII)
	t3 := time.Now()
	e4 := Validate(cii, CII)
	t4 := time.Now()
	t.Logf("ubl first %v second %v; cii first %v second %v; %d %d %d %d", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), len(e1), len(e2), len(e3), len(e4))
}
