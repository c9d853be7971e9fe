package camt

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any input is either a document or an *Error of one of the
// three kinds; never a panic, never both.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, fn := range files {
		b, _ := os.ReadFile(fn)
		f.Add(b)
	}
	f.Add([]byte(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn/></Document>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseBytes(data)
		if err == nil {
			if doc == nil || len(doc.Statements) == 0 {
				t.Fatal("accepted without a statement")
			}
			for _, st := range doc.Statements {
				for _, e := range st.Entries {
					if e.CreditDebit != "CRDT" && e.CreditDebit != "DBIT" {
						t.Fatalf("accepted indicator %q", e.CreditDebit)
					}
				}
			}
			return
		}
		if doc != nil {
			t.Fatal("document and error")
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnknownVersion) {
			t.Fatalf("error of no kind: %v", err)
		}
	})
}
