package app

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/cli"
)

// runTenant implements `rathaus tenant create --slug SLUG --name NAME
// --host HOST --admin-email EMAIL [--state BY] [--public-url URL]
// [--admin-name NAME] [--leitweg-id ID]`, `rathaus tenant set --slug SLUG
// --leitweg-id ID` and `rathaus tenant list`: the operator's way from an
// empty database to a municipality with its first admin. The admin gets a
// one-time set-up link — by mail when RATHAUS_SMTP_URL is set, else
// printed on stdout — and sets up TOTP at the first sign-in.
//
// The municipality's own Leitweg-ID is the operator's to set, not its
// admin's: its Grobadressierung bounds the e-invoice routes the
// municipality may set up, and one Grobadressierung belongs to one
// municipality of the installation.
func runTenant(ctx context.Context, io IO, args []string) error {
	var slug, name, adminEmail, adminName, state, publicURL, leitwegID string
	var leitwegGiven bool
	var hosts hostList
	e, pos, err := openCmd(ctx, "tenant", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&slug, "slug", "", "short `name` of the municipality in commands (a-z, 0-9, -)")
		fs.StringVar(&name, "name", "", "the municipality's `name` as shown on its pages")
		fs.Var(&hosts, "host", "host `name` the municipality answers on (repeatable)")
		fs.StringVar(&adminEmail, "admin-email", "", "e-mail `address` of the first admin")
		fs.StringVar(&adminName, "admin-name", "Administration", "`name` of the first admin")
		fs.StringVar(&state, "state", "BY", "federal state `code` (holidays): BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH")
		fs.StringVar(&publicURL, "public-url", "", "address in mailed links (default https://HOST)")
		fs.Func("leitweg-id", "the municipality's own Leitweg-ID (e-invoices; its Grobadressierung bounds the units' Leitweg-IDs), e.g. 09162000-MUSTERSTADT-10; with set, \"\" clears it", func(v string) error {
			leitwegID, leitwegGiven = v, true
			return nil
		})
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) != 1 {
		return cli.Usagef("tenant: say create, set or list")
	}
	switch pos[0] {
	case "list":
		return tenantList(ctx, io, e)
	case "set":
		return tenantSet(ctx, io, e, slug, leitwegID, leitwegGiven)
	case "create":
	default:
		return cli.Usagef("tenant: unknown subcommand %q (create, set, list)", pos[0])
	}
	if slug == "" || name == "" || len(hosts) == 0 || adminEmail == "" {
		return cli.Usagef("tenant create needs --slug SLUG --name NAME --host HOST --admin-email EMAIL [--state BY] [--public-url URL] [--leitweg-id ID]")
	}
	existing, err := e.identity.Tenants(ctx)
	if err != nil {
		return err
	}
	t, err := e.identity.CreateTenant(ctx, identity.Tenant{Slug: slug, Name: strings.TrimSpace(name), Hosts: hosts, PublicURL: publicURL,
		IsDefault: len(existing) == 0, Settings: identity.Settings{FederalState: strings.ToUpper(state), LeitwegID: strings.TrimSpace(leitwegID), OIDC: []identity.OIDCProvider{}}})
	if err != nil {
		return cliFault("tenant create", err)
	}
	sys := identity.System(t.ID)
	sys.Ref = "cli"
	mailed := e.cfg.SMTPURL != ""
	inv, err := e.identity.InviteStaff(ctx, sys, t, adminEmail, adminName, []identity.Role{identity.RoleAdmin}, e.publicURL(t), mailed)
	if err != nil {
		return cliFault("tenant create: first admin", err)
	}
	if e.cfg.JSON {
		return printJSON(io.Stdout, map[string]any{"slug": t.Slug, "name": t.Name, "hosts": t.Hosts, "public_url": e.publicURL(t), "leitweg_id": t.Settings.LeitwegID,
			"admin": inv.Account.Ref, "admin_email": inv.Account.Email, "setup_link": inv.Link, "mailed": mailed})
	}
	fmt.Fprintf(io.Stderr, "municipality %s (%s) created, answering on %s; first admin %s\n", t.Slug, t.Name, strings.Join(t.Hosts, ", "), inv.Account.Email)
	if t.Settings.LeitwegID != "" {
		fmt.Fprintf(io.Stderr, "its Leitweg-ID: %s\n", t.Settings.LeitwegID)
	}
	if mailed {
		fmt.Fprintf(io.Stderr, "the set-up link goes to %s by mail once `rathaus serve` runs (valid 72 hours)\n", inv.Account.Email)
		return nil
	}
	fmt.Fprintf(io.Stderr, "no mail is configured (RATHAUS_SMTP_URL): hand this one-time set-up link to %s (valid 72 hours):\n", inv.Account.Email)
	fmt.Fprintln(io.Stdout, inv.Link)
	return nil
}

// tenantSet changes what the operator owns of a municipality: its own
// Leitweg-ID (refused when another municipality holds its
// Grobadressierung).
func tenantSet(ctx context.Context, io IO, e *env, slug, leitwegID string, given bool) error {
	if slug == "" || !given {
		return cli.Usagef("tenant set needs --slug SLUG --leitweg-id ID (\"\" clears it)")
	}
	t, err := e.identity.TenantBySlug(ctx, slug)
	if err != nil {
		return err
	}
	sys := identity.System(t.ID)
	sys.Ref = "cli"
	t, err = e.identity.SetLeitwegID(ctx, sys, t.ID, leitwegID)
	if err != nil {
		return cliFault("tenant set", err)
	}
	if e.cfg.JSON {
		return printJSON(io.Stdout, map[string]any{"slug": t.Slug, "leitweg_id": t.Settings.LeitwegID})
	}
	if t.Settings.LeitwegID == "" {
		fmt.Fprintf(io.Stderr, "municipality %s has no Leitweg-ID now (it can set up no further e-invoice routes)\n", t.Slug)
		return nil
	}
	fmt.Fprintf(io.Stderr, "municipality %s: Leitweg-ID %s\n", t.Slug, t.Settings.LeitwegID)
	return nil
}

func tenantList(ctx context.Context, io IO, e *env) error {
	list, err := e.identity.Tenants(ctx)
	if err != nil {
		return err
	}
	if e.cfg.JSON {
		type row struct {
			Slug      string   `json:"slug"`
			Name      string   `json:"name"`
			Hosts     []string `json:"hosts"`
			PublicURL string   `json:"public_url"`
			LeitwegID string   `json:"leitweg_id"`
			Demo      bool     `json:"demo"`
			Default   bool     `json:"default"`
		}
		out := []row{}
		for _, t := range list {
			out = append(out, row{t.Slug, t.Name, t.Hosts, e.publicURL(&t), t.Settings.LeitwegID, t.IsDemo, t.IsDefault})
		}
		return printJSON(io.Stdout, out)
	}
	return tenantTable(io.Stdout, e, list)
}

func tenantTable(w io.Writer, e *env, list []identity.Tenant) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tHOSTS\tPUBLIC URL\tLEITWEG-ID\tNOTE")
	for _, t := range list {
		var note []string
		if t.IsDemo {
			note = append(note, "demo (published passwords)")
		}
		if t.IsDefault {
			note = append(note, "default for CLI commands")
		}
		hosts := strings.Join(t.Hosts, ", ")
		if t.IsDemo && hosts == "" {
			hosts = "localhost, 127.0.0.1, [::1] (rathaus demo)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Name, hosts, e.publicURL(&t), cmp.Or(t.Settings.LeitwegID, "-"), strings.Join(note, "; "))
	}
	return tw.Flush()
}
