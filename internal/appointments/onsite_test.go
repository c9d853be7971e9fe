package appointments

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

// TestOnSiteQueue: check-in at the kiosk with the booking number, a
// walk-in ticket, "call next" at a counter (due appointments first), the
// call display as a page, as JSON and as a live event stream that shows a
// call made meanwhile; no-shows at the counter and by the sweep.
func TestOnSiteQueue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		l := s.office(2)
		ctx := context.Background()
		// Anna books 10:00 tomorrow and confirms; Ben 10:15.
		a, err := s.book(l, at(1, "10:00"), "anna@example.org")
		must(t, err)
		tok, _ := s.svc.Token(ctx, s.tenant.ID, PurposeConfirm, a.Ref)
		_, err = s.svc.Confirm(ctx, s.tenant.ID, tok)
		must(t, err)
		b, err := s.book(l, at(1, "10:15"), "ben@example.org")
		must(t, err)
		tok, _ = s.svc.Token(ctx, s.tenant.ID, PurposeConfirm, b.Ref)
		_, err = s.svc.Confirm(ctx, s.tenant.ID, tok)
		must(t, err)
		clk.Set(at(1, "09:40"))
		// Kiosk: unknown code, then Anna's number without the dashes.
		rec := s.do(t, "POST", "/termine/kiosk/"+l.Ref+"/anmelden", s.admin, url.Values{"code": {"T-0000-0000"}}.Encode())
		if rec.Code != 422 || !strings.Contains(mainText(rec.Body.String()), "keinen Termin") {
			t.Fatalf("unknown code: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		rec = s.do(t, "POST", "/termine/kiosk/"+l.Ref+"/anmelden", s.admin, url.Values{"code": {strings.ReplaceAll(strings.ToLower(a.Ref[2:]), "-", "")}}.Encode())
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("check-in: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		ticketA := rec.Header().Get("Location")
		rec = s.do(t, "POST", "/termine/kiosk/"+l.Ref+"/anmelden", s.admin, url.Values{"code": {a.Ref}}.Encode())
		if rec.Code != 422 {
			t.Fatalf("second check-in: %d", rec.Code)
		}
		// A walk-in draws a ticket before Anna's appointment is due.
		rec = s.do(t, "POST", "/termine/kiosk/"+l.Ref+"/ticket", s.admin, url.Values{"leistung": {s.address}}.Encode())
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("walk-in: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		ticketW := rec.Header().Get("Location")
		page := mainText(s.do(t, "GET", ticketW, "", "").Body.String())
		if !strings.Contains(page, "W 2") || !strings.Contains(page, "Vor Ihnen 0") {
			t.Fatalf("walk-in ticket: %s", page)
		}
		// The live stream starts before the call.
		srv := httptest.NewServer(s.h)
		defer srv.Close()
		LivePoll = 5 * time.Millisecond
		req, _ := http.NewRequest("GET", srv.URL+"/termine/aufruf/"+l.Ref+"/live", nil)
		req.Host = "musterstadt.test"
		req.Header.Set("Accept", "text/event-stream")
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		resp, err := http.DefaultClient.Do(req.WithContext(sctx))
		must(t, err)
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("live: %s", ct)
		}
		events := bufio.NewReader(resp.Body)
		next := func() string {
			for {
				line, err := events.ReadString('\n')
				if err != nil {
					t.Fatalf("stream: %v", err)
				}
				if strings.HasPrefix(line, "data: ") {
					return line
				}
			}
		}
		if first := next(); !strings.Contains(first, `"waiting":2`) {
			t.Fatalf("first event %s", first)
		}
		// 09:40: Anna's 10:00 is not due within five minutes: the walk-in first.
		rec = s.do(t, "POST", "/verwaltung/termine/standorte/"+l.Ref+"/aufrufen", s.admin, url.Values{"counter": {"3"}}.Encode())
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("call next: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		if ev := next(); !strings.Contains(ev, `"Number":"W 2","Counter":"3"`) {
			t.Fatalf("event after the call: %s", ev)
		}
		clk.Set(at(1, "09:56"))
		s.do(t, "POST", "/verwaltung/termine/standorte/"+l.Ref+"/aufrufen", s.admin, url.Values{"counter": {"3"}}.Encode())
		page = mainText(s.do(t, "GET", ticketA, "", "").Body.String())
		if !strings.Contains(page, "aufgerufen") || !strings.Contains(page, "Schalter 3") {
			t.Fatalf("Anna's ticket after the call: %s", page)
		}
		page = mainText(s.do(t, "GET", ticketW, "", "").Body.String())
		if !strings.Contains(page, "erledigt") {
			t.Fatalf("the counter's previous ticket is not done: %s", page)
		}
		rec = s.do(t, "GET", "/termine/aufruf/"+l.Ref, "", "")
		if rec.Code != 200 || rec.Header().Get("Refresh") == "" || !strings.Contains(mainText(rec.Body.String()), "T 1 3") {
			t.Fatalf("display page %d: %s", rec.Code, mainText(rec.Body.String()))
		}
		rec = s.do(t, "GET", "/termine/aufruf/"+l.Ref+"/live", "", "")
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("live without event-stream: %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		// Ben does not come: the sweep marks him 15 minutes after 10:15.
		clk.Set(at(1, "10:31"))
		rep, err := s.svc.Sweep(ctx)
		must(t, err)
		if rep.NoShows != 1 {
			t.Fatalf("no-shows %d", rep.NoShows)
		}
		var status string
		must(t, db.R.QueryRow(`SELECT status FROM appointment_bookings WHERE ref = $1`, b.Ref).Scan(&status))
		if status != StatusNoShow {
			t.Fatalf("Ben is %s", status)
		}
		// Anna is served.
		var aTicket string
		must(t, db.R.QueryRow(`SELECT t.ref FROM appointment_tickets t JOIN appointment_bookings b ON b.id = t.booking_id WHERE b.ref = $1`, a.Ref).Scan(&aTicket))
		rec = s.do(t, "POST", "/verwaltung/termine/tickets/"+aTicket+"/fertig", s.admin, "")
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("done: %d", rec.Code)
		}
		figs, err := s.svc.Figures(ctx, identity.System(s.tenant.ID), s.tenant.ID, l.Ref, calDay(1), calDay(1))
		must(t, err)
		if len(figs) != 1 || figs[0].Bookings != 2 || figs[0].NoShows != 1 || figs[0].WalkIns != 1 || figs[0].Served != 2 || figs[0].MaxWaitMinutes < 15 {
			t.Fatalf("figures %+v", figs)
		}
	})
}
