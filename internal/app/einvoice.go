package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/einvoice"
	"github.com/rathaus/rathaus/internal/einvoice/inbox"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// DemoInvoiceRef is the demo city's first example invoice (new, routed to
// the Kämmerei), for the browser harness.
var DemoInvoiceRef = inbox.DemoRefs[0]

// inbox builds the e-invoice inbox service on the installation's stores.
func (e *env) inbox() *inbox.Service {
	pay := e.payments()
	return &inbox.Service{DB: e.db, Blobs: e.blobs, Identity: e.identity, Limits: e.limits, Log: e.log,
		Substitute: e.identity.SubstituteFor,
		// The run's transfers are registered with payments in the run's
		// transaction; a matching debit on a bank statement comes back as
		// payments.debit_matched (einvoiceJobs).
		Debits: func(tx *database.Tx, tenantID int64, run string, debits []inbox.Debit) error {
			exp := make([]payments.ExpectedDebit, 0, len(debits))
			for _, d := range debits {
				amt, err := decimal.NewFromString(d.Amount)
				if err != nil {
					return fmt.Errorf("debit %s: %w", d.EndToEndID, err)
				}
				exp = append(exp, payments.ExpectedDebit{EndToEndID: d.EndToEndID, Amount: amt})
			}
			return pay.ExpectDebits(tx, tenantID, run, exp)
		},
	}
}

// mountEinvoice registers the inbox's API and finance pages.
func mountEinvoice(rt *web.Router, e *env, idh *identity.Handler) {
	h := &inbox.Handler{Svc: e.inbox(), Identity: idh, Pages: site().r, Shell: shellFor, MailAddress: e.einvoiceAddress}
	h.Routes(rt)
	rt.Example("GET /api/v1/einvoices/{id}", "/api/v1/einvoices/"+DemoInvoiceRef)
	rt.Example("GET /verwaltung/rechnungen/{id}", "/verwaltung/rechnungen/"+DemoInvoiceRef)
	rt.Example("GET /verwaltung/rechnungen/{id}/original", "/verwaltung/rechnungen/"+DemoInvoiceRef+"/original")
	rt.Example("GET /verwaltung/rechnungen/{id}/ansicht.pdf", "/verwaltung/rechnungen/"+DemoInvoiceRef+"/ansicht.pdf")
}

// einvoiceAddress is the invoice mailbox address the tenant publishes
// (RATHAUS_EINVOICE_IMAP_<TENANT>'s address parameter), "" for none.
func (e *env) einvoiceAddress(t *identity.Tenant) string {
	if e.cfg.Getenv == nil {
		return ""
	}
	mb, err := inbox.ParseMailboxURL(e.cfg.Getenv(inbox.MailboxVar(t.Slug)))
	if err != nil || mb == nil {
		return ""
	}
	return mb.Address
}

// einvoiceJobs registers the inbox's job handlers: matched bank debits
// from payments, and the mailbox poll.
func (e *env) einvoiceJobs(q *jobs.Queue) {
	svc := e.inbox()
	q.Register(payments.DebitMatchedJob, func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var p payments.DebitMatched
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return nil, fmt.Errorf("payments.debit_matched %s: bad payload: %w", j.Key, err)
		}
		err := svc.DebitMatched(ctx, p.TenantID, p.Run, p.EndToEndID)
		if errors.Is(err, fault.ErrNotFound) {
			e.log.Warn("matched debit of no e-invoice payment run", "run", p.Run, "end_to_end_id", p.EndToEndID)
			return nil, nil // not ours: nothing to do, never retried
		}
		return nil, err
	})
	q.Register(inbox.MailPollJob, inbox.MailPollHandler(svc, e.mailboxOf))
	e.scheduleMailPolls()
}

// scheduleMailPolls starts the poll chain of every tenant with an invoice
// mailbox (idempotent: one job per tenant and interval, whichever process
// starts first; the chain goes on from each job's finish).
func (e *env) scheduleMailPolls() {
	if e.cfg.Getenv == nil {
		return
	}
	ctx := context.Background()
	rows, err := e.db.R.QueryContext(ctx, `SELECT id, slug FROM tenants`)
	if err != nil {
		e.log.Error("invoice mailboxes", "err", err)
		return
	}
	type tenant struct {
		id   int64
		slug string
	}
	var ts []tenant
	for rows.Next() {
		var t tenant
		rows.Scan(&t.id, &t.slug)
		ts = append(ts, t)
	}
	rows.Close()
	for _, t := range ts {
		mb, err := inbox.ParseMailboxURL(e.cfg.Getenv(inbox.MailboxVar(t.slug)))
		if err != nil {
			e.log.Error("invoice mailbox not polled", "tenant", t.slug, "variable", inbox.MailboxVar(t.slug), "err", err)
			continue
		}
		if mb == nil {
			continue
		}
		err = database.WithTx(ctx, e.db, func(tx *database.Tx) error {
			return inbox.SchedulePoll(tx, t.id, tx.Now().Add(-mb.Interval), mb.Interval)
		})
		if err != nil {
			e.log.Error("invoice mailbox", "tenant", t.slug, "err", err)
		}
	}
}

// mailboxOf is the configured invoice mailbox of a tenant, nil for none.
func (e *env) mailboxOf(ctx context.Context, tenantID int64) (*identity.Tenant, *inbox.Mailbox, error) {
	t, err := e.identity.TenantByID(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	if e.cfg.Getenv == nil {
		return t, nil, nil
	}
	mb, err := inbox.ParseMailboxURL(e.cfg.Getenv(inbox.MailboxVar(t.Slug)))
	return t, mb, err
}

// runEinvoice implements `rathaus einvoice validate|payment-run`.
func runEinvoice(ctx context.Context, io IO, args []string) error {
	name, rest := splitCommand(args)
	if name == "payment-run" {
		return runPaymentRun(ctx, io, rest)
	}
	return einvoice.Command(ctx, args, io.Stdout, io.Stderr)
}

// runPaymentRun implements `rathaus einvoice payment-run --out FILE`: the
// same payment run as POST /api/v1/einvoices/payment-runs, acting as the
// system; the pain.001 document goes to FILE. Nothing to pay: exit 1.
func runPaymentRun(ctx context.Context, io IO, args []string) error {
	var out string
	e, pos, err := openCmd(ctx, "einvoice payment-run", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "write the SEPA file (pain.001.001.09) here")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) > 0 || out == "" {
		return cli.Usagef("usage: rathaus einvoice payment-run --out FILE [--json]")
	}
	t, err := e.tenant(ctx)
	if err != nil {
		return err
	}
	sys := identity.System(t.ID)
	sys.Ref = "cli"
	svc := e.inbox()
	run, err := svc.CreatePaymentRun(ctx, sys, t)
	if fault.HasCode(err, "invoices", "nothing_to_pay") {
		fmt.Fprintln(io.Stderr, "einvoice payment-run: no approved invoice to pay; no file written")
		return cli.ErrNegative
	}
	if err != nil {
		return err
	}
	if run.Count > 0 {
		file, err := svc.PaymentFile(ctx, sys, t.ID, run.Ref)
		if err != nil {
			return err
		}
		if err := os.WriteFile(out, file, 0o640); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
	}
	if e.cfg.JSON {
		return printJSON(io.Stdout, run)
	}
	fmt.Fprintf(io.Stdout, "payment run %s: %d transfers, %s EUR, file %s\n", run.Ref, run.Count, run.ControlSum, out)
	for _, s := range run.Skipped {
		fmt.Fprintf(io.Stdout, "skipped: %s (%s)\n", s.Invoice, s.Reason)
	}
	if len(run.Netted) > 0 {
		fmt.Fprintf(io.Stdout, "netted credit notes: %s\n", strings.Join(run.Netted, ", "))
	}
	return nil
}

// The demo's second finance clerk; with the demo's kasse@ they are the two
// people the four-eyes principle needs. Both are members of every unit.
const demoClerk2 = "kasse2@musterstadt.example"

// DemoClerk2Token is the second finance clerk's personal API token (the
// first one's is DemoToken("finance"), Karla Kasse's).
const DemoClerk2Token = "rh_demo_finance2_musterstadt"

// seedDemoEinvoice gives the demo city its Leitweg-IDs, two finance clerks
// in every unit and example invoices.
func seedDemoEinvoice(ctx context.Context, e *env, t *identity.Tenant) ([]string, error) {
	sys := identity.System(t.ID)
	units, err := e.identity.Units(ctx, sys, t.ID)
	if err != nil {
		return nil, err
	}
	byName := map[string]string{}
	for _, u := range units {
		byName[u.Name] = u.Ref
	}
	if _, ok := byName["Kämmerei"]; !ok {
		return nil, fmt.Errorf("demo e-invoice: the demo city has no Kämmerei")
	}
	clerk := func(email, name string) (identity.Principal, error) {
		staff, err := e.identity.Staff(ctx, sys, t.ID)
		if err != nil {
			return identity.Principal{}, err
		}
		ref := ""
		for _, s := range staff {
			if s.Email == email {
				ref = s.Ref
			}
		}
		if ref == "" {
			a, err := e.identity.CreateStaff(ctx, sys, t.ID, email, name, DemoPassword, []identity.Role{identity.RoleFinance})
			if err != nil {
				return identity.Principal{}, err
			}
			ref = a.Ref
			if _, _, err := e.identity.CreatePersonalToken(ctx, sys, t.ID, ref, "demo", DemoClerk2Token); err != nil {
				return identity.Principal{}, err
			}
		}
		var id int64
		if err := e.db.R.QueryRowContext(ctx, `SELECT id FROM accounts WHERE ref = $1 AND tenant_id = $2`, ref, t.ID).Scan(&id); err != nil {
			return identity.Principal{}, err
		}
		in, err := e.identity.UnitRefsOf(ctx, t.ID, id)
		if err != nil {
			return identity.Principal{}, err
		}
		for _, u := range units {
			if slices.Contains(in, u.Ref) {
				continue
			}
			if err := e.identity.AddMember(ctx, sys, t.ID, u.Ref, ref); err != nil {
				return identity.Principal{}, err
			}
		}
		return identity.Principal{TenantID: t.ID, AccountID: id, Ref: ref, Kind: "staff", Roles: []identity.Role{identity.RoleFinance}}, nil
	}
	a, err := clerk("kasse@musterstadt.example", "Karla Kasse")
	if err != nil {
		return nil, fmt.Errorf("demo clerk: %w", err)
	}
	b, err := clerk(demoClerk2, "Konrad Kasse")
	if err != nil {
		return nil, fmt.Errorf("demo clerk: %w", err)
	}
	routes, err := e.inbox().SeedDemo(ctx, t, a, b, byName, "Kämmerei")
	if err != nil {
		return nil, fmt.Errorf("demo e-invoices: %w", err)
	}
	lines := []string{fmt.Sprintf("e-invoices: Leitweg-ID of the city %s (Kämmerei); the units' Leitweg-IDs:", t.Settings.LeitwegID)}
	for _, r := range routes {
		if r.LeitwegID != t.Settings.LeitwegID {
			lines = append(lines, fmt.Sprintf("  Leitweg-ID %-32s %s", r.LeitwegID, r.UnitName))
		}
	}
	lines = append(lines,
		"  finance clerks for four eyes (members of every unit): kasse@musterstadt.example (token "+DemoToken(identity.RoleFinance)+") and "+demoClerk2+" (token "+DemoClerk2Token+")",
		fmt.Sprintf("  %-16s %-38s %s", "finance", DemoClerk2Token, "Konrad Kasse (second finance clerk)"),
		"  inbox: /verwaltung/rechnungen; POST /api/v1/einvoices with an XRechnung body")
	return lines, nil
}

// einvoiceTasks: the inbox for finance and the staff of the units, the
// payment runs for finance, the disposal list for records officers.
func einvoiceTasks() []StaffTask {
	return []StaffTask{
		{Roles: []identity.Role{identity.RoleFinance, identity.RoleAdmin, identity.RoleCaseWorker, identity.RoleUnitHead, identity.RoleRecordsOfficer}, Href: inbox.WorklistPath, TitleKey: "einvoice.worklist.title", TextKey: "einvoice.task.inbox"},
		{Roles: []identity.Role{identity.RoleFinance}, Href: "/verwaltung/rechnungen/hochladen", TitleKey: "einvoice.nav.upload", TextKey: "einvoice.task.upload"},
		{Roles: []identity.Role{identity.RoleFinance, identity.RoleAdmin}, Href: "/verwaltung/zahlungslaeufe", TitleKey: "einvoice.runs.title", TextKey: "einvoice.task.runs"},
		{Roles: []identity.Role{identity.RoleRecordsOfficer}, Href: "/verwaltung/rechnungen/aufbewahrung", TitleKey: "einvoice.disposal.title", TextKey: "einvoice.task.disposal"},
	}
}
