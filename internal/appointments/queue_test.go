package appointments

import (
	"context"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

// TestEstimatedWait: a ticket's estimated wait is the minutes of the
// tickets ahead of it, shared by the counters that called in the last
// hour (one when none did).
func TestEstimatedWait(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		l := f.office(2)
		clk.Set(at(0, "08:30"))
		var refs []string
		for i := 0; i < 4; i++ { // Wohnsitzanmeldung: 30 minutes each
			tk, err := f.svc.WalkIn(ctx, f.admin, f.tenant.ID, l.Ref, []ServiceCount{{Service: f.address, Count: 1}})
			must(t, err)
			refs = append(refs, tk.Ref)
		}
		check := func(when string, want [][2]int) {
			t.Helper()
			for i, w := range want {
				tk, err := f.svc.Ticket(ctx, f.tenant.ID, refs[i])
				must(t, err)
				if w[0] >= 0 && (tk.Ahead != w[0] || tk.Wait != w[1]) {
					t.Errorf("%s: ticket %d ahead %d wait %d, want %d and %d", when, i+1, tk.Ahead, tk.Wait, w[0], w[1])
				}
			}
		}
		check("nobody called yet", [][2]int{{0, 0}, {1, 30}, {2, 60}, {3, 90}})
		for _, counter := range []string{"1", "2"} {
			if _, err := f.svc.CallNext(ctx, f.admin, f.tenant.ID, l.Ref, counter); err != nil {
				t.Fatal(err)
			}
		}
		// Two counters at work: tickets 3 and 4 wait for them together.
		check("two counters", [][2]int{{-1, 0}, {-1, 0}, {0, 0}, {1, 15}})
	})
}
