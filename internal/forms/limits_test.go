package forms

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

// TestAnonymousInputAndMailAreLimitedPerAddress: one address may start
// only so many anonymous drafts and mail only so many links, whatever
// drafts and recipients it spreads them over; another address is not
// affected.
func TestAnonymousInputAndMailAreLimitedPerAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		w.s.Limits = ratelimit.New(db, true)
		def, err := DemoForm("fundbuero")
		if err != nil {
			t.Fatal(err)
		}
		const lost = "L-LOST-PROP"
		f, err := w.s.CreateForm(ctx, w.manager, w.tenant.ID, NewForm{ServiceID: lost, Def: def})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.s.Publish(ctx, w.manager, w.tenant.ID, f.Ref, 1); err != nil {
			t.Fatal(err)
		}
		limited := func(err error) bool {
			var rl *fault.RateLimited
			return errors.As(err, &rl) && rl.RetryAfter > 0
		}
		stranger := Visitor{Addr: "203.0.113.9"}
		type draft struct{ ref, secret string }
		var drafts []draft
		for i := range anonymousDraftsPerAddress.Limit {
			d, secret, err := w.s.StartDraft(ctx, stranger, w.tenant.ID, lost, "de")
			if err != nil {
				t.Fatalf("anonymous draft %d: %v", i+1, err)
			}
			drafts = append(drafts, draft{d.Ref, secret})
		}
		if _, _, err := w.s.StartDraft(ctx, stranger, w.tenant.ID, lost, "de"); !limited(err) {
			t.Errorf("draft beyond the address's limit: %v", err)
		}
		if _, _, err := w.s.StartDraft(ctx, Visitor{Addr: "198.51.100.1"}, w.tenant.ID, lost, "de"); err != nil {
			t.Errorf("another address's draft: %v", err)
		}
		// Mail: spread over drafts (each under its own limit) and
		// recipients (each under theirs), the address's limit holds.
		sent := 0
		for i := 0; sent < mailPerAddress.Limit; i++ {
			d := drafts[i%len(drafts)]
			v := stranger
			v.Secret = d.secret
			if err := w.s.SendResumeLink(ctx, v, w.tenant.ID, d.ref, fmt.Sprintf("opfer%d@example.org", i), "https://x"); err != nil {
				t.Fatalf("mail %d: %v", i+1, err)
			}
			sent++
		}
		d := drafts[0]
		if err := w.s.SendResumeLink(ctx, Visitor{Addr: stranger.Addr, Secret: d.secret}, w.tenant.ID, d.ref, "noch-einer@example.org", "https://x"); !limited(err) {
			t.Errorf("mail beyond the address's limit: %v", err)
		}
		if err := w.s.SendResumeLink(ctx, Visitor{Addr: "198.51.100.1", Secret: d.secret}, w.tenant.ID, d.ref, "noch-einer@example.org", "https://x"); err != nil {
			t.Errorf("the same draft's owner from another address: %v", err)
		}
	})
}
