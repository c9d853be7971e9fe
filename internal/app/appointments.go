package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rathaus/rathaus/internal/appointments"
	"github.com/rathaus/rathaus/internal/appointments/loadtest"
	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// appointmentsModule holds the process's one appointments service (it
// caches availability and locations, so there must be only one).
type appointmentsModule struct {
	once sync.Once
	svc  *appointments.Service
}

func (e *env) appointments() *appointments.Service {
	e.appts.once.Do(func() {
		e.appts.svc = &appointments.Service{DB: e.db, Identity: e.identity, Catalog: &catalog.Catalog{DB: e.db}, Limits: e.limits, Mail: e.mail, Log: e.log,
			FreshFor: appointmentsFreshFor}
	})
	return e.appts.svc
}

// appointmentsFreshFor is how long a process trusts its cached
// availability before reading the day's revision again: another process's
// booking or cancellation shows within it.
const appointmentsFreshFor = 100 * time.Millisecond

// mountAppointments registers the appointments API and pages, with example
// URLs of the demo city's fixed objects for the browser harness.
func mountAppointments(rt *web.Router, e *env, idh *identity.Handler) {
	h := &appointments.Handler{Svc: e.appointments(), Identity: idh, Pages: site().r, Shell: shellFor, BaseURL: e.baseURL}
	h.Routes(rt)
	idh.AccountSections = append(idh.AccountSections, h.AccountSections)
	have := map[string]bool{}
	for _, r := range rt.Routes() {
		have[r.Method+" "+r.Path] = true
	}
	for pattern, example := range appointmentExamples() {
		if !have[pattern] {
			panic("appointments: example for a route that is not registered: " + pattern)
		}
		rt.Example(pattern, example)
	}
}

// registerAppointmentJobs adds the module's job handlers to the queue and
// starts its minute sweep.
func (e *env) registerAppointmentJobs(q *jobs.Queue) {
	s := e.appointments()
	q.Register(appointments.MailJob, s.MailHandler(site().cat))
	q.Register(appointments.DrawJob, s.DrawHandler())
	q.Register(appointments.OfferJob, s.OfferHandler())
	q.Register(appointments.SweepJob, s.SweepHandler())
	if err := s.EnsureSweep(context.Background()); err != nil {
		e.log.Error("appointments sweep", "err", err)
	}
}

// appointmentOffer offers "Termin buchen" on the service page of every
// service that a listed location of the tenant offers.
func (e *env) appointmentOffer(ctx context.Context, tenantID int64, serviceID string) ([]catalog.Offer, error) {
	ok, err := e.appointments().Offers(ctx, tenantID, serviceID)
	if err != nil || !ok {
		return nil, err
	}
	return []catalog.Offer{{Kind: "book", LabelKey: "appointments.offer.book", URL: "/termine/leistungen/" + serviceID}}, nil
}

// The demo city's appointments: three citizen offices with the services
// and durations of the Munich locations data, fixed references and keys
// so that the documented example links work in every demo installation.
var (
	demoOffices = []struct {
		ref, munichID, name string
		strategy            string
	}{
		{"S-DEM0-0001", "102522", "Bürgerbüro Orleansplatz", appointments.FirstCome},
		{"S-DEM0-0002", "102523", "Bürgerbüro Leonrodstraße", appointments.FirstCome},
		{"S-DEM0-0003", "54261", "Bürgerbüro Pasing", appointments.Lottery},
	}
	demoLinkKey     = "6d757374657273746164742d64656d6f2d6c696e6b2d6b65792d323032362121"
	demoPoWKey      = "6d757374657273746164742d64656d6f2d706f772d6b65792d32303236212121"
	demoBookingRef  = "T-DEM0-0001"
	demoTicketRef   = "W-DEM0-0001"
	demoEntryRef    = "Z-DEM0-0001"
	demoWaitlistRef = "V-DEM0-0001"
)

func appointmentExamples() map[string]string {
	tok := func(purpose, ref string) string { return appointments.DemoToken(demoLinkKey, purpose, ref) }
	loc := demoOffices[0].ref
	today := calendar.DateOf(time.Now(), calendar.Berlin)
	week := "&from=" + today.String() + "&to=" + today.AddDays(6).String()
	return map[string]string{
		"GET /api/v1/appointments/slots":                  "/api/v1/appointments/slots?location=" + loc + "&service=" + demoServiceRef() + ":2" + week,
		"GET /api/v1/appointments/challenge":              "/api/v1/appointments/challenge?location=" + loc,
		"GET /api/v1/appointments/figures":                "/api/v1/appointments/figures?location=" + loc + "&from=" + today.AddDays(-30).String() + "&to=" + today.String(),
		"GET /api/v1/appointments/locations/{id}":         "/api/v1/appointments/locations/" + loc,
		"GET /api/v1/appointments/locations/{id}/day":     "/api/v1/appointments/locations/" + loc + "/day",
		"GET /api/v1/appointments/{id}":                   "/api/v1/appointments/" + demoBookingRef,
		"GET /termine/standorte/{id}":                     "/termine/standorte/" + loc,
		"GET /termine/standorte/{id}/kalender":            "/termine/standorte/" + loc + "/kalender?leistung=" + demoServiceRef(),
		"GET /termine/standorte/{id}/buchen":              "/termine/standorte/" + loc + "/buchen?leistung=" + demoServiceRef() + "&beginn=" + url.QueryEscape(nextWorkingDayAt10()),
		"GET /termine/buchung/{token}/termin.ics":         "/termine/buchung/" + tok(appointments.PurposeManage, demoBookingRef) + "/termin.ics",
		"GET /termine/standorte/{id}/warteliste":          "/termine/standorte/" + loc + "/warteliste?leistung=" + demoServiceRef(),
		"GET /termine/leistungen/{id}":                    "/termine/leistungen/" + demoServiceRef(),
		"GET /termine/buchung/{token}":                    "/termine/buchung/" + tok(appointments.PurposeManage, demoBookingRef),
		"GET /termine/buchung/{token}/umbuchen":           "/termine/buchung/" + tok(appointments.PurposeManage, demoBookingRef) + "/umbuchen",
		"GET /termine/bestaetigen/{token}":                "/termine/bestaetigen/" + tok(appointments.PurposeConfirm, demoBookingRef),
		"GET /termine/los/{token}":                        "/termine/los/" + tok(appointments.PurposeLottery, demoEntryRef),
		"GET /termine/warteliste/{token}":                 "/termine/warteliste/" + tok(appointments.PurposeWaitlist, demoWaitlistRef),
		"GET /termine/ticket/{token}":                     "/termine/ticket/" + tok(appointments.PurposeTicket, demoTicketRef),
		"GET /termine/kiosk/{id}":                         "/termine/kiosk/" + loc,
		"GET /termine/aufruf/{id}":                        "/termine/aufruf/" + loc,
		"GET /termine/aufruf/{id}/live":                   "/termine/aufruf/" + loc + "/live",
		"GET /verwaltung/termine/standorte/{id}":          "/verwaltung/termine/standorte/" + loc,
		"GET /verwaltung/termine/standorte/{id}/tag":      "/verwaltung/termine/standorte/" + loc + "/tag",
		"GET /verwaltung/termine/standorte/{id}/schalter": "/verwaltung/termine/standorte/" + loc + "/schalter",
	}
}

// nextWorkingDayAt10 is a start on the demo's grid for the example of the
// booking form (the form shows any start; booking checks it).
func nextWorkingDayAt10() string {
	d := calendar.DateOf(time.Now(), calendar.Berlin).AddDays(1)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDays(1)
	}
	return time.Date(d.Year, d.Month, d.Day, 10, 0, 0, 0, calendar.Berlin).Format(time.RFC3339)
}

// demoServiceRef is the catalog reference of the Munich ID card service
// (Personalausweis, Munich id 1063441).
func demoServiceRef() string { return catalog.Ref(catalog.SourceMunich, "1063441") }

// seedDemoAppointments gives the demo city its offices once, and an example
// booking, ticket, lottery entry and waitlist entry for the example links.
func seedDemoAppointments(ctx context.Context, e *env, t *identity.Tenant) ([]string, error) {
	s := e.appointments()
	if _, err := s.Location(ctx, t.ID, demoOffices[0].ref); err == nil {
		return nil, nil
	} else if !errors.Is(err, appointments.ErrNotFound) {
		return nil, err
	}
	if err := s.SetKeys(ctx, t.ID, demoLinkKey, demoPoWKey); err != nil {
		return nil, err
	}
	services, err := (&catalog.Catalog{DB: e.db}).All(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	sys := identity.System(t.ID)
	for _, o := range demoOffices {
		st := appointments.DefaultSettings()
		st.SlotMinutes = 5
		st.HorizonDays = 28
		st.ReleaseTime = "07:00"
		st.Strategy = o.strategy
		st.LotteryMinutes = 15
		st.ReconfirmDays = 3
		st.Protections = appointments.Protections{PoW: true, PoWDifficulty: 50000, RateLimits: true}
		st.Rules = []appointments.Rule{
			{Weekdays: []int{1, 2, 3, 4, 5}, Opens: "07:30", Closes: "12:00", Desks: 3},
			{Weekdays: []int{2, 4}, Opens: "14:00", Closes: "18:00", Desks: 2},
		}
		st.Accessibility = "Stufenloser Zugang über den Haupteingang, Aufzug in alle Etagen, barrierefreie Toilette im Erdgeschoss. Induktive Höranlage am Schalter 1. Assistenzhunde willkommen."
		for _, svc := range services {
			if !svc.Bookable {
				continue
			}
			for _, off := range svc.Offices {
				if off.ID != o.munichID {
					continue
				}
				if st.Address.Street == "" {
					st.Address = appointments.Address{Street: off.Street, HouseNumber: off.HouseNumber, Postcode: off.PostalCode, City: off.City}
				}
				minutes := off.AppointmentMinutes
				if minutes <= 0 {
					minutes = svc.AppointmentMinutes
				}
				if minutes <= 0 {
					continue
				}
				st.Services = append(st.Services, appointments.LocationService{Service: svc.ID, Minutes: minutes, MaxCount: 4})
			}
		}
		if _, err := s.CreateLocation(ctx, sys, t.ID, appointments.LocationInput{Name: o.name, Settings: st, Ref: o.ref}); err != nil {
			return nil, fmt.Errorf("seed demo location %s: %w", o.name, err)
		}
	}
	if err := s.SeedExamples(ctx, t.ID, appointments.Examples{Location: demoOffices[0].ref, LotteryLocation: demoOffices[2].ref, Service: demoServiceRef(),
		Booking: demoBookingRef, Ticket: demoTicketRef, Entry: demoEntryRef, Waitlist: demoWaitlistRef, Email: "paul.beispiel@example.org"}); err != nil {
		return nil, fmt.Errorf("seed demo appointments: %w", err)
	}
	return []string{"appointments: 3 citizen offices at /termine (example booking " + demoBookingRef + ")"}, nil
}

// runLoadtest implements `rathaus loadtest appointments`.
func runLoadtest(ctx context.Context, io IO, args []string) error {
	var urls multiFlag
	var clients int
	var duration, releaseAfter time.Duration
	var token, dbURL, protections string
	var lottery bool
	var slots int
	cfg, pos, err := load("loadtest", args, io, func(fs *flag.FlagSet) {
		fs.Var(&urls, "url", "base URL of a running instance (repeat for several)")
		fs.IntVar(&clients, "clients", 200, "concurrent clients")
		fs.DurationVar(&duration, "duration", 10*time.Second, "length of the rush after the release")
		fs.DurationVar(&releaseAfter, "release-after", 3*time.Second, "the slots are released this long after the start")
		fs.StringVar(&token, "token", "", "an admin's API token of the tenant")
		fs.StringVar(&dbURL, "database-url", "", "the instances' PostgreSQL (instead of --data) for the double-booking count")
		fs.StringVar(&protections, "protections", "off", "off: the speed run; on: proof of work, per-address limits and bots")
		fs.IntVar(&slots, "slots", 40, "slots released")
		fs.BoolVar(&lottery, "lottery", false, "release by lot (a one-minute window; waits for the draw and counts the winners)")
	})
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "appointments" {
		return cli.Usagef("usage: rathaus loadtest appointments --url URL [--url URL2] --clients N --duration D --token T [--data DIR | --database-url U] [--protections on|off]")
	}
	if protections != "on" && protections != "off" {
		return cli.Usagef("--protections must be on or off")
	}
	if len(urls) == 0 || token == "" {
		return cli.Usagef("loadtest appointments needs --url and --token")
	}
	if dbURL == "" {
		dbURL = cfg.DatabaseURL
	}
	db, err := database.Open(ctx, database.Options{DataDir: cfg.DataDir, URL: dbURL})
	if err != nil {
		return fmt.Errorf("loadtest: open the database to count double bookings: %w", err)
	}
	defer db.Close()
	res, err := loadtest.Run(ctx, loadtest.Config{URLs: urls, Clients: clients, Duration: duration, Token: token, Protections: protections == "on",
		Slots: slots, ReleaseAfter: releaseAfter, Lottery: lottery, Log: io.Stderr})
	if err != nil {
		return err
	}
	if lottery {
		if err := waitForDraw(ctx, db, res, io); err != nil {
			return err
		}
	}
	if err := db.R.QueryRowContext(ctx, appointments.DoubleBookingsQuery).Scan(&res.DoubleBookings); err != nil {
		return fmt.Errorf("loadtest: count double bookings: %w", err)
	}
	fmt.Fprintf(io.Stderr, "location %s: people %d attempts, %d booked, %d refused; bots %d attempts, %d booked, %d refused; proof of work %.1f ms per solve\n",
		res.Location, res.Humans.Attempts, res.Humans.Bookings, res.Humans.Refused, res.Bots.Attempts, res.Bots.Bookings, res.Bots.Refused, float64(res.PoWSolve.Microseconds())/1000)
	if err := printJSON(io.Stdout, res); err != nil {
		return err
	}
	if res.DoubleBookings > 0 {
		return cli.ErrNegative
	}
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, strings.TrimSuffix(v, "/")); return nil }

// appointmentTasks: the citizen offices' day for their staff.
func appointmentTasks() []StaffTask {
	return []StaffTask{{Roles: appointments.StaffRoles, Href: "/verwaltung/termine", TitleKey: "appointments.task.title", TextKey: "appointments.task.text"}}
}

// waitForDraw waits until the scenario's lottery is drawn (by the
// servers' job queue) and tells on stderr how the seats went to people
// and to bots.
func waitForDraw(ctx context.Context, db *database.DB, res *loadtest.Result, io IO) error {
	fmt.Fprintf(io.Stderr, "waiting for the draw at %s\n", res.DrawAt.Format(time.TimeOnly))
	deadline := res.DrawAt.Add(2 * time.Minute)
	for {
		var open int
		err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointment_lottery_entries e JOIN appointment_locations l ON l.id = e.location_id
			WHERE l.ref = $1 AND e.status = 'entered'`, res.Location).Scan(&open)
		if err != nil {
			return err
		}
		if open == 0 && time.Now().After(res.DrawAt) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("loadtest: the lottery was not drawn by %s (is a server's job queue running?)", deadline.Format(time.TimeOnly))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond): // polling the servers' work
		}
	}
	var people, bots int
	err := db.R.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN b.email LIKE '%-person-%' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN b.email LIKE '%-bot-%' THEN 1 ELSE 0 END), 0)
		FROM appointment_bookings b JOIN appointment_locations l ON l.id = b.location_id WHERE l.ref = $1 AND b.channel = 'lottery'`, res.Location).Scan(&people, &bots)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Stderr, "drawn: %d seats to people, %d to bots\n", people, bots)
	return nil
}
