package appointments

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

func (s *site) confirmed(t *testing.T, l *Location, start time.Time, email string) *Booking {
	t.Helper()
	b, err := s.book(l, start, email)
	must(t, err)
	tok, _ := s.svc.Token(context.Background(), s.tenant.ID, PurposeConfirm, b.Ref)
	_, err = s.svc.Confirm(context.Background(), s.tenant.ID, tok)
	must(t, err)
	return b
}

func (s *site) status(t *testing.T, r string) string {
	t.Helper()
	var st string
	must(t, s.db.R.QueryRow(`SELECT status FROM appointment_bookings WHERE ref = $1`, r).Scan(&st))
	return st
}

// TestSweep: reminders with the calendar file, reconfirmation requests
// and the release of bookings not reconfirmed, days entering the horizon
// planned, personal data deleted after the retention period while the
// figures stay.
func TestSweep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		l := s.office(1, func(st *Settings) { st.ReconfirmDays, st.RetentionDays = 3, 7 })
		ctx := context.Background()
		kept := s.confirmed(t, l, at(4, "09:00"), "kim@example.org")    // Friday
		dropped := s.confirmed(t, l, at(4, "10:00"), "dan@example.org") // Friday
		s.runJobs(t)
		sent := len(s.mails.msgs)

		// Tuesday 10:00: three days before, both are asked to reconfirm.
		clk.Set(at(1, "10:00"))
		rep, err := s.svc.Sweep(ctx)
		must(t, err)
		if rep.ReconfirmRequests != 2 {
			t.Fatalf("reconfirm requests %d", rep.ReconfirmRequests)
		}
		s.runJobs(t)
		_, text := s.lastMail(t, "erneut")
		if links(text)["buchung"] == "" {
			t.Fatalf("reconfirmation request without the booking's link: %s", text)
		}
		tok, _ := s.svc.Token(ctx, s.tenant.ID, PurposeManage, kept.Ref)
		rec := s.do(t, "POST", "/termine/buchung/"+tok+"/wiederbestaetigen", "", "")
		if rec.Code != 303 {
			t.Fatalf("reconfirm: %d", rec.Code)
		}
		// Thursday 10:30: less than a day before both. Kim stays, Dan's is
		// released and mailed.
		clk.Set(at(3, "10:30"))
		rep, err = s.svc.Sweep(ctx)
		must(t, err)
		if rep.Released != 1 || s.status(t, dropped.Ref) != StatusCancelled || s.status(t, kept.Ref) != StatusConfirmed {
			t.Fatalf("release %+v: dan %s kim %s", rep, s.status(t, dropped.Ref), s.status(t, kept.Ref))
		}
		// Thursday 10:30 is also within the reminder's 24 hours of Kim's.
		if rep.Reminders != 1 {
			t.Fatalf("reminders %d", rep.Reminders)
		}
		s.runJobs(t)
		var reminder, released bool
		for _, m := range s.mails.msgs[sent:] {
			if strings.Contains(m.Subject, "Erinnerung") && m.To == "kim@example.org" && len(m.Attachments) == 1 {
				reminder = true
			}
			if strings.Contains(m.Subject, "abgesagt") && m.To == "dan@example.org" && strings.Contains(m.Text, "nicht rechtzeitig bestätigt") {
				released = true
			}
		}
		if !reminder || !released {
			t.Fatalf("reminder %v, release mail %v", reminder, released)
		}
		// Days entering the horizon get their seats.
		var before int
		db.R.QueryRow(`SELECT COUNT(*) FROM appointment_days`).Scan(&before)
		clk.Set(at(10, "00:30"))
		rep, err = s.svc.Sweep(ctx)
		must(t, err)
		if rep.Planned == 0 {
			t.Fatal("no new day planned")
		}
		// Kim was served? No: she is a no-show by now. A week after,
		// personal data goes, the figures stay.
		clk.Set(at(12, "00:00"))
		rep, err = s.svc.Sweep(ctx)
		must(t, err)
		if rep.Deleted != 2 {
			t.Fatalf("deleted %d", rep.Deleted)
		}
		var email, name, subject *string
		must(t, db.R.QueryRow(`SELECT email, name, subject_hash FROM appointment_bookings WHERE ref = $1`, kept.Ref).Scan(&email, &name, &subject))
		if email != nil || name != nil || subject != nil {
			t.Fatal("personal data kept")
		}
		figs, err := s.svc.Figures(ctx, identity.System(s.tenant.ID), s.tenant.ID, l.Ref, calDay(4), calDay(4))
		must(t, err)
		if len(figs) != 1 || figs[0].Bookings != 1 || figs[0].NoShows != 1 || figs[0].Cancellations != 1 {
			t.Fatalf("figures after deletion %+v", figs)
		}
	})
}

// TestWaitlist: a wish confirmed by e-mail is offered a cancelled seat
// with a hold; an offer not taken passes to the next wish.
func TestWaitlist(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		l := s.office(1, func(st *Settings) {
			st.Rules = []Rule{{Weekdays: []int{1, 2, 3, 4, 5}, Opens: "09:00", Closes: "09:15", Desks: 1}}
		})
		ctx := context.Background()
		taken := s.confirmed(t, l, at(2, "09:00"), "first@example.org")
		join := func(email string) *WaitlistEntry {
			e, err := s.svc.JoinWaitlist(ctx, identity.Principal{}, s.tenant.ID, WaitlistRequest{Location: l.Ref, Services: []ServiceCount{{Service: s.passport, Count: 1}},
				From: calDay(2), To: calDay(2), Email: email, BaseURL: "https://termine.example"})
			must(t, err)
			return e
		}
		w1 := join("wish1@example.org")
		clk.Advance(time.Minute)
		w2 := join("wish2@example.org")
		if _, err := s.svc.JoinWaitlist(ctx, identity.Principal{}, s.tenant.ID, WaitlistRequest{Location: l.Ref, Services: []ServiceCount{{Service: s.passport, Count: 1}},
			From: calDay(1), To: calDay(3), Email: "wish1@example.org"}); !hasCode(err, "email", "waitlist_already_registered") {
			t.Fatalf("second wish of the same person: %v", err)
		}
		s.runJobs(t)
		for _, w := range []*WaitlistEntry{w1, w2} {
			rec := s.do(t, "POST", "/termine/warteliste/"+w.Token+"/bestaetigen", "", "")
			if rec.Code != 303 {
				t.Fatalf("confirm wish: %d", rec.Code)
			}
		}
		// The day is full: no offer yet.
		s.runJobs(t)
		if e, _ := s.svc.WaitlistByToken(ctx, s.tenant.ID, w1.Token); e.Status != "active" {
			t.Fatalf("wish 1 is %s", e.Status)
		}
		// The seat frees up: wish 1 (older) gets an offer held for some hours.
		tok, _ := s.svc.Token(ctx, s.tenant.ID, PurposeManage, taken.Ref)
		_, err := s.svc.CancelByToken(ctx, s.tenant.ID, tok)
		must(t, err)
		s.runJobs(t)
		e1, _ := s.svc.WaitlistByToken(ctx, s.tenant.ID, w1.Token)
		if e1.Status != "offered" || e1.Booking == "" {
			t.Fatalf("wish 1 after the cancellation: %+v", e1)
		}
		_, text := s.lastMail(t, "Warteliste")
		if !strings.Contains(text, "reserviert") || links(text)["bestaetigen"] == "" {
			t.Fatalf("offer mail: %s", text)
		}
		// Wish 1 lets the offer lapse: after the hold wish 2 gets it.
		clk.Advance(OfferHours*time.Hour + time.Minute)
		_, err = s.svc.Sweep(ctx)
		must(t, err)
		s.runJobs(t)
		e2, _ := s.svc.WaitlistByToken(ctx, s.tenant.ID, w2.Token)
		if e2.Status != "offered" {
			t.Fatalf("wish 2 after the lapse: %+v", e2)
		}
		// Wish 2 accepts through the offer's confirmation link.
		ctok, _ := s.svc.Token(ctx, s.tenant.ID, PurposeConfirm, e2.Booking)
		if _, err := s.svc.Confirm(ctx, s.tenant.ID, ctok); err != nil {
			t.Fatal(err)
		}
		if s.status(t, e2.Booking) != StatusConfirmed {
			t.Fatal("offer not booked")
		}
		var n int
		must(t, db.R.QueryRow(DoubleBookingsQuery).Scan(&n))
		if n != 0 {
			t.Fatalf("double bookings %d", n)
		}
	})
}
