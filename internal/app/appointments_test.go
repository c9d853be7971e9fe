package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/appointments"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/clock"
)

var fixtureSeq atomic.Int64

// appointmentLocationFixture makes a location of tenant tn, open every day
// around the clock, offering a service only tn has.
func appointmentLocationFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	t.Helper()
	ctx := context.Background()
	svc := serviceFixture(t, e, tn)
	s := e.appointments()
	ls, err := s.Locations(ctx, tn.ID, true)
	must(t, err)
	for _, l := range ls {
		if l.Name == "Fixture-Standort" {
			return l.Ref
		}
	}
	st := appointments.DefaultSettings()
	st.SlotMinutes = 15
	st.HorizonDays = 7
	st.ReleaseTime = "00:00"
	st.Protections = appointments.Protections{}
	st.MaxPerPerson = 100
	st.Services = []appointments.LocationService{{Service: svc, Minutes: 15, MaxCount: 2}}
	st.Rules = []appointments.Rule{{Weekdays: []int{1, 2, 3, 4, 5, 6, 7}, Opens: "00:00", Closes: "23:45", Desks: 64}}
	l, err := s.CreateLocation(ctx, identity.System(tn.ID), tn.ID, appointments.LocationInput{Name: "Fixture-Standort", Settings: st})
	must(t, err)
	return l.Ref
}

// appointmentFixture books an appointment at the fixture location of tn
// by e-mail (no account owns it).
func appointmentFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	t.Helper()
	ctx := context.Background()
	loc := appointmentLocationFixture(t, e, tn)
	l, err := e.appointments().Location(ctx, tn.ID, loc)
	must(t, err)
	n := fixtureSeq.Add(1)
	d := calendar.DateOf(time.Now(), calendar.Berlin).AddDays(1)
	start := time.Date(d.Year, d.Month, d.Day, 10, 0, 0, 0, calendar.Berlin).Add(time.Duration(n%40) * 15 * time.Minute)
	out, err := e.appointments().Book(ctx, identity.Principal{}, tn.ID, appointments.BookingRequest{Location: l.Ref,
		Services: []appointments.ServiceCount{{Service: l.Services[0].Service, Count: 1}}, Start: start, Email: fmt.Sprintf("fixture-%d@example.org", n)})
	must(t, err)
	return out.Booking.Ref
}

// appointmentTicketFixture draws a walk-in ticket at the fixture location
// of tn.
func appointmentTicketFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	t.Helper()
	ctx := context.Background()
	loc := appointmentLocationFixture(t, e, tn)
	l, err := e.appointments().Location(ctx, tn.ID, loc)
	must(t, err)
	tk, err := e.appointments().WalkIn(ctx, identity.System(tn.ID), tn.ID, loc, []appointments.ServiceCount{{Service: l.Services[0].Service, Count: 1}})
	must(t, err)
	return tk.Ref
}

// serviceOfferedFixture is a service only tn has, offered at its fixture
// location.
func serviceOfferedFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	t.Helper()
	appointmentLocationFixture(t, e, tn)
	return serviceFixture(t, e, tn)
}

// TestAppointmentsThroughTheProgram: the catalog's service page offers
// "Termin buchen" for a bookable service and leads to its slots; a signed-in
// citizen's booking is confirmed at once and shows on the account page,
// where it can be cancelled.
func TestAppointmentsThroughTheProgram(t *testing.T) {
	in := installation{dir: t.TempDir()}
	s := in.start(t, "demo")
	ctx := context.Background()
	e, err := open(ctx, mustConfigDir(in.dir), discardLogger(), clock.System{})
	must(t, err)
	defer e.close()
	tn, err := e.identity.TenantBySlug(ctx, DemoSlug)
	must(t, err)

	_, page := s.do(t, "GET", "/leistungen/"+demoServiceRef(), "", "")
	if !strings.Contains(string(page), `href="/termine/leistungen/`+demoServiceRef()+`"`) {
		t.Fatal("the service page offers no appointment")
	}
	resp, page := s.do(t, "GET", "/termine/leistungen/"+demoServiceRef(), "", "")
	if resp.StatusCode != 200 || strings.Count(string(page), "/buchen?") != 3 {
		t.Fatalf("service's slots page %d: %d offices with a next slot", resp.StatusCode, strings.Count(string(page), "/buchen?"))
	}
	for _, path := range []string{"/termine", "/termine/standorte/" + demoOffices[0].ref, "/verwaltung/termine"} {
		resp, _ := s.do(t, "GET", path, DemoToken(identity.RoleAdmin), "")
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}

	cookie := citizenSession(t, e, tn)
	loc := appointmentLocationFixture(t, e, tn)
	l, err := e.appointments().Location(ctx, tn.ID, loc)
	must(t, err)
	d := calendar.DateOf(time.Now(), calendar.Berlin).AddDays(2)
	start := time.Date(d.Year, d.Month, d.Day, 9, 0, 0, 0, calendar.Berlin)
	body := fmt.Sprintf(`{"location":%q,"services":[{"service":%q,"count":1}],"start":%q}`, loc, l.Services[0].Service, start.Format(time.RFC3339))
	req, _ := http.NewRequest("POST", s.base+"/api/v1/appointments", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: cookie})
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	var b appointments.Booking
	json.NewDecoder(res.Body).Decode(&b)
	res.Body.Close()
	if res.StatusCode != 201 || b.Status != appointments.StatusConfirmed {
		t.Fatalf("signed-in booking: %d %+v", res.StatusCode, b)
	}
	get := func(path string) string {
		req, _ := http.NewRequest("GET", s.base+path, nil)
		req.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: cookie})
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return string(raw)
	}
	account := get("/konto")
	cancel := regexp.MustCompile(`action="(/termine/buchung/[^"]+/absagen)"`).FindStringSubmatch(account)
	if !strings.Contains(account, "Fixture-Standort") || cancel == nil {
		t.Fatalf("the account page does not show the booking with a cancel button")
	}
	req, _ = http.NewRequest("POST", s.base+cancel[1], nil)
	req.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: cookie})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = client.Do(req)
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel from the account page: %d", res.StatusCode)
	}
	if strings.Contains(get("/konto"), "Fixture-Standort") {
		t.Fatal("the cancelled booking is still listed")
	}
}

// TestLoadHarness runs `rathaus loadtest appointments` briefly against a
// served installation (both engines) and checks the document: the
// released slots are all booked, none twice, and the counts add up.
func TestLoadHarness(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		if _, errOut, code := in.run(t, "migrate"); code != 0 {
			t.Fatal(errOut)
		}
		s := in.start(t, "demo")
		out, errOut, code := in.run(t, "loadtest", "appointments", "--url", s.base, "--clients", "20", "--duration", "2s", "--release-after", "1s",
			"--slots", "8", "--token", DemoToken(identity.RoleAdmin), "--json")
		if code != 0 {
			t.Fatalf("loadtest exit %d: %s", code, errOut)
		}
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("not one JSON document: %v\n%s", err, out)
		}
		want := []string{"kind", "clients", "attempts", "attempts_per_s", "bookings", "conflicts", "rate_limited", "errors", "searches", "double_bookings", "protections", "latency_ms"}
		if len(res) != len(want) {
			t.Errorf("fields %v, want exactly %v", res, want)
		}
		for _, k := range want {
			if _, ok := res[k]; !ok {
				t.Errorf("field %s missing", k)
			}
		}
		if res["bookings"].(float64) != 8 || res["double_bookings"].(float64) != 0 || res["errors"].(float64) != 0 {
			t.Fatalf("result %s", out)
		}
		if res["attempts"].(float64) != res["bookings"].(float64)+res["conflicts"].(float64)+res["rate_limited"].(float64)+res["errors"].(float64) {
			t.Fatalf("counts do not add up: %s", out)
		}
		if p := res["protections"].(map[string]any); p["pow"] != false || p["rate_limits"] != false {
			t.Fatalf("protections %v", p)
		}
	})
}
