package identity

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

// TestMailIsRateLimited: nobody can send a person more than a few mails an
// hour through resets and registrations — not from one address, not from
// many — and one address cannot mail many people; nothing is enqueued for
// a refused request, and the limits say when to come back.
func TestMailIsRateLimited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		w.s.Limiter = ratelimit.New(db, true)
		if _, err := w.s.CreateCitizen(ctx, System(w.t.ID), w.t.ID, "citizen", "paul@example.org", "Paul", "pauls-passwort-12"); err != nil {
			t.Fatal(err)
		}
		mails := func() int {
			list, err := jobs.ListTenant(ctx, db, w.t.ID, "queued", 500)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, j := range list {
				if j.Kind == mail.JobKind {
					n++
				}
			}
			return n
		}
		limited := func(err error) bool {
			var rl *fault.RateLimited
			return errors.As(err, &rl) && rl.RetryAfter > 0 && rl.RetryAfter <= time.Hour+time.Second
		}
		// Many addresses, one recipient (with or without an account).
		for _, victim := range []string{"paul@example.org", "niemand@example.org"} {
			for i := range MailPerRecipient.Limit {
				if err := w.s.RequestPasswordReset(ctx, w.t, victim, "https://x", fmt.Sprintf("198.51.100.%d", i)); err != nil {
					t.Fatalf("reset %d for %s: %v", i+1, victim, err)
				}
			}
			if err := w.s.RequestPasswordReset(ctx, w.t, victim, "https://x", "203.0.113.1"); !limited(err) {
				t.Errorf("reset beyond the recipient's limit for %s: %v", victim, err)
			}
			reg := RegisterInput{Kind: "citizen", Email: victim, Name: "X", Password: "lange-geheime-phrase", Addr: "203.0.113.2"}
			if err := w.s.Register(ctx, w.t, reg, "https://x"); !limited(err) {
				t.Errorf("registration beyond the recipient's limit for %s: %v", victim, err)
			}
		}
		// One address, many recipients.
		before := mails()
		for i := range MailPerAddress.Limit {
			if err := w.s.RequestPasswordReset(ctx, w.t, fmt.Sprintf("p%d@example.org", i), "https://x", "192.0.2.9"); err != nil {
				t.Fatalf("reset %d: %v", i+1, err)
			}
		}
		if err := w.s.RequestPasswordReset(ctx, w.t, "p99@example.org", "https://x", "192.0.2.9"); !limited(err) {
			t.Errorf("reset beyond the address's limit: %v", err)
		}
		if err := w.s.Register(ctx, w.t, RegisterInput{Kind: "citizen", Email: "neu@example.org", Name: "X", Password: "lange-geheime-phrase", Addr: "192.0.2.9"}, "https://x"); !limited(err) {
			t.Errorf("registration beyond the address's limit: %v", err)
		}
		if got := mails() - before; got != 0 {
			t.Errorf("%d mails enqueued for unknown addresses (want 0: no account, no mail)", got)
		}
		// Only Paul has an account: 5 reset mails, nothing more.
		if got := mails(); got != MailPerRecipient.Limit {
			t.Errorf("%d mails queued, want %d", got, MailPerRecipient.Limit)
		}
		// An hour later the recipient may get mail again.
		clk.Advance(2 * time.Hour)
		if err := w.s.RequestPasswordReset(ctx, w.t, "paul@example.org", "https://x", "203.0.113.1"); err != nil {
			t.Errorf("reset after the window: %v", err)
		}
		// Confirmation links: one address cannot try them endlessly.
		for range VerifyPerAddress.Limit {
			if err := w.s.VerifyEmail(ctx, w.t.ID, "geraten", "192.0.2.77"); !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("guessed confirmation: %v", err)
			}
		}
		if err := w.s.VerifyEmail(ctx, w.t.ID, "geraten", "192.0.2.77"); !limited(err) {
			t.Errorf("confirmation beyond the limit: %v", err)
		}
	})
}
