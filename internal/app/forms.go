package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// formsService is the installation's forms service (one per env: it caches
// the parsed published form versions).
func (e *env) formsService() *forms.Service {
	if e.forms == nil {
		e.forms = &forms.Service{DB: e.db, Blobs: e.blobs, Identity: e.identity, Limits: e.limits}
	}
	return e.forms
}

// mountForms registers the applications API and the pages of forms.
func mountForms(rt *web.Router, e *env, idh *identity.Handler) {
	h := &forms.Handler{Forms: e.formsService(), Identity: idh, Catalog: &catalog.Catalog{DB: e.db}, Pages: site().r, Shell: shellFor, BaseURL: e.baseURL}
	h.Routes(rt)
}

// formsOffer is the catalog's "Online beantragen" for services with a
// published form.
func formsOffer(e *env) catalog.OfferFunc { return e.formsService().Offer }

// ParkingServiceRef is the demo city's resident parking permit (the Munich
// catalog's "Bewohnerparkausweis").
var ParkingServiceRef = catalog.Ref(catalog.SourceMunich, "1072043")

// Demo citizen and business: password logins (DemoPassword) with a profile.
const (
	DemoCitizenEmail  = "paul.beispiel@musterstadt.example"
	DemoBusinessEmail = "info@baeckerei-sonnenschein.example"
)

// seedDemoForms publishes the demo city's forms (dog tax, resident parking
// permit) and creates the demo citizen Paul Beispiel and a demo business
// with profiles — only what is absent.
func seedDemoForms(ctx context.Context, e *env, t *identity.Tenant) ([]string, error) {
	fs := e.formsService()
	sys := identity.System(t.ID)
	sys.Ref = "demo"
	for _, df := range []struct{ name, service string }{{"hundesteuer", DemoServiceRef}, {"bewohnerparken", ParkingServiceRef}} {
		if ref, err := fs.FormOfService(ctx, t.ID, df.service); err != nil {
			return nil, err
		} else if ref != "" {
			continue
		}
		def, err := forms.DemoForm(df.name)
		if err != nil {
			return nil, err
		}
		f, err := fs.CreateForm(ctx, sys, t.ID, forms.NewForm{ServiceID: df.service, Def: def, Channel: forms.ChannelOnline, Source: "demo"})
		if err != nil {
			return nil, fmt.Errorf("demo form %s: %w", df.name, err)
		}
		if err := fs.Publish(ctx, sys, t.ID, f.Ref, 1); err != nil {
			return nil, fmt.Errorf("demo form %s: %w", df.name, err)
		}
	}
	people := []struct {
		kind, email, name, profile string
	}{
		{"citizen", DemoCitizenEmail, "Paul Beispiel", `{"given_name":"Paul","family_name":"Beispiel","street":"Lindenstraße 4","postcode":"91052","city":"Musterstadt","phone":"09131 123456","birth_date":"1980-04-23"}`},
		{"business", DemoBusinessEmail, "Bäckerei Sonnenschein GmbH", `{"company":"Bäckerei Sonnenschein GmbH","given_name":"Sabine","family_name":"Sonnenschein","street":"Marktplatz 7","postcode":"91052","city":"Musterstadt","phone":"09131 765432"}`},
	}
	var lines []string
	for _, p := range people {
		if err := seedDemoPerson(ctx, e, t, p.kind, p.email, p.name, p.profile); err != nil {
			return nil, err
		}
		lines = append(lines, fmt.Sprintf("  %-32s %s (%s)", p.email, p.kind, p.name))
	}
	return lines, nil
}

// seedDemoPerson creates a verified citizen or business account with a
// password and a profile unless the address is taken.
func seedDemoPerson(ctx context.Context, e *env, t *identity.Tenant, kind, email, name, profile string) error {
	exists, err := e.identity.AccountExists(ctx, t.ID, email)
	if err != nil || exists {
		return err
	}
	hash := identity.HashPassword(DemoPassword)
	err = database.WithTx(ctx, e.db, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, password_hash, profile, email_verified_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
			t.ID, demoPersonRef(kind), kind, email, name, hash, profile, tx.Now())
		return err
	})
	if database.IsUniqueViolation(err) {
		return nil
	}
	if err != nil && !errors.Is(err, fault.ErrConflict) {
		return fmt.Errorf("demo %s %s: %w", kind, email, err)
	}
	return nil
}

// demoPersonRef is the fixed public reference of a demo person (documented
// examples and e2e fixtures can name it).
func demoPersonRef(kind string) string {
	if kind == "business" {
		return "U-DEM0-0002"
	}
	return "U-DEM0-0001"
}
