package appointments

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

// TestEveryPageRenders opens every GET page of the module with example
// objects, in both languages, as staff: 200, one h1, no untranslated key.
func TestEveryPageRenders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		ctx := context.Background()
		l := s.office(3, func(st *Settings) { st.Protections = Protections{PoW: true, PoWDifficulty: 1000, RateLimits: true} })
		ll := s.office(1, func(st *Settings) { st.Strategy = Lottery })
		must(t, s.svc.SeedExamples(ctx, s.tenant.ID, Examples{Location: l.Ref, LotteryLocation: ll.Ref, Service: s.passport,
			Booking: "T-DEM0-0001", Ticket: "W-DEM0-0001", Entry: "Z-DEM0-0001", Waitlist: "V-DEM0-0001", Email: "paul@example.org"}))
		tok := func(purpose, r string) string { t, _ := s.svc.Token(ctx, s.tenant.ID, purpose, r); return t }
		sel := url.Values{"leistung": {s.passport + ":2"}}.Encode()
		start := at(1, "10:30").Format("2006-01-02T15:04:05-07:00")
		pages := []string{
			"/termine",
			"/termine/standorte/" + l.Ref,
			"/termine/standorte/" + l.Ref + "/kalender?" + sel,
			"/termine/standorte/" + l.Ref + "/kalender?" + sel + "&monat=2026-04",
			"/termine/standorte/" + ll.Ref + "/kalender?" + sel,
			"/termine/standorte/" + l.Ref + "/buchen?" + sel + "&" + url.Values{"beginn": {start}}.Encode(),
			"/termine/standorte/" + l.Ref + "/warteliste?" + sel,
			"/termine/leistungen/" + s.passport,
			"/termine/buchung/" + tok(PurposeManage, "T-DEM0-0001"),
			"/termine/buchung/" + tok(PurposeManage, "T-DEM0-0001") + "/umbuchen",
			"/termine/bestaetigen/" + tok(PurposeConfirm, "T-DEM0-0001"),
			"/termine/los/" + tok(PurposeLottery, "Z-DEM0-0001"),
			"/termine/warteliste/" + tok(PurposeWaitlist, "V-DEM0-0001"),
			"/termine/ticket/" + tok(PurposeTicket, "W-DEM0-0001"),
			"/termine/kiosk/" + l.Ref,
			"/termine/aufruf/" + l.Ref,
			"/verwaltung/termine",
			"/verwaltung/termine/standorte/" + l.Ref,
			"/verwaltung/termine/standorte/" + l.Ref + "/tag",
			"/verwaltung/termine/standorte/" + l.Ref + "/tag?datum=" + calDay(1).String(),
			"/verwaltung/termine/standorte/" + l.Ref + "/schalter?schalter=2",
			"/verwaltung/termine/kennzahlen",
		}
		h1 := regexp.MustCompile(`<h1[ >]`)
		for _, p := range pages {
			for _, lang := range []string{"de", "en"} {
				u := p + "&lang=" + lang
				if !strings.Contains(p, "?") {
					u = p + "?lang=" + lang
				}
				rec := s.do(t, "GET", u, s.admin, "")
				body := rec.Body.String()
				if rec.Code != http.StatusOK {
					t.Errorf("GET %s: %d %s", u, rec.Code, mainText(body))
					continue
				}
				if strings.Contains(body, "[appointments.") || strings.Contains(body, "[fault.") {
					t.Errorf("GET %s: untranslated key in %s", u, mainText(body))
				}
				if n := len(h1.FindAllString(body, -1)); n != 1 {
					t.Errorf("GET %s: %d h1", u, n)
				}
				if !strings.Contains(body, `lang="`+lang+`"`) {
					t.Errorf("GET %s: not in %s", u, lang)
				}
			}
		}
	})
}

// TestStaffPages: settings saved from the text lines (errors at the field
// with the line), a block takes free seats, cancelling a day tells
// everyone booked.
func TestStaffPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		l := s.office(1)
		v := settingsValues(l)
		v.Set("opening_hours", "Mo-Fr 08:00-12:00 2\nkaputt")
		rec := s.do(t, "POST", "/verwaltung/termine/standorte/"+l.Ref, s.admin, v.Encode())
		if rec.Code != 422 || !strings.Contains(rec.Body.String(), `href="#einstellung-opening_hours"`) || !strings.Contains(mainText(rec.Body.String()), "Zeile 2") {
			t.Fatalf("bad line: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		v.Set("opening_hours", "Mo-Fr 08:00-12:00 2\nSa 09:00-12:00 1")
		v.Set("exceptions", "2026-03-05 geschlossen Betriebsversammlung")
		rec = s.do(t, "POST", "/verwaltung/termine/standorte/"+l.Ref, s.admin, v.Encode())
		if rec.Code != 303 {
			t.Fatalf("save: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		got, err := s.svc.Location(context.Background(), s.tenant.ID, l.Ref)
		must(t, err)
		if len(got.Rules) != 2 || got.Rules[0].Desks != 2 || len(got.Exceptions) != 1 {
			t.Fatalf("saved %+v %+v", got.Rules, got.Exceptions)
		}
		list, err := s.svc.Slots(context.Background(), s.tenant.ID, SlotQuery{Location: l.Ref, Services: []ServiceCount{{s.passport, 1}}, From: calDay(3), To: calDay(5)})
		must(t, err)
		if list.Days[0].Status != "closed" || list.Days[1].Status != "open" || list.Days[2].Status != "open" {
			t.Fatalf("after saving: %s %s %s", list.Days[0].Status, list.Days[1].Status, list.Days[2].Status)
		}
		// Two bookings on Tuesday, one desk blocked 09:00–10:00.
		a := s.confirmed(t, got, at(1, "09:00"), "a@example.org")
		s.confirmed(t, got, at(1, "09:00"), "b@example.org")
		before, err := s.svc.Day(context.Background(), s.admin0(), s.tenant.ID, l.Ref, calDay(1))
		must(t, err)
		rec = s.do(t, "POST", "/verwaltung/termine/standorte/"+l.Ref+"/sperren", s.admin, url.Values{"date": {calDay(1).String()}, "from": {"09:00"}, "to": {"10:00"}, "desks": {"1"}, "reason": {"Schulung"}}.Encode())
		if rec.Code != 303 {
			t.Fatalf("block: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		// The booked seats at 09:00 stay; 09:15–09:45 lose a desk each.
		after, err := s.svc.Day(context.Background(), s.admin0(), s.tenant.ID, l.Ref, calDay(1))
		must(t, err)
		if before.Seats-after.Seats != 3 || after.Booked != 2 || len(after.Blocks) != 1 {
			t.Fatalf("seats %d → %d, booked %d, blocks %v", before.Seats, after.Seats, after.Booked, after.Blocks)
		}
		rec = s.do(t, "POST", "/verwaltung/termine/standorte/"+l.Ref+"/sperren", s.admin, url.Values{"date": {calDay(1).String()}, "from": {"10:00"}, "to": {"09:00"}, "desks": {"1"}}.Encode())
		if rec.Code != 422 || !strings.Contains(rec.Body.String(), `href="#sperre-to"`) {
			t.Fatalf("block ending before it starts: %d", rec.Code)
		}
		// Cancel Tuesday: both are told.
		rec = s.do(t, "POST", "/verwaltung/termine/standorte/"+l.Ref+"/tag-absagen", s.admin, url.Values{"date": {calDay(1).String()}}.Encode())
		if rec.Code != 422 {
			t.Fatalf("cancel without confirmation: %d", rec.Code)
		}
		rec = s.do(t, "POST", "/verwaltung/termine/standorte/"+l.Ref+"/tag-absagen", s.admin, url.Values{"date": {calDay(1).String()}, "confirm": {"yes"}, "note": {"Stromausfall"}}.Encode())
		if rec.Code != 303 {
			t.Fatalf("cancel day: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		if s.status(t, a.Ref) != StatusCancelled {
			t.Fatal("booking not cancelled")
		}
		s.runJobs(t)
		told := 0
		for _, m := range s.mails.msgs {
			if strings.Contains(m.Subject, "abgesagt") && strings.Contains(m.Text, "geschlossen") && !strings.Contains(m.Text, "Stromausfall") {
				told++
			}
		}
		if told != 2 {
			t.Fatalf("%d told", told)
		}
		// A citizen (no staff role) sees no staff page of the location.
		rec = s.do(t, "GET", "/verwaltung/termine/standorte/"+l.Ref+"/tag", "", "")
		if rec.Code != 303 {
			t.Fatalf("logged out: %d", rec.Code)
		}
	})
}
