package appointments

import (
	"context"
	"fmt"
	"sync"
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

// TestCountersRaceForTheNextTicket: counters pressing "call next" at the
// same moment each get a ticket of their own; no ticket is called twice.
func TestCountersRaceForTheNextTicket(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		l := f.office(2)
		clk.Set(at(0, "08:30"))
		const n = 12 // more counters than a fixed number of retries would serve
		for i := 0; i < n; i++ {
			if _, err := f.svc.WalkIn(ctx, f.admin, f.tenant.ID, l.Ref, []ServiceCount{{Service: f.passport, Count: 1}}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		got := map[string]string{}
		var wg sync.WaitGroup
		for c := 0; c < n; c++ {
			wg.Go(func() {
				tk, err := f.svc.CallNext(ctx, f.admin, f.tenant.ID, l.Ref, fmt.Sprint(c+1))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Errorf("counter %d: %v", c+1, err)
				case tk == nil:
					t.Errorf("counter %d got nobody with %d waiting", c+1, n)
				case got[tk.Ref] != "":
					t.Errorf("ticket %s called by counters %s and %d", tk.Ref, got[tk.Ref], c+1)
				default:
					got[tk.Ref] = fmt.Sprint(c + 1)
				}
			})
		}
		wg.Wait()
		if len(got) != n {
			t.Fatalf("%d distinct tickets called, want %d", len(got), n)
		}
		if k := f.count(t, `SELECT COUNT(*) FROM appointment_tickets WHERE status = 'called'`); k != n {
			t.Fatalf("%d tickets called in the database", k)
		}
	})
}
