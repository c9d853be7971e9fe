package app

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/appointments"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
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
