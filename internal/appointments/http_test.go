package appointments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// site is the module mounted as the composition root mounts it.
type site struct {
	*fixture
	h       http.Handler
	handler *Handler
	admin   string // API token of an admin
	texts   *i18n.Catalog
}

func newSite(t *testing.T, db *database.DB, clk *clock.Fake) *site {
	t.Helper()
	f := newFixture(t, db, clk)
	cat := texts(t)
	if err := cat.Check(); err != nil {
		t.Fatal(err)
	}
	r, err := web.NewRenderer(cat, web.NewAssets())
	if err != nil {
		t.Fatal(err)
	}
	if err := AddTemplates(r); err != nil {
		t.Fatal(err)
	}
	ids := &identity.Handler{Svc: f.svc.Identity}
	rt := web.NewRouter(nil)
	rt.SetCatalog(cat)
	h := &Handler{Svc: f.svc, Identity: ids, Pages: r, BaseURL: func(*http.Request) string { return "https://termine.example" }}
	h.Routes(rt)
	secret := "rh_test_admin_" + strings.ReplaceAll(t.Name(), "/", "_")
	if _, _, err := f.svc.Identity.CreateToken(context.Background(), f.admin, f.tenant.ID, identity.RoleAdmin, "admin-"+strings.ReplaceAll(t.Name(), "/", "-"), secret); err != nil {
		t.Fatal(err)
	}
	return &site{fixture: f, h: ids.TenantMiddleware(rt), handler: h, admin: secret, texts: cat}
}

func (s *site) do(t *testing.T, method, target, tok, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "http://musterstadt.test"+target, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.7:4711"
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if method == http.MethodPost && !strings.HasPrefix(target, "/api/") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

// runJobs runs every due job of the module (mails, draws, offers).
func (s *site) runJobs(t *testing.T) {
	t.Helper()
	q := jobs.New(s.db, quietLog())
	q.Register(MailJob, s.svc.MailHandler(s.texts))
	q.Register(DrawJob, s.svc.DrawHandler())
	q.Register(OfferJob, s.svc.OfferHandler())
	for i := 0; i < 1000; i++ {
		err := q.RunOnce(context.Background())
		if errors.Is(err, jobs.ErrNoJob) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("jobs never ran out")
}

var linkRE = regexp.MustCompile(`https://termine\.example(/termine/[a-z]+/[A-Za-z0-9._-]+)`)

// links returns the paths of the links in a mail, by their first segment
// after /termine/ ("bestaetigen", "buchung").
func links(text string) map[string]string {
	out := map[string]string{}
	for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
		seg := strings.Split(m[1], "/")[2]
		if _, dup := out[seg]; !dup {
			out[seg] = m[1]
		}
	}
	return out
}

func (s *site) lastMail(t *testing.T, subjectPart string) (int, string) {
	t.Helper()
	for i := len(s.mails.msgs) - 1; i >= 0; i-- {
		if strings.Contains(s.mails.msgs[i].Subject, subjectPart) {
			return i, s.mails.msgs[i].Text
		}
	}
	t.Fatalf("no mail with %q among %d", subjectPart, len(s.mails.msgs))
	return 0, ""
}

func mainText(body string) string {
	i, j := strings.Index(body, "<main"), strings.Index(body, "</main>")
	if i < 0 || j < i {
		return body
	}
	txt := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(body[i:j], " ")
	return strings.Join(strings.Fields(txt), " ")
}

// TestCitizenJourneyWithoutJavaScript: choose a service, see the month,
// pick a time, book with the plain form (no challenge solved: the booking
// is held), confirm through the mail's link, get the calendar file,
// rebook, cancel — every step a page with links and buttons only.
func TestCitizenJourneyWithoutJavaScript(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		l := s.office(2, func(st *Settings) { st.Protections = Protections{PoW: true, PoWDifficulty: 1000, RateLimits: true} })
		rec := s.do(t, "GET", "/termine", "", "")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "/termine/standorte/"+l.Ref) {
			t.Fatalf("index: %d", rec.Code)
		}
		rec = s.do(t, "GET", "/termine/standorte/"+l.Ref, "", "")
		if !strings.Contains(rec.Body.String(), `name="anzahl.`+s.passport+`"`) || !strings.Contains(mainText(rec.Body.String()), "Stufenloser Zugang") {
			t.Fatalf("location page lacks the service choice or accessibility: %s", mainText(rec.Body.String()))
		}
		// Two passports: 30 minutes.
		rec = s.do(t, "GET", "/termine/standorte/"+l.Ref+"/kalender?anzahl."+s.passport+"=2&monat=2026-03&tag=2026-03-03", "", "")
		body := rec.Body.String()
		if rec.Code != 200 || !strings.Contains(mainText(body), "30 Minuten") || !strings.Contains(mainText(body), "Passfoto") {
			t.Fatalf("calendar %d: %s", rec.Code, mainText(body))
		}
		book := regexp.MustCompile(`href="(/termine/standorte/[^"]+/buchen\?[^"]+)"`).FindStringSubmatch(body)
		if book == nil {
			t.Fatal("no time to book on the selected day")
		}
		target := strings.ReplaceAll(book[1], "&amp;", "&")
		u, _ := url.Parse(target)
		rec = s.do(t, "GET", target, "", "")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `name="altcha"`) {
			t.Fatalf("booking form %d", rec.Code)
		}
		form := url.Values{"leistung": u.Query()["leistung"], "beginn": {u.Query().Get("beginn")}, "email": {"Paula@Example.org"}, "name": {"Paula"}, "altcha": {""}}
		rec = s.do(t, "POST", "/termine/standorte/"+l.Ref+"/buchen", "", form.Encode())
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("book: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		manage := rec.Header().Get("Location")
		rec = s.do(t, "GET", manage, "", "")
		if !strings.Contains(mainText(rec.Body.String()), "reserviert") {
			t.Fatalf("manage page: %s", mainText(rec.Body.String()))
		}
		s.runJobs(t)
		_, text := s.lastMail(t, "Bitte bestätigen")
		if strings.Contains(text, "Paula") {
			t.Errorf("the mail carries the name: %s", text)
		}
		for _, want := range []string{"3. März 2026", "Bürgerbüro Mitte", "Marktplatz 1", "Reisepass (2×)"} {
			if !strings.Contains(text, want) {
				t.Errorf("confirmation request lacks %q:\n%s", want, text)
			}
		}
		ls := links(text)
		rec = s.do(t, "GET", ls["bestaetigen"], "", "")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `method="post"`) {
			t.Fatalf("confirm page %d", rec.Code)
		}
		rec = s.do(t, "POST", ls["bestaetigen"], "", "")
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("confirm: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		s.runJobs(t)
		i, _ := s.lastMail(t, "ist gebucht")
		m := s.mails.msgs[i]
		if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "text/calendar" {
			t.Fatalf("confirmation attachments: %+v", m.Attachments)
		}
		cal, err := ics.ParseCalendar(bytes.NewReader(m.Attachments[0].Data))
		if err != nil {
			t.Fatalf("parse .ics: %v", err)
		}
		ev := cal.Events()
		if len(ev) != 1 {
			t.Fatalf("%d events", len(ev))
		}
		st, _ := ev[0].GetStartAt()
		en, _ := ev[0].GetEndAt()
		want, _ := time.Parse(time.RFC3339, u.Query().Get("beginn"))
		if !st.Equal(want) || en.Sub(st) != 30*time.Minute {
			t.Fatalf("event %v–%v, want %v + 30m", st, en, want)
		}
		if loc := ev[0].GetProperty(ics.ComponentPropertyLocation); loc == nil || !strings.Contains(loc.Value, "Marktplatz") {
			t.Errorf("event location %v", loc)
		}
		// Rebook to 11:00 the same day.
		rec = s.do(t, "GET", ls["buchung"]+"/umbuchen?monat=2026-03&tag=2026-03-03", "", "")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "/umbuchen\"") {
			t.Fatalf("rebook page %d", rec.Code)
		}
		rec = s.do(t, "POST", ls["buchung"]+"/umbuchen", "", url.Values{"beginn": {at(1, "11:00").Format(time.RFC3339)}}.Encode())
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("rebook: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		rec = s.do(t, "GET", ls["buchung"], "", "")
		if !strings.Contains(mainText(rec.Body.String()), "11:00–11:30") {
			t.Fatalf("after rebooking: %s", mainText(rec.Body.String()))
		}
		// The calendar file of the page matches.
		rec = s.do(t, "GET", ls["buchung"]+"/termin.ics", "", "")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "DTSTART:20260303T100000Z") {
			t.Fatalf("ics %d: %s", rec.Code, rec.Body.String())
		}
		// Cancel.
		rec = s.do(t, "POST", ls["buchung"]+"/absagen", "", "")
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("cancel %d", rec.Code)
		}
		rec = s.do(t, "GET", ls["buchung"], "", "")
		if !strings.Contains(mainText(rec.Body.String()), "abgesagt") || strings.Contains(rec.Body.String(), "/absagen") {
			t.Fatalf("after cancelling: %s", mainText(rec.Body.String()))
		}
		// A tampered link says so.
		rec = s.do(t, "GET", ls["buchung"]+"x", "", "")
		if rec.Code != 404 || !strings.Contains(mainText(rec.Body.String()), "Link funktioniert nicht") {
			t.Fatalf("tampered link %d: %s", rec.Code, mainText(rec.Body.String()))
		}
	})
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %d %s: %v", rec.Code, rec.Body.String(), err)
	}
	return v
}

type problem struct {
	Status int `json:"status"`
	Errors []struct {
		Field, Code, Detail string
	} `json:"errors"`
}

func (p problem) has(field, code string) bool {
	for _, e := range p.Errors {
		if e.Field == field && e.Code == code {
			return e.Detail != "" && e.Detail != code
		}
	}
	return false
}

func bookJSON(l *Location, service string, count int, start time.Time, email, pow string) string {
	b, _ := json.Marshal(BookingRequest{Location: l.Ref, Services: []ServiceCount{{Service: service, Count: count}}, Start: start, Email: email, PoW: pow})
	return string(b)
}

// TestBookingAPI: 201 held, 409 when gone, 422 with codes, cancellation
// with the token, proof of work required, replay refused, rate limits.
func TestBookingAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		l := s.office(1)
		rec := s.do(t, "GET", "/api/v1/appointments/slots?location="+l.Ref+"&service="+s.passport+":2&service="+s.address+"&from=2026-03-03&to=2026-03-04", "", "")
		list := decode[SlotList](t, rec)
		if rec.Code != 200 || list.Minutes != 60 || len(list.Days) != 2 || list.Days[0].Status != "open" || len(list.Days[0].Slots) != 13 {
			t.Fatalf("slots %d: %+v", rec.Code, list)
		}
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(1, "09:00"), "anna@example.org", ""))
		b := decode[Booking](t, rec)
		if rec.Code != 201 || b.Status != StatusHeld || b.Token == "" || b.Services[0].Name != "Reisepass" {
			t.Fatalf("book %d %+v", rec.Code, b)
		}
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(1, "09:00"), "ben@example.org", ""))
		if rec.Code != 409 {
			t.Fatalf("second booking of the slot: %d", rec.Code)
		}
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(-1, "09:00"), "ben@example.org", ""))
		if p := decode[problem](t, rec); rec.Code != 422 || !p.has("start", "date_in_past") {
			t.Fatalf("past: %d %s", rec.Code, rec.Body.String())
		}
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, "L-0000-0000", 1, at(1, "10:00"), "ben@example.org", ""))
		if p := decode[problem](t, rec); rec.Code != 422 || !p.has("services.0.service", "service_not_offered") {
			t.Fatalf("unknown service: %d %s", rec.Code, rec.Body.String())
		}
		// Quota: two future bookings per person here.
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(1, "10:00"), "Anna@example.org", ""))
		if rec.Code != 201 {
			t.Fatalf("second booking of anna: %d %s", rec.Code, rec.Body.String())
		}
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(1, "10:15"), "anna@example.org", ""))
		if p := decode[problem](t, rec); rec.Code != 422 || !p.has("email", "quota_exceeded") {
			t.Fatalf("third booking of anna: %d %s", rec.Code, rec.Body.String())
		}
		// Cancel with the token; a token of another booking is refused.
		other := decode[Booking](t, s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(1, "11:00"), "carl@example.org", "")))
		rec = s.do(t, "POST", "/api/v1/appointments/"+b.Ref+"/cancel", "", `{"token":"`+other.Token+`"}`)
		if rec.Code != 404 {
			t.Fatalf("cancel with another booking's token: %d", rec.Code)
		}
		rec = s.do(t, "POST", "/api/v1/appointments/"+b.Ref+"/cancel", "", `{"token":"`+b.Token+`"}`)
		if c := decode[Booking](t, rec); rec.Code != 200 || c.Status != StatusCancelled {
			t.Fatalf("cancel: %d %s", rec.Code, rec.Body.String())
		}
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(1, "09:00"), "ben@example.org", ""))
		if rec.Code != 201 {
			t.Fatalf("the cancelled slot is free again: %d", rec.Code)
		}

		// Protections on: a challenge is required, verified and spent once.
		doc := decode[LocationDocument](t, s.do(t, "GET", "/api/v1/appointments/locations/"+l.Ref, "", ""))
		in := LocationInput{Name: doc.Name, Settings: doc.Settings}
		in.Protections = Protections{PoW: true, PoWDifficulty: 2000, RateLimits: true}
		body, _ := json.Marshal(in)
		rec = s.do(t, "PUT", "/api/v1/appointments/locations/"+l.Ref, s.admin, string(body))
		if d := decode[LocationDocument](t, rec); rec.Code != 200 || !d.Effective.PoW || !d.Effective.RateLimits {
			t.Fatalf("put protections: %d %s", rec.Code, rec.Body.String())
		}
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(1, "08:00"), "dora@example.org", ""))
		if p := decode[problem](t, rec); rec.Code != 422 || !p.has("pow", "pow_required") {
			t.Fatalf("without a solution: %d %s", rec.Code, rec.Body.String())
		}
		ch := decode[Challenge](t, s.do(t, "GET", "/api/v1/appointments/challenge?location="+l.Ref, "", ""))
		n, ok := Solve(ch)
		if !ok {
			t.Fatal("challenge unsolvable")
		}
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(1, "08:00"), "dora@example.org", ch.Encode(n+1)))
		if p := decode[problem](t, rec); rec.Code != 422 || !p.has("pow", "pow_invalid") {
			t.Fatalf("wrong number: %d %s", rec.Code, rec.Body.String())
		}
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(1, "08:00"), "dora@example.org", ch.Encode(n)))
		if rec.Code != 201 {
			t.Fatalf("with the solution: %d %s", rec.Code, rec.Body.String())
		}
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(1, "08:15"), "emil@example.org", ch.Encode(n)))
		if p := decode[problem](t, rec); rec.Code != 422 || !p.has("pow", "pow_replayed") {
			t.Fatalf("replayed solution: %d %s", rec.Code, rec.Body.String())
		}
		// Per-address limit: the same client address books at most 10 per 10 minutes.
		limited := 0
		for i := 0; i < 14; i++ {
			ch := decode[Challenge](t, s.do(t, "GET", "/api/v1/appointments/challenge?location="+l.Ref, "", ""))
			n, _ := Solve(ch)
			rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(2, fmt.Sprintf("%02d:%02d", 8+i/4, 15*(i%4))), fmt.Sprintf("bot%d@example.org", i), ch.Encode(n)))
			if rec.Code == 429 {
				limited++
				if rec.Header().Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
			}
		}
		if limited == 0 {
			t.Fatal("no request was rate-limited")
		}
	})
}

// TestLotteryWindow: during the window requests get 202 and a ticket; the
// draw gives every seat once and tells everyone.
func TestLotteryWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		s := newSite(t, db, clk)
		// One desk, 08:00–09:00: 4 slots; released today 00:00, lottery for 10 hours.
		l := s.office(1, func(st *Settings) {
			st.Strategy, st.LotteryMinutes = Lottery, 600
			st.Rules = []Rule{{Weekdays: []int{1, 2, 3, 4, 5}, Opens: "08:00", Closes: "09:00", Desks: 1}}
		})
		clk.Set(at(0, "09:30"))
		var tickets []LotteryEntry
		for i := 0; i < 7; i++ {
			rec := s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(7, "08:00"), fmt.Sprintf("p%d@example.org", i), ""))
			if rec.Code != 202 {
				t.Fatalf("in the window: %d %s", rec.Code, rec.Body.String())
			}
			tickets = append(tickets, decode[LotteryEntry](t, rec))
		}
		rec := s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(7, "08:15"), "p0@example.org", ""))
		if p := decode[problem](t, rec); rec.Code != 422 || !p.has("email", "lottery_already_entered") {
			t.Fatalf("second entry: %d %s", rec.Code, rec.Body.String())
		}
		rec = s.do(t, "GET", "/termine/los/"+tickets[0].Token, "", "")
		if rec.Code != 200 || !strings.Contains(mainText(rec.Body.String()), "nehmen an der Auslosung teil") {
			t.Fatalf("status page: %d %s", rec.Code, mainText(rec.Body.String()))
		}
		s.runJobs(t) // the draw job is not due yet; entry mails go out
		clk.Set(at(0, "10:00"))
		s.runJobs(t)
		var won, lost int
		db.R.QueryRow(`SELECT COUNT(*) FROM appointment_lottery_entries WHERE status = 'won'`).Scan(&won)
		db.R.QueryRow(`SELECT COUNT(*) FROM appointment_lottery_entries WHERE status = 'lost'`).Scan(&lost)
		if won != 4 || lost != 3 {
			t.Fatalf("won %d lost %d", won, lost)
		}
		var n int
		must(t, db.R.QueryRow(DoubleBookingsQuery).Scan(&n))
		if n != 0 {
			t.Fatalf("double bookings %d", n)
		}
		wins, losses := 0, 0
		for _, m := range s.mails.msgs {
			switch {
			case strings.Contains(m.Subject, "einen Termin erhalten"):
				wins++
			case strings.Contains(m.Subject, "Ergebnis der Terminauslosung"):
				losses++
			}
		}
		if wins != 4 || losses != 3 {
			t.Fatalf("mails: %d wins, %d losses", wins, losses)
		}
		// After the window, first come first served: 409 for the full day.
		rec = s.do(t, "POST", "/api/v1/appointments", "", bookJSON(l, s.passport, 1, at(7, "08:00"), "late@example.org", ""))
		if rec.Code != 409 {
			t.Fatalf("after the draw: %d", rec.Code)
		}
	})
}
