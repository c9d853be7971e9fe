package catalog

import (
	"context"
	"sync"
	"testing"
)

var leikaFinder = sync.OnceValues(func() (*Finder, error) {
	services, _, err := DemoCatalog(context.Background())
	if err != nil {
		return nil, err
	}
	dir, err := datasetsDir()
	if err != nil {
		return nil, err
	}
	res, err := LoadLeika(context.Background(), dir)
	if err != nil {
		return nil, err
	}
	return NewFinder(append(services, res.Services...)), nil
})

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
	dataDir(b)
	f, err := leikaFinder()
	if err != nil {
		b.Fatal(err)
	}
	benchmarkFind(b, f)
}

// BenchmarkNewFinderLeika measures rebuilding the index for ~5,500 services.
func BenchmarkNewFinderLeika(b *testing.B) {
	dir := dataDir(b)
	services, _, err := DemoCatalog(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	res, err := LoadLeika(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	all := append(services, res.Services...)
	for b.Loop() {
		NewFinder(all)
	}
}
