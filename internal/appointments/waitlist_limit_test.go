package appointments

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// TestWaitlistIsLimitedPerAddress: every anonymous wish mails a
// confirmation link, so one address may enter only so many — whatever
// addresses it types in; another address is not affected.
func TestWaitlistIsLimitedPerAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		l := s.office(1, func(st *Settings) { st.Protections = Protections{RateLimits: true} })
		ctx := context.Background()
		join := func(addr string, i int) error {
			_, err := s.svc.JoinWaitlist(ctx, identity.Principal{}, s.tenant.ID, WaitlistRequest{Location: l.Ref, Services: []ServiceCount{{Service: s.passport, Count: 1}},
				From: calDay(2), To: calDay(2), Email: fmt.Sprintf("opfer%d@example.org", i), BaseURL: "https://termine.example", ClientAddr: addr})
			return err
		}
		for i := range RuleWaitlistAddr.Limit {
			if err := join("203.0.113.5", i); err != nil {
				t.Fatalf("wish %d: %v", i+1, err)
			}
		}
		var rl *fault.RateLimited
		if err := join("203.0.113.5", 99); !errors.As(err, &rl) {
			t.Errorf("wish beyond the address's limit: %v, want rate limited", err)
		}
		if err := join("198.51.100.5", 100); err != nil {
			t.Errorf("another address's wish: %v", err)
		}
	})
}
