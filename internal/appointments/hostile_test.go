package appointments

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

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

// TestReplayedAndForeignLinks: links are signed per tenant and purpose and
// name their state, not a capability to resurrect it: a link of another
// municipality is nothing here; a confirmation link opened after the
// cancellation does not bring the booking back; a cancelled or expired
// booking cannot be moved; a second cancellation changes nothing and
// sends nothing.
func TestReplayedAndForeignLinks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		l := f.office(1)
		other, err := f.svc.Identity.CreateTenant(ctx, identity.Tenant{Slug: "nachbarstadt", Name: "Nachbarstadt", Hosts: []string{"nachbarstadt.test"},
			Settings: identity.Settings{FederalState: "BY"}})
		must(t, err)
		b, err := f.book(l, at(1, "09:00"), "paula@example.org")
		must(t, err)
		manage, _ := f.svc.Token(ctx, f.tenant.ID, PurposeManage, b.Ref)
		confirm, _ := f.svc.Token(ctx, f.tenant.ID, PurposeConfirm, b.Ref)
		// The same reference signed by the other tenant's key, and our
		// links presented to the other tenant: refused.
		foreign, _ := f.svc.Token(ctx, other.ID, PurposeManage, b.Ref)
		if _, err := f.svc.CancelByToken(ctx, f.tenant.ID, foreign); !errors.Is(err, ErrBadLink) {
			t.Errorf("other tenant's signature: %v", err)
		}
		for name, call := range map[string]func() error{
			"cancel":  func() error { _, err := f.svc.CancelByToken(ctx, other.ID, manage); return err },
			"confirm": func() error { _, err := f.svc.Confirm(ctx, other.ID, confirm); return err },
			"rebook":  func() error { _, err := f.svc.RebookByToken(ctx, other.ID, manage, at(1, "10:00")); return err },
		} {
			if err := call(); !errors.Is(err, ErrBadLink) && !errors.Is(err, ErrNotFound) {
				t.Errorf("%s with our link at the other tenant: %v", name, err)
			}
		}
		if s := f.statusOf(t, b.Ref); s != StatusHeld {
			t.Fatalf("after foreign attempts: %s", s)
		}
		// Cancel, then replay every link.
		if _, err := f.svc.CancelByToken(ctx, f.tenant.ID, manage); err != nil {
			t.Fatal(err)
		}
		mails := f.count(t, `SELECT COUNT(*) FROM jobs WHERE kind = $1`, MailJob)
		if _, err := f.svc.CancelByToken(ctx, f.tenant.ID, manage); err != nil {
			t.Errorf("second cancellation: %v", err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM jobs WHERE kind = $1`, MailJob); n != mails {
			t.Errorf("second cancellation enqueued %d more mails", n-mails)
		}
		if _, err := f.svc.Confirm(ctx, f.tenant.ID, confirm); !errors.Is(err, ErrNotActive) {
			t.Errorf("confirmation after the cancellation: %v", err)
		}
		if _, err := f.svc.RebookByToken(ctx, f.tenant.ID, manage, at(1, "10:00")); !errors.Is(err, ErrNotActive) {
			t.Errorf("rebooking a cancelled booking: %v", err)
		}
		if s := f.statusOf(t, b.Ref); s != StatusCancelled {
			t.Fatalf("after the replays: %s", s)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM appointment_claims WHERE booking_ref = $1`, b.Ref); n != 0 {
			t.Fatalf("a cancelled booking holds %d seats", n)
		}
		// An expired hold cannot be moved into a fresh hold either.
		c, err := f.book(l, at(1, "11:00"), "carl@example.org")
		must(t, err)
		clk.Advance(time.Duration(l.HoldMinutes+1) * time.Minute)
		cm, _ := f.svc.Token(ctx, f.tenant.ID, PurposeManage, c.Ref)
		cc, _ := f.svc.Token(ctx, f.tenant.ID, PurposeConfirm, c.Ref)
		if _, err := f.svc.Confirm(ctx, f.tenant.ID, cc); !errors.Is(err, ErrHoldExpired) {
			t.Errorf("late confirmation: %v", err)
		}
		if _, err := f.svc.RebookByToken(ctx, f.tenant.ID, cm, at(1, "11:30")); !errors.Is(err, ErrNotActive) {
			t.Errorf("moving an expired hold: %v", err)
		}
	})
}

func (f *fixture) statusOf(t *testing.T, r string) string {
	t.Helper()
	var s string
	must(t, f.db.R.QueryRow(`SELECT status FROM appointment_bookings WHERE ref = $1`, r).Scan(&s))
	return s
}

func (f *fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	must(t, f.db.R.QueryRow(q, args...).Scan(&n))
	return n
}

// TestLiveStreamsAreBounded: the call display's event stream is public
// and long-lived; beyond the process's bound a request gets the JSON
// snapshot (the page refreshes), and a closed stream frees its slot.
func TestLiveStreamsAreBounded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		s.handler.LiveStreams = 1
		l := s.office(1)
		srv := httptest.NewServer(s.h)
		defer srv.Close()
		open := func(ctx context.Context) *http.Response {
			t.Helper()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/termine/aufruf/"+l.Ref+"/live", nil)
			req.Host = "musterstadt.test"
			req.Header.Set("Accept", "text/event-stream")
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			return resp
		}
		ctx1, cancel1 := context.WithCancel(context.Background())
		defer cancel1() // before srv.Close, which waits for open streams
		first := open(ctx1)
		if ct := first.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("first stream: %s", ct)
		}
		ctx2, cancel2 := context.WithCancel(context.Background())
		defer cancel2()
		second := open(ctx2)
		cancel2()
		second.Body.Close()
		if ct := second.Header.Get("Content-Type"); second.StatusCode != 200 || ct != "application/json" {
			t.Fatalf("beyond the bound: %d %s, want the JSON snapshot", second.StatusCode, ct)
		}
		cancel1()
		first.Body.Close()
		for deadline := time.Now().Add(10 * time.Second); ; {
			ctx, cancel := context.WithCancel(context.Background())
			resp := open(ctx)
			ct := resp.Header.Get("Content-Type")
			cancel()
			resp.Body.Close()
			if ct == "text/event-stream" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the closed stream's slot was never freed")
			}
			time.Sleep(20 * time.Millisecond) // polling the server's notice of the disconnect
		}
	})
}
