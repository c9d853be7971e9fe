package appointments

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

// fixture is a tenant with two catalog services and the appointments
// service over a real database.
type fixture struct {
	t        *testing.T
	db       *database.DB
	clk      *clock.Fake
	svc      *Service
	tenant   *identity.Tenant
	admin    identity.Principal
	passport string // catalog references
	address  string
	mails    *mailBox
}

// mailBox collects sent mails (the SMTP tests use mailtest; most use this
// sender to read what a job composed).
type mailBox struct{ msgs []mail.Message }

func (m *mailBox) Send(ctx context.Context, msg mail.Message) error {
	m.msgs = append(m.msgs, msg)
	return nil
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t *testing.T, db *database.DB, clk *clock.Fake) *fixture {
	t.Helper()
	ctx := context.Background()
	id := &identity.Service{DB: db}
	tn, err := id.CreateTenant(ctx, identity.Tenant{Slug: "musterstadt", Name: "Musterstadt", IsDefault: true, Hosts: []string{"musterstadt.test"},
		Settings: identity.Settings{FederalState: "BY", MailFrom: "rathaus@musterstadt.example"}})
	if err != nil {
		t.Fatal(err)
	}
	cat := &catalog.Catalog{DB: db}
	_, err = cat.Import(ctx, identity.System(tn.ID), tn.ID, "json", &catalog.ImportResult{Read: 2, Services: []catalog.Service{
		{ExternalID: "pass", Name: "Reisepass", Summary: "Reisepass beantragen.", RequiredDocuments: []string{"Ein biometrisches Passfoto"}, Bookable: true},
		{ExternalID: "addr", Name: "Wohnsitzanmeldung", Summary: "Wohnsitz anmelden.", Bookable: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	all, err := cat.All(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, clk: clk, tenant: tn, admin: identity.System(tn.ID), mails: &mailBox{}}
	for _, s := range all {
		switch s.ExternalID {
		case "pass":
			f.passport = s.ID
		case "addr":
			f.address = s.ID
		}
	}
	f.svc = f.newService()
	return f
}

// newService is another process on the same database: its own caches.
func (f *fixture) newService() *Service {
	return &Service{DB: f.db, Identity: &identity.Service{DB: f.db}, Catalog: &catalog.Catalog{DB: f.db},
		Limits: ratelimit.New(f.db, true), Mail: f.mails, Log: quietLog()}
}

// office is a location open Monday to Friday 08:00–12:00 with the given
// desks, 15-minute units, released a week ahead at midnight, no protections.
func (f *fixture) office(desks int, edit ...func(*Settings)) *Location {
	f.t.Helper()
	st := DefaultSettings()
	st.SlotMinutes = 15
	st.HorizonDays = 7
	st.ReleaseTime = "00:00"
	st.Protections = Protections{}
	st.Address = Address{Street: "Marktplatz", HouseNumber: "1", Postcode: "91052", City: "Musterstadt"}
	st.Accessibility = "Stufenloser Zugang über den Hof."
	st.Services = []LocationService{{Service: f.passport, Minutes: 15, MaxCount: 4}, {Service: f.address, Minutes: 30, MaxCount: 2}}
	st.Rules = []Rule{{Weekdays: []int{1, 2, 3, 4, 5}, Opens: "08:00", Closes: "12:00", Desks: desks}}
	for _, e := range edit {
		e(&st)
	}
	l, err := f.svc.CreateLocation(context.Background(), f.admin, f.tenant.ID, LocationInput{Name: "Bürgerbüro Mitte", Settings: st})
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

// at is a local (Europe/Berlin) time on a date relative to the epoch's day
// (2026-03-02, a Monday).
func at(day int, hhmm string) time.Time {
	d := calendar.Date{Year: 2026, Month: 3, Day: 2}.AddDays(day)
	t, _ := time.ParseInLocation("2006-01-02 15:04", d.String()+" "+hhmm, calendar.Berlin)
	return t
}

func (f *fixture) book(l *Location, start time.Time, email string, services ...ServiceCount) (*Booking, error) {
	if len(services) == 0 {
		services = []ServiceCount{{Service: f.passport, Count: 1}}
	}
	out, err := f.svc.Book(context.Background(), identity.Principal{}, f.tenant.ID, BookingRequest{Location: l.Ref, Services: services, Start: start, Email: email, ClientAddr: "192.0.2.1", BaseURL: "https://termine.example"})
	if err != nil {
		return nil, err
	}
	return out.Booking, nil
}

// texts is a message catalog with the module's messages.
func texts(t *testing.T) *i18n.Catalog {
	t.Helper()
	c, err := i18n.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Load(Messages()); err != nil {
		t.Fatal(err)
	}
	return c
}

func sortedStrings(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// anon is a citizen without an account.
func (f *fixture) anon() identity.Principal { return identity.Principal{} }

func calDay(day int) calendar.Date { return calendar.Date{Year: 2026, Month: 3, Day: 2}.AddDays(day) }

// admin0 is the tenant's system principal (an admin).
func (f *fixture) admin0() identity.Principal { return f.admin }
