package catalog

import (
	"testing"
)

func benchmarkFind(b *testing.B, f *Finder) {
	qs := DefaultBenchQueries()
	i := 0
	for b.Loop() {
		f.Find(Query{Text: qs[i%len(qs)].Q})
		i++
	}
	rep := Evaluate(f, qs, 5)
	b.ReportMetric(rep.P50ms, "p50_ms")
	b.ReportMetric(rep.P99ms, "p99_ms")
	b.ReportMetric(rep.Top1, "top1")
	b.ReportMetric(rep.Top3, "top3")
}

// BenchmarkFindDemo measures query latency on the demo catalog (288
// services); target p99 < 20 ms.
func BenchmarkFindDemo(b *testing.B) {
	benchmarkFind(b, mustDemoFinder(b))
}

// BenchmarkFindLeika measures query latency with the ~5,250 LeiKa services
// added; target p99 < 50 ms.
func BenchmarkFindLeika(b *testing.B) {
	benchmarkFind(b, mustFederalFinder(b))
}

// BenchmarkNewFinderLeika measures rebuilding the index for ~5,500 services.
func BenchmarkNewFinderLeika(b *testing.B) {
	all := mustFederalFinder(b).Services()
	for b.Loop() {
		NewFinder(all)
	}
}
