package zugferd

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkExtract extracts the attachment of every corpus PDF per loop.
func BenchmarkExtract(b *testing.B) {
	dir := pdfDir(b)
	var pdfs [][]byte
	size := 0
	for _, v := range readPDFVerdicts(b, dir) {
		pdf, err := os.ReadFile(filepath.Join(dir, v.File))
		if err != nil {
			b.Fatal(err)
		}
		pdfs = append(pdfs, pdf)
		size += len(pdf)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, p := range pdfs {
			Extract(p)
		}
	}
	b.ReportMetric(float64(b.N*len(pdfs))/b.Elapsed().Seconds(), "pdfs/s")
}
