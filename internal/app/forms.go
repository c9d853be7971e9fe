package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/forms/clamav"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// formsService is the installation's forms service (one per env: it caches
// the parsed published form versions).
func (e *env) formsService() *forms.Service {
	if e.forms == nil {
		e.forms = &forms.Service{DB: e.db, Blobs: e.blobs, Identity: e.identity, Limits: e.limits}
		e.forms.Gate = submitGate{e: e}
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
	rt.Example("GET /antrag/{id}", "/antrag/"+DemoServiceRef)
	// The demo's dog tax form, once seeded, for tools that visit every
	// route (its references are random).
	if t, err := e.identity.TenantBySlug(context.Background(), DemoSlug); err == nil {
		if ref, err := e.formsService().FormOfService(context.Background(), t.ID, DemoServiceRef); err == nil && ref != "" {
			rt.Example("GET /verwaltung/formulare/{id}", "/verwaltung/formulare/"+ref)
			rt.Example("GET /verwaltung/formulare/{id}/vorschau", "/verwaltung/formulare/"+ref+"/vorschau")
		}
	}
}

// formsTasks: the forms directory for form managers.
func formsTasks() []StaffTask {
	return []StaffTask{{Roles: []identity.Role{identity.RoleFormManager, identity.RoleAdmin}, Href: "/verwaltung/formulare", TitleKey: "forms.directory.title", TextKey: "forms.task.directory"}}
}

// formsOffer is the catalog's "Online beantragen" for services with a
// published form.
func formsOffer(e *env) catalog.OfferFunc { return e.formsService().Offer }

// ParkingServiceRef is the demo city's resident parking permit (the Munich
// catalog's "Bewohnerparkausweis").
var ParkingServiceRef = catalog.Ref(catalog.SourceMunich, "1072043")

// LostPropertyServiceRef is the demo city's loss report to the lost
// property office (the Munich catalog's "Verlustmeldung und
// Fundsachenbesichtigung"): it may be made without an account.
var LostPropertyServiceRef = catalog.Ref(catalog.SourceMunich, "10338650")

// TradeServiceRef is the demo city's trade registration (the Munich
// catalog's "Gewerbe-Anmeldung"), whose form is the imported FIM schema.
var TradeServiceRef = catalog.Ref(catalog.SourceMunich, "1063423")

// DemoBusiness is the demo's business account (password DemoPassword,
// personal token DemoToken("business")), for the imported Gewerbeanmeldung.
var DemoBusiness = struct{ Email, Name string }{"info@baeckerei-sonnenschein.example", "Bäckerei Sonnenschein GmbH"}

// Demo profiles (what the forms may prefill with consent).
const (
	demoCitizenProfile  = `{"given_name":"Paul","family_name":"Beispiel","street":"Lindenstraße 4","postcode":"91052","city":"Musterstadt","phone":"09131 123456","birth_date":"1980-04-23"}`
	demoBusinessProfile = `{"company":"Bäckerei Sonnenschein GmbH","given_name":"Sabine","family_name":"Sonnenschein","street":"Marktplatz 7","postcode":"91052","city":"Musterstadt","phone":"09131 765432"}`
)

// seedDemoForms publishes the demo city's forms (dog tax, resident parking
// permit, and the Gewerbeanmeldung imported from its FIM schema), gives the demo citizen Paul Beispiel a profile and creates the
// demo business with its profile and token — only what is absent.
func seedDemoForms(ctx context.Context, e *env, t *identity.Tenant) ([]string, error) {
	fs := e.formsService()
	sys := identity.System(t.ID)
	for _, df := range []struct{ name, service string }{{"hundesteuer", DemoServiceRef}, {"bewohnerparken", ParkingServiceRef}, {"fundbuero", LostPropertyServiceRef}} {
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
	if ref, err := fs.FormOfService(ctx, t.ID, TradeServiceRef); err != nil {
		return nil, err
	} else if ref == "" {
		rep, err := fs.ImportFIMDraft(ctx, sys, t.ID, forms.DemoFIM(), forms.FIMImport{ServiceID: TradeServiceRef, Audience: []string{"business"}})
		if err != nil {
			return nil, fmt.Errorf("demo Gewerbeanmeldung: %w", err)
		}
		if err := fs.Publish(ctx, sys, t.ID, rep.Form, rep.Version); err != nil {
			return nil, fmt.Errorf("demo Gewerbeanmeldung: %w", err)
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

// runForms implements `rathaus forms import-fim FILE [--service ID]
// [--audience citizen,business] [--publish] [--json]` (a FIM schema in the
// *_fields.json format becomes a new draft version of the tenant's form
// for that schema; the report lists every inferred field type and every
// rule that could not be imported) and `rathaus forms list [--json]`.
func runForms(ctx context.Context, io IO, args []string) error {
	var service, audience string
	var publish bool
	e, pos, err := openCmd(ctx, "forms", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&service, "service", "", "import-fim: the catalog service of a new form (its L-… reference)")
		fs.StringVar(&audience, "audience", "", "import-fim: who may apply: citizen, business or both (citizen,business)")
		fs.BoolVar(&publish, "publish", false, "import-fim: publish the imported version at once")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) == 0 {
		return cli.Usagef("usage: rathaus forms import-fim FILE [--service ID] [--audience citizen,business] [--publish] | forms list")
	}
	t, err := e.tenant(ctx)
	if err != nil {
		return err
	}
	sys := identity.System(t.ID)
	sys.Ref = "cli"
	fs := e.formsService()
	switch pos[0] {
	case "import-fim":
		if len(pos) != 2 {
			return cli.Usagef("usage: rathaus forms import-fim FILE [--service ID] [--audience citizen,business] [--publish]")
		}
		var aud []string
		for _, a := range strings.Split(audience, ",") {
			if a = strings.TrimSpace(a); a != "" {
				if a != "citizen" && a != "business" {
					return cli.Usagef("--audience: %q is not citizen or business", a)
				}
				aud = append(aud, a)
			}
		}
		data, err := os.ReadFile(pos[1])
		if err != nil {
			return cli.Usagef("forms import-fim: %v", err)
		}
		rep, err := fs.ImportFIMDraft(ctx, sys, t.ID, data, forms.FIMImport{ServiceID: service, Audience: aud})
		if errors.Is(err, fault.ErrBadRequest) {
			return cli.Usagef("forms import-fim %s: %v; nothing imported", pos[1], err)
		}
		if err != nil {
			return err
		}
		if publish {
			if err := fs.Publish(ctx, sys, t.ID, rep.Form, rep.Version); err != nil {
				return fmt.Errorf("publish %s version %d: %w", rep.Form, rep.Version, err)
			}
		}
		if e.cfg.JSON {
			return printJSON(io.Stdout, rep)
		}
		state := "draft"
		if publish {
			state = "published"
		}
		fmt.Fprintf(io.Stdout, "%s (%s %s, %q) → form %s version %d (%s): %d steps, %d fields, %d rules imported, %d skipped\n",
			pos[1], rep.FIMID, rep.FIMVersion, rep.Title, rep.Form, rep.Version, state, rep.Steps, rep.Fields, rep.Rules, len(rep.Skipped))
		fmt.Fprintf(io.Stdout, "inferred field types (%d):\n", len(rep.Inferred))
		for _, i := range rep.Inferred {
			fmt.Fprintf(io.Stdout, "  %-60s %-10s %s (%s)\n", i.Path, i.Type, i.Reason, i.Label)
		}
		for _, s := range rep.Skipped {
			fmt.Fprintf(io.Stdout, "rule skipped: %s: %s\n", s.RuleID, s.Reason)
		}
		for _, n := range rep.Notes {
			fmt.Fprintf(io.Stdout, "note: %s\n", n)
		}
		return nil
	case "list":
		list, err := fs.Forms(ctx, sys, t.ID)
		if err != nil {
			return err
		}
		if e.cfg.JSON {
			return printJSON(io.Stdout, list)
		}
		for _, f := range list {
			fmt.Fprintf(io.Stdout, "%s  %-14s %-12s %s\n", f.Ref, f.Channel, f.ServiceID, f.Name)
		}
		return nil
	}
	return cli.Usagef("forms: unknown subcommand %q (import-fim, list)", pos[0])
}
