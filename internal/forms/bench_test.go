package forms

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

// BenchmarkSubmit is the whole submission use case on SQLite with the
// directory blob store: validation, receipt PDF and JSON, both blobs
// written (fsync), one transaction with the application, blob references,
// audit entry and forms.submitted job. "parallel16" runs it from 16 goroutines
// per CPU, as concurrent API clients would.
func BenchmarkSubmit(b *testing.B) {
	clk := clock.NewFake(dbtest.Epoch)
	db := dbtest.OpenSQLite(b, clk)
	w := newWorldTB(b, db, clk)
	ctx := context.Background()
	var n atomic.Int64
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: dogService, Answers: DogTaxAnswers(int(n.Add(1))), Strict: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel16", func(b *testing.B) {
		// 16 concurrent submitters per CPU: blob fsyncs of different
		// submissions overlap, the SQLite writer serialises the
		// transactions.
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: dogService, Answers: DogTaxAnswers(int(n.Add(1))), Strict: true}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
