package inbox

import (
	"context"
	"fmt"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

// BenchmarkSubmit is the intake of one XRechnung (validation by the
// official rules, parsing, duplicate check, routing, blob and row in one
// transaction) on SQLite.
func BenchmarkSubmit(b *testing.B) {
	clk := clock.NewFake(dbtest.Epoch)
	w := newWorldTB(b, dbtest.OpenSQLite(b, clk), clk)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		data := SampleXML(DefaultSample(fmt.Sprintf("BENCH-%d", i)))
		if _, err := w.s.Submit(ctx, w.token, w.t.ID, Submission{Channel: ChannelAPI, Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
}
