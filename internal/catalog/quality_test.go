package catalog

import (
	"bytes"
	"context"
	"os"
	"sync"
	"testing"
)

var demoFinder = sync.OnceValues(func() (*Finder, error) {
	services, _, err := DemoCatalog(context.Background())
	if err != nil {
		return nil, err
	}
	return NewFinder(services), nil
})

func mustDemoFinder(t testing.TB) *Finder {
	t.Helper()
	f, err := demoFinder()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestQuality checks the hit rates of the citizen query set on the demo
// catalog against the targets of the finder.
func TestQuality(t *testing.T) {
	f := mustDemoFinder(t)
	qs := DefaultBenchQueries()
	if len(qs) < 80 {
		t.Fatalf("only %d benchmark queries, want at least 80", len(qs))
	}
	rep := Evaluate(f, qs, 1)
	for _, m := range rep.Misses {
		t.Logf("miss: %q want %v got %v", m.Q, m.Want, m.Got)
	}
	t.Logf("queries=%d top1=%.3f top3=%.3f", rep.Queries, rep.Top1, rep.Top3)
	if rep.Top1 < TargetTop1 {
		t.Errorf("top-1 = %.3f, want >= %.2f", rep.Top1, TargetTop1)
	}
	if rep.Top3 < TargetTop3 {
		t.Errorf("top-3 = %.3f, want >= %.2f", rep.Top3, TargetTop3)
	}
}

// TestHoldout reports the hit rates on a second, smaller query set that
// was written after the synonyms and never used for tuning; it guards
// against fitting the first set (a floor well below the targets).
func TestHoldout(t *testing.T) {
	f := mustDemoFinder(t)
	data, err := os.ReadFile("testdata/bench/tuning/holdout.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	qs, err := ParseBenchQueries(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rep := Evaluate(f, qs, 1)
	for _, m := range rep.Misses {
		t.Logf("miss: %q want %v got %v", m.Q, m.Want, m.Got)
	}
	t.Logf("holdout queries=%d top1=%.3f top3=%.3f", rep.Queries, rep.Top1, rep.Top3)
	if rep.Top3 < 0.8 {
		t.Errorf("holdout top-3 = %.3f, want >= 0.80", rep.Top3)
	}
}

// TestBlind reports the hit rates on a third set, written in one go after
// all tuning and not used for tuning since: the nearest thing here to the
// hidden set of real citizen queries.
func TestBlind(t *testing.T) {
	f := mustDemoFinder(t)
	data, err := os.ReadFile("testdata/bench/blind/legacy.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	qs, err := ParseBenchQueries(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rep := Evaluate(f, qs, 1)
	for _, m := range rep.Misses {
		t.Logf("miss: %q want %v got %v", m.Q, m.Want, m.Got)
	}
	t.Logf("blind queries=%d top1=%.3f top3=%.3f", rep.Queries, rep.Top1, rep.Top3)
	if rep.Top3 < 0.8 {
		t.Errorf("blind top-3 = %.3f, want >= 0.80", rep.Top3)
	}
}
