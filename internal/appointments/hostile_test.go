package appointments

import (
	"context"
	"testing"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// TestLotteryCannotBeBypassed: while a day's lottery window runs, its
// seats go only through the draw. A booking of an earlier day, moved by
// its manage link into the window's day, would take a seat first come —
// exactly what the lottery is there to prevent — so the move is refused;
// after the draw it is allowed. The waitlist does not take seats of the
// window either.
func TestLotteryCannotBeBypassed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newSite(t, db, clk)
		ctx := context.Background()
		l := f.office(1, func(st *Settings) {
			st.Strategy, st.LotteryMinutes = Lottery, 600
			st.Rules = []Rule{{Weekdays: []int{1, 2, 3, 4, 5}, Opens: "08:00", Closes: "09:00", Desks: 1}}
		})
		clk.Set(at(0, "09:30")) // day 7 released at 00:00, its window runs until 10:00
		b, err := f.book(l, at(1, "08:00"), "bot@example.org")
		if err != nil {
			t.Fatalf("book day 1 (first come, its window is long over): %v", err)
		}
		tok, _ := f.svc.Token(ctx, f.tenant.ID, PurposeManage, b.Ref)
		if _, err := f.svc.RebookByToken(ctx, f.tenant.ID, tok, at(7, "08:00")); !fault.HasCode(err, "start", "lottery_running") {
			t.Fatalf("move into the lottery window: %v, want start lottery_running", err)
		}
		var claims int
		must(t, db.R.QueryRow(`SELECT COUNT(*) FROM appointment_claims c JOIN appointment_bookings b ON b.ref = c.booking_ref WHERE b.ref = $1 AND c.starts_at = $2`,
			b.Ref, at(7, "08:00").UTC()).Scan(&claims))
		if claims != 0 {
			t.Fatal("the refused move claimed a seat of the lottery day")
		}
		// A waitlist wish for the lottery day is not served from its seats
		// before the draw.
		w, err := f.svc.JoinWaitlist(ctx, identity.Principal{}, f.tenant.ID, WaitlistRequest{Location: l.Ref, Services: []ServiceCount{{Service: f.passport, Count: 1}},
			From: calDay(7), To: calDay(7), Email: "wish@example.org", BaseURL: "https://termine.example"})
		must(t, err)
		if rec := f.do(t, "POST", "/termine/warteliste/"+w.Token+"/bestaetigen", "", ""); rec.Code != 303 {
			t.Fatalf("confirm wish: %d", rec.Code)
		}
		if made, err := f.svc.Offer(ctx, f.tenant.ID, l.id, calDay(7)); err != nil || made != 0 {
			t.Fatalf("waitlist offers in the window: %d %v", made, err)
		}
		clk.Set(at(0, "10:01"))
		moved, err := f.svc.RebookByToken(ctx, f.tenant.ID, tok, at(7, "08:00"))
		if err != nil || !moved.Start.Equal(at(7, "08:00")) {
			t.Fatalf("move after the window: %v", err)
		}
	})
}
