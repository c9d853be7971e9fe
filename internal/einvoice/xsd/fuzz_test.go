package xsd

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidate checks that no input makes Validate panic or hang, and that
// the result does not depend on earlier calls. Seeds: the hand-made
// documents and, when the data sets are present, a sample of dev files.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(ublInvoice), uint8(UBLInvoice))
	f.Add([]byte(ciiInvoice), uint8(CII))
	f.Add([]byte(`<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>`), uint8(UBLCreditNote))
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`), uint8(CII))
	if root, err := devDirOptional(); err == nil {
		for i, v := range readVerdicts(f, root) {
			if i%20 != 0 {
				continue
			}
			if s, ok := syntaxSchema[v.Syntax]; ok {
				// small files only: the fuzzer mutates whole inputs
				if doc, err := os.ReadFile(filepath.Join(root, v.File)); err == nil && len(doc) < 16<<10 {
					f.Add(doc, uint8(s))
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte, s uint8) {
		schema := Schema(s%3 + 1)
		first := Validate(doc, schema)
		for _, e := range first {
			if e.Code == CodeInternal {
				t.Fatalf("internal failure: %v", e)
			}
		}
		if again := Validate(doc, schema); len(again) != len(first) {
			t.Fatalf("second run gave %d errors, first %d", len(again), len(first))
		}
	})
}
