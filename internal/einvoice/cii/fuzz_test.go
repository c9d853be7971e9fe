package cii_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rathaus/rathaus/internal/einvoice/cii"
)

// FuzzParse: no input makes Parse panic or hang; an error and an invoice
// never come together.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := cii.Parse(data)
		if (inv == nil) == (err == nil) {
			t.Fatalf("Parse returned invoice %v with error %v", inv != nil, err)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "CII_example3.xml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cii.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
