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
	"github.com/rathaus/rathaus/internal/platform/pow"
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
		lost := limitedLostProperty(t, ctx, db, w)
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

// TestManyAddressesCannotLockOutAnonymousApplicants: strangers with many
// addresses (each a different IPv6 /64, each within its own limit) use up
// the hour's free anonymous drafts; a genuine applicant is then not refused
// but asked for a solved challenge, and gets through with it. A solution
// counts once, the challenge grows dearer with every block of paid drafts
// (so what strangers store stays bounded by what they compute), and mail
// stays limited per recipient whatever draft it is sent from.
func TestManyAddressesCannotLockOutAnonymousApplicants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		lost := limitedLostProperty(t, ctx, db, w)
		if costs, err := w.s.AnonymousStartCosts(ctx, w.tenant.ID); err != nil || costs {
			t.Fatalf("a quiet hour: costs=%v err=%v", costs, err)
		}
		type draft struct{ ref, secret, addr string }
		var drafts []draft
		for i := 0; len(drafts) < anonymousDrafts.Limit; i++ {
			addr := fmt.Sprintf("2001:db8:%x::%x", i/anonymousDraftsPerAddress.Limit, i%anonymousDraftsPerAddress.Limit+1)
			d, secret, err := w.s.StartDraft(ctx, Visitor{Addr: addr}, w.tenant.ID, lost, "de")
			if err != nil {
				t.Fatalf("stranger's draft %d from %s: %v", i+1, addr, err)
			}
			drafts = append(drafts, draft{d.Ref, secret, addr})
		}
		costs, err := w.s.AnonymousStartCosts(ctx, w.tenant.ID)
		if err != nil || !costs {
			t.Fatalf("after the free drafts: costs=%v err=%v", costs, err)
		}
		genuine := Visitor{Addr: "198.51.100.77"}
		if _, _, err := w.s.StartDraft(ctx, genuine, w.tenant.ID, lost, "de"); !fault.HasCode(err, "pow", "challenge_required") {
			t.Fatalf("genuine applicant without a solution: %v, want challenge_required", err)
		}
		c, err := w.s.Challenge(ctx, w.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.MaxNumber != PoWBaseDifficulty {
			t.Errorf("first challenge costs %d, want %d", c.MaxNumber, PoWBaseDifficulty)
		}
		n, ok := pow.Solve(c)
		if !ok {
			t.Fatal("challenge not solvable")
		}
		genuine.PoW = c.Encode(n)
		d, secret, err := w.s.StartDraft(ctx, genuine, w.tenant.ID, lost, "de")
		if err != nil || d == nil || secret == "" {
			t.Fatalf("genuine applicant with a solution: %v", err)
		}
		if _, _, err := w.s.StartDraft(ctx, Visitor{Addr: "198.51.100.78", PoW: genuine.PoW}, w.tenant.ID, lost, "de"); !fault.HasCode(err, "pow", "challenge_replayed") {
			t.Errorf("the same solution again: %v, want challenge_replayed", err)
		}
		bad := c.Encode(n + 1)
		if _, _, err := w.s.StartDraft(ctx, Visitor{Addr: "198.51.100.79", PoW: bad}, w.tenant.ID, lost, "de"); !fault.HasCode(err, "pow", "challenge_invalid") {
			t.Errorf("a wrong solution: %v, want challenge_invalid", err)
		}
		// A signed-in person never pays.
		if _, _, err := w.s.StartDraft(ctx, Visitor{P: w.citizen}, w.tenant.ID, lost, "de"); err != nil {
			t.Errorf("signed-in person: %v", err)
		}
		// The per-address limit still holds for paying strangers.
		if _, _, err := w.s.StartDraft(ctx, Visitor{Addr: drafts[0].addr, PoW: solved(t, w.s, w.tenant.ID)}, w.tenant.ID, lost, "de"); !isLimited(err) {
			t.Errorf("a used-up /64 with a solution: %v, want rate-limited", err)
		}
		// Every block of paid drafts doubles the cost.
		for i := 1; i < anonymousDrafts.Limit; i++ {
			v := Visitor{Addr: fmt.Sprintf("2001:db8:ffff:%x::1", i/anonymousDraftsPerAddress.Limit), PoW: solvedCheap(t, w.s, w.tenant.ID)}
			if _, _, err := w.s.StartDraft(ctx, v, w.tenant.ID, lost, "de"); err != nil {
				t.Fatalf("paid draft %d: %v", i+1, err)
			}
		}
		if c, err := w.s.Challenge(ctx, w.tenant.ID); err != nil || c.MaxNumber != 2*PoWBaseDifficulty {
			t.Errorf("after %d paid drafts a challenge costs %d (%v), want %d", anonymousDrafts.Limit, c.MaxNumber, err, 2*PoWBaseDifficulty)
		}
		if got := powDifficulty(1e9); got != PoWMaxDifficulty {
			t.Errorf("difficulty at any load = %d, want at most %d", got, PoWMaxDifficulty)
		}
		// Mail: however many drafts strangers hold, one recipient gets
		// only mailPerRecipient.Limit links an hour.
		sent := 0
		for _, x := range drafts[:2*mailPerRecipient.Limit] {
			if err := w.s.SendResumeLink(ctx, Visitor{Addr: x.addr, Secret: x.secret}, w.tenant.ID, x.ref, "opfer@example.org", "https://x"); err == nil {
				sent++
			} else if !isLimited(err) {
				t.Fatal(err)
			}
		}
		if sent != mailPerRecipient.Limit {
			t.Errorf("one recipient got %d links from strangers' drafts, want %d", sent, mailPerRecipient.Limit)
		}
	})
}

func isLimited(err error) bool {
	var rl *fault.RateLimited
	return errors.As(err, &rl) && rl.RetryAfter > 0
}

func solved(t *testing.T, s *Service, tenantID int64) string {
	t.Helper()
	c, err := s.Challenge(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	n, ok := pow.Solve(c)
	if !ok {
		t.Fatal("challenge not solvable")
	}
	return c.Encode(n)
}

// solvedCheap solves a challenge the service would issue, signed with the
// tenant's key but small, so that hundreds of paid drafts stay quick to test.
func solvedCheap(t *testing.T, s *Service, tenantID int64) string {
	t.Helper()
	key, err := s.powKey(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	c := pow.NewChallenge(key, powScope, 10, s.DB.Clock.Now())
	n, _ := pow.Solve(c)
	return c.Encode(n)
}

// limitedLostProperty switches the rate limits on and publishes the demo's
// lost-property form (open to anonymous applicants); it returns its service.
func limitedLostProperty(t *testing.T, ctx context.Context, db *database.DB, w *world) string {
	t.Helper()
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
	return lost
}
