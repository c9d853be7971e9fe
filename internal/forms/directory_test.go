package forms

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

// TestUsagePerMonth: the directory's figures count each form's
// submissions per calendar month in Berlin over the last twelve months;
// older ones drop out; only form managers see them.
func TestUsagePerMonth(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		submitAt := func(at time.Time, n int) {
			t.Helper()
			clk.Set(at)
			if _, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: dogService, Answers: DogTaxAnswers(n)}); err != nil {
				t.Fatal(err)
			}
		}
		submitAt(time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC), 1)  // thirteen months before: out
		submitAt(time.Date(2025, 3, 31, 21, 30, 0, 0, time.UTC), 2) // 31 March, 23:30 in Berlin: March
		submitAt(time.Date(2025, 3, 31, 22, 30, 0, 0, time.UTC), 3) // 1 April, 00:30 in Berlin: April
		submitAt(time.Date(2026, 2, 10, 8, 0, 0, 0, time.UTC), 4)
		submitAt(time.Date(2026, 2, 28, 23, 30, 0, 0, time.UTC), 5) // 1 March in Berlin
		submitAt(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), 6)
		u, err := w.s.Usage(ctx, w.manager, w.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := u[w.form]
		if got == nil {
			t.Fatalf("no usage for %s: %+v", w.form, u)
		}
		counts := map[string]int{}
		for _, m := range got.Months {
			counts[m.Month] = m.Count
		}
		want := map[string]int{"2025-04": 1, "2025-05": 0, "2025-06": 0, "2025-07": 0, "2025-08": 0, "2025-09": 0, "2025-10": 0, "2025-11": 0, "2025-12": 0,
			"2026-01": 0, "2026-02": 1, "2026-03": 2}
		if diff := cmp.Diff(want, counts); diff != "" || got.Total != 4 || got.Months[0].Month != "2025-04" || got.Months[11].Month != "2026-03" {
			t.Errorf("usage (total %d, -want +got):\n%s", got.Total, diff)
		}
		if _, err := w.s.Usage(ctx, w.citizen, w.tenant.ID); err == nil {
			t.Error("a citizen reads the usage figures")
		}
	})
}
