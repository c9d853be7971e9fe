package app

import (
	"context"
	"fmt"

	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/forms/clamav"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// formsService is the installation's forms service (one per env: it caches
// the parsed published form versions).
func (e *env) formsService() *forms.Service {
	if e.forms == nil {
		e.forms = &forms.Service{DB: e.db, Blobs: e.blobs, Identity: e.identity, Limits: e.limits}
		if e.cfg.Clamd != "" {
			s, err := clamav.New(e.cfg.Clamd) // checked by config.Load already
			if err != nil {
				panic(err)
			}
			e.forms.Scanner = s
		}
	}
	return e.forms
}

// mountForms registers the applications API and the pages of forms.
func mountForms(rt *web.Router, e *env, idh *identity.Handler) {
	h := &forms.Handler{Forms: e.formsService(), Identity: idh, Catalog: &catalog.Catalog{DB: e.db}, Pages: site().r, Shell: shellFor, BaseURL: e.baseURL}
	h.Routes(rt)
	idh.AccountSections = append(idh.AccountSections, h.AccountSections)
}

// formsOffer is the catalog's "Online beantragen" for services with a
// published form.
func formsOffer(e *env) catalog.OfferFunc { return e.formsService().Offer }

// ParkingServiceRef is the demo city's resident parking permit (the Munich
// catalog's "Bewohnerparkausweis").
var ParkingServiceRef = catalog.Ref(catalog.SourceMunich, "1072043")

// DemoBusiness is the demo's business account (password DemoPassword,
// personal token DemoToken("business")), for the imported Gewerbeanmeldung.
var DemoBusiness = struct{ Email, Name string }{"info@baeckerei-sonnenschein.example", "Bäckerei Sonnenschein GmbH"}

// Demo profiles (what the forms may prefill with consent).
const (
	demoCitizenProfile  = `{"given_name":"Paul","family_name":"Beispiel","street":"Lindenstraße 4","postcode":"91052","city":"Musterstadt","phone":"09131 123456","birth_date":"1980-04-23"}`
	demoBusinessProfile = `{"company":"Bäckerei Sonnenschein GmbH","given_name":"Sabine","family_name":"Sonnenschein","street":"Marktplatz 7","postcode":"91052","city":"Musterstadt","phone":"09131 765432"}`
)

// seedDemoForms publishes the demo city's forms (dog tax, resident parking
// permit), gives the demo citizen Paul Beispiel a profile and creates the
// demo business with its profile and token — only what is absent.
func seedDemoForms(ctx context.Context, e *env, t *identity.Tenant) ([]string, error) {
	fs := e.formsService()
	sys := identity.System(t.ID)
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
	exists, err := e.identity.AccountExists(ctx, t.ID, DemoBusiness.Email)
	if err != nil {
		return nil, err
	}
	if !exists {
		a, err := e.identity.CreateCitizen(ctx, sys, t.ID, "business", DemoBusiness.Email, DemoBusiness.Name, DemoPassword)
		if err != nil {
			return nil, fmt.Errorf("demo business: %w", err)
		}
		if _, _, err := e.identity.CreatePersonalToken(ctx, sys, t.ID, a.Ref, "demo", DemoToken("business")); err != nil {
			return nil, fmt.Errorf("demo business token: %w", err)
		}
	}
	for _, p := range []struct{ email, profile string }{{DemoCitizen.Email, demoCitizenProfile}, {DemoBusiness.Email, demoBusinessProfile}} {
		if err := seedDemoProfile(ctx, e, t, p.email, p.profile); err != nil {
			return nil, err
		}
	}
	return []string{
		fmt.Sprintf("  %-32s %s (%s, password as above)", DemoBusiness.Email, "business", DemoBusiness.Name),
		fmt.Sprintf("  %-16s %-38s %s", "business", DemoToken("business"), DemoBusiness.Name),
	}, nil
}

// seedDemoProfile gives a demo account its profile unless it has one.
func seedDemoProfile(ctx context.Context, e *env, t *identity.Tenant, email, profile string) error {
	return database.WithTx(ctx, e.db, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET profile = $1 WHERE tenant_id = $2 AND email = $3 AND (profile = '' OR profile = '{}')`, profile, t.ID, email)
		return err
	})
}
