package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// The demo city. Its logins and tokens are fixed and documented (README) so
// a newcomer can try every role; they are for the demo only.
const (
	DemoSlug     = "musterstadt"
	DemoPassword = "Musterstadt-Demo-2026"
)

// DemoStaff are the demo logins, one per role.
var DemoStaff = []struct {
	Email, Name string
	Role        identity.Role
	Unit        string
}{
	{"admin@musterstadt.example", "Alex Admin", identity.RoleAdmin, "Hauptamt"},
	{"mueller@musterstadt.example", "Frau Müller", identity.RoleCaseWorker, "Steueramt"},
	{"leitung@musterstadt.example", "Dr. Lena Leitung", identity.RoleUnitHead, "Steueramt"},
	{"formulare@musterstadt.example", "Fritz Formular", identity.RoleFormManager, "Hauptamt"},
	{"kasse@musterstadt.example", "Karla Kasse", identity.RoleFinance, "Kämmerei"},
	{"poststelle@musterstadt.example", "Paula Post", identity.RoleMailRoom, "Hauptamt"},
	{"archiv@musterstadt.example", "Arne Archiv", identity.RoleRecordsOfficer, "Hauptamt"},
}

// demoUnits are the demo city's units. TOTP is off for the demo staff (so
// the documented password is enough); real staff enrol it on their account page.
var demoUnits = []string{"Hauptamt", "Bürgerbüro", "Ordnungsamt", "Steueramt", "Kämmerei"}

// DemoCitizen is the demo's citizen login (a confirmed account with the
// demo password), for journeys that need an applicant.
var DemoCitizen = struct{ Email, Name string }{"buerger@musterstadt.example", "Paul Beispiel"}

// DemoToken is the documented personal API token of the demo person with
// role r (DemoToken("citizen") is Paul Beispiel's): it acts as that person.
func DemoToken(r identity.Role) string { return "rh_demo_" + string(r) + "_musterstadt" }

// DemoIntegrationToken is the demo's integration token (role admin, no
// person): for trying what a system may do and what needs a person.
const DemoIntegrationToken = "rh_demo_integration_musterstadt"

func demoTenant() identity.Tenant {
	return identity.Tenant{
		Slug: DemoSlug, Name: "Musterstadt", IsDefault: true, IsDemo: true,
		Settings: identity.Settings{
			FederalState: "BY",
			Address:      identity.Address{Street: "Marktplatz 1", Postcode: "91052", City: "Musterstadt"},
			Creditor:     identity.Creditor{Name: "Stadtkasse Musterstadt", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX"},
			LeitwegID:    "09162000-MUSTERSTADT-10",
			MailFrom:     "rathaus@musterstadt.example",
			OIDC:         []identity.OIDCProvider{},
			Legal: identity.Legal{
				Imprint:       "Stadt Musterstadt, Marktplatz 1, 91052 Musterstadt. Vertreten durch die Erste Bürgermeisterin. Dies ist eine Demo-Kommune.",
				Privacy:       "Die Stadt Musterstadt verarbeitet personenbezogene Daten nur zur Erledigung Ihres Anliegens (Art. 6 Abs. 1 lit. e DSGVO). Diese Demo speichert Eingaben nur lokal.",
				Accessibility: "Die Stadt Musterstadt ist bemüht, ihre Website barrierefrei zugänglich zu machen (BITV 2.0, WCAG 2.1 AA). Barrieren können Sie uns über das Feedback-Formular melden.",
			},
		},
	}
}

// seedDemo creates the demo city unless it already exists. It returns
// whether it created anything.
func seedDemo(ctx context.Context, e *env) (bool, error) {
	if _, err := e.identity.TenantBySlug(ctx, DemoSlug); err == nil {
		return false, nil
	} else if !errors.Is(err, web.ErrNotFound) {
		return false, err
	}
	t, err := e.identity.CreateTenant(ctx, demoTenant())
	if err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	sys := identity.System(t.ID)
	units := map[string]string{}
	for _, u := range demoUnits {
		unit, err := e.identity.CreateUnit(ctx, sys, t.ID, u, "")
		if err != nil {
			return false, fmt.Errorf("seed demo unit %s: %w", u, err)
		}
		units[u] = unit.Ref
	}
	for _, s := range DemoStaff {
		a, err := e.identity.CreateStaff(ctx, sys, t.ID, s.Email, s.Name, DemoPassword, []identity.Role{s.Role})
		if err != nil {
			return false, fmt.Errorf("seed demo staff %s: %w", s.Email, err)
		}
		if err := e.identity.AddMember(ctx, sys, t.ID, units[s.Unit], a.Ref); err != nil {
			return false, fmt.Errorf("seed demo staff %s: %w", s.Email, err)
		}
		if _, _, err := e.identity.CreatePersonalToken(ctx, sys, t.ID, a.Ref, "demo", DemoToken(s.Role)); err != nil {
			return false, fmt.Errorf("seed demo token %s: %w", s.Role, err)
		}
	}
	citizen, err := e.identity.CreateCitizen(ctx, sys, t.ID, "citizen", DemoCitizen.Email, DemoCitizen.Name, DemoPassword)
	if err != nil {
		return false, fmt.Errorf("seed demo citizen: %w", err)
	}
	if _, _, err := e.identity.CreatePersonalToken(ctx, sys, t.ID, citizen.Ref, "demo", DemoToken("citizen")); err != nil {
		return false, fmt.Errorf("seed demo token citizen: %w", err)
	}
	if _, _, err := e.identity.CreateToken(ctx, sys, t.ID, identity.RoleAdmin, "demo-integration", DemoIntegrationToken); err != nil {
		return false, fmt.Errorf("seed demo integration token: %w", err)
	}
	return true, nil
}

// demoModule seeds one module's demo data for the demo city — only what is
// absent, so a second start changes nothing — and returns the lines the
// demo prints after the logins (a token on a line naming its role, the
// Leitweg-ID, ...). Each module adds its seeder in its own file of this
// package and one entry to demoModules.
type demoModule func(ctx context.Context, e *env, t *identity.Tenant) (lines []string, err error)

// demoModules run in order after the city, its staff and its catalog exist.
var demoModules = []demoModule{
	seedDemoForms,
	seedDemoCases,
	seedDemoPayments,
	seedDemoEinvoice,
}

func runDemo(ctx context.Context, io IO, args []string) error {
	return serve(ctx, io, args, "demo", func(ctx context.Context, e *env) (func(), error) {
		created, err := seedDemo(ctx, e)
		if err != nil {
			return nil, err
		}
		if err := seedDemoCatalog(ctx, e); err != nil {
			return nil, err
		}
		t, err := e.identity.TenantBySlug(ctx, DemoSlug)
		if err != nil {
			return nil, err
		}
		var lines []string
		for _, seed := range demoModules {
			l, err := seed(ctx, e, t)
			if err != nil {
				return nil, err
			}
			lines = append(lines, l...)
		}
		e.log.Info("demo city", "tenant", DemoSlug, "created", created)
		return func() {
			w := io.Stdout
			fmt.Fprintf(w, "demo city Musterstadt (Bayern) — logins, password for all: %s\n", DemoPassword)
			for _, s := range DemoStaff {
				fmt.Fprintf(w, "  %-32s %s\n", s.Email, s.Role)
			}
			fmt.Fprintf(w, "  %-32s %s\n", DemoCitizen.Email, "citizen")
			fmt.Fprintln(w, "API tokens, one per person, acting as that person (Authorization: Bearer TOKEN):")
			for _, s := range DemoStaff {
				fmt.Fprintf(w, "  %-16s %-38s %s\n", s.Role, DemoToken(s.Role), s.Name)
			}
			fmt.Fprintf(w, "  %-16s %-38s %s\n", "citizen", DemoToken("citizen"), DemoCitizen.Name)
			fmt.Fprintf(w, "  %-16s %-38s %s\n", "integration", DemoIntegrationToken, "role admin, not a person (cannot approve, decide or sign)")
			for _, l := range lines {
				fmt.Fprintln(w, l)
			}
		}, nil
	})
}
