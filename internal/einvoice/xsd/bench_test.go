package xsd

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkValidate validates every dev file of one syntax per loop and
// reports documents per second (single goroutine).
func BenchmarkValidate(b *testing.B) {
	dir := devDir(b)
	verdicts := readVerdicts(b, dir)
	for _, syn := range []string{"ubl-invoice", "ubl-creditnote", "cii"} {
		var docs [][]byte
		size := 0
		for _, v := range verdicts {
			if v.Syntax != syn {
				continue
			}
			doc, err := os.ReadFile(filepath.Join(dir, v.File))
			if err != nil {
				b.Fatal(err)
			}
			docs = append(docs, doc)
			size += len(doc)
		}
		s := syntaxSchema[syn]
		b.Run(syn, func(b *testing.B) {
			if err := Preload(s); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			for b.Loop() {
				for _, d := range docs {
					Validate(d, s)
				}
			}
			b.ReportMetric(float64(b.N*len(docs))/b.Elapsed().Seconds(), "docs/s")
		})
	}
}

// BenchmarkCompile measures the cold start: reading and compiling the
// embedded schemas (content automata are built later, per type, on use).
func BenchmarkCompile(b *testing.B) {
	for _, c := range []struct {
		name  string
		roots []string
	}{
		{"ubl", []string{"schemas/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd", "schemas/ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"}},
		{"cii", []string{"schemas/cii-d16b/xsd/CrossIndustryInvoice_100pD16B.xsd"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				docs, err := loadDocs(schemaFS, c.roots...)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := compileGrammar(docs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFirstDocument is the cold start as a caller sees it: compile the
// schema and validate a first document (which builds the content automata
// of the types it uses).
func BenchmarkFirstDocument(b *testing.B) {
	dir := devDir(b)
	for _, c := range []struct {
		name, file string
		roots      []string
	}{
		{"ubl", "testsuite/01.01_comprehensive_test_ubl.xml", []string{"schemas/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd", "schemas/ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"}},
		{"cii", "testsuite/01.01a-INVOICE_uncefact.xml", []string{"schemas/cii-d16b/xsd/CrossIndustryInvoice_100pD16B.xsd"}},
	} {
		doc, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				docs, err := loadDocs(schemaFS, c.roots...)
				if err != nil {
					b.Fatal(err)
				}
				g, err := compileGrammar(docs)
				if err != nil {
					b.Fatal(err)
				}
				v := &validator{g: g}
				v.run(doc)
				if len(v.errs) > 0 {
					b.Fatal(v.errs)
				}
			}
		})
	}
}
