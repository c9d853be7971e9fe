package app

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/payments/provider/demo"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Payments wiring: the service with its providers, the notifier for
// reminders (the mail job until the mailbox takes them), the jobs
// (reminder sweep, watched statement folder) and the commands.

// StatementDirVar names the watched folder: camt files put into DIR (the
// default tenant) or DIR/SLUG (a tenant) are imported by a durable job
// and moved to DIR/.../imported or DIR/.../refused.
const StatementDirVar = "RATHAUS_STATEMENT_DIR"

// DemoProviderSecretVar is the shared secret of the demo provider's
// signed callbacks; unset, every process makes its own (enough for one
// process, as in `make run`).
const DemoProviderSecretVar = "RATHAUS_DEMO_PROVIDER_SECRET"

var demoSecret = sync.OnceValue(func() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
})

func (e *env) demoProvider() *demo.Provider {
	secret := demoSecret()
	if e.cfg.Getenv != nil {
		if s := e.cfg.Getenv(DemoProviderSecretVar); s != "" {
			secret = []byte(s)
		}
	}
	return &demo.Provider{Secret: secret}
}

// payments builds the payments service of the installation.
func (e *env) payments() *payments.Service {
	s := &payments.Service{DB: e.db, Blobs: e.blobs, Limits: e.limits, DefaultCreditorID: payments.DemoCreditorID,
		Providers: map[string]payments.Provider{demo.Name: e.demoProvider()}}
	s.Contact = func(ctx context.Context, tenantID, accountID int64) (payments.Contact, error) {
		var c payments.Contact
		err := e.db.R.QueryRowContext(ctx, `SELECT email, name FROM accounts WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`, tenantID, accountID).Scan(&c.Email, &c.Name)
		return c, err
	}
	// The mailbox will deliver these once it is wired here; until then
	// an e-mail through the durable mail job (sent after commit).
	s.Notify = func(tx *database.Tx, tenantID int64, to payments.Contact, subject, text, key string) error {
		t, err := e.identity.TenantByID(tx.Context(), tenantID)
		if err != nil {
			return err
		}
		return jobs.Enqueue(tx, mail.JobKind, mail.Message{From: t.Settings.MailFrom, To: to.Email, Subject: subject, Text: text, ID: key + "@rathaus"},
			jobs.Options{Key: key, TenantID: tenantID})
	}
	s.ServiceExists = func(ctx context.Context, tenantID int64, serviceID string) (bool, error) {
		var n int
		err := e.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM services WHERE tenant_id = $1 AND ref = $2`, tenantID, serviceID).Scan(&n)
		return n > 0, err
	}
	return s
}

// tenantBaseURL is a tenant's address for links in mails.
func (e *env) tenantBaseURL(tenantID int64) string {
	t, err := e.identity.TenantByID(context.Background(), tenantID)
	if err == nil && len(t.Hosts) > 0 {
		return "https://" + t.Hosts[0]
	}
	if e.cfg.PublicURL != "" {
		return e.cfg.PublicURL
	}
	return "http://127.0.0.1:8080"
}

// mountPayments registers the payments API and pages, with example URLs
// of the demo city's payments for the browser harness.
func mountPayments(rt *web.Router, e *env, idh *identity.Handler) {
	h := &payments.Handler{Svc: e.payments(), Identity: idh, Pages: site().r, Shell: shellFor, Demo: e.demoProvider()}
	h.Routes(rt)
	ctx := context.Background()
	t, err := e.identity.TenantBySlug(ctx, DemoSlug)
	if err != nil {
		return
	}
	ex, err := h.Svc.DemoExamples(ctx, t.ID)
	if err != nil {
		return
	}
	rt.Example("GET /zahlungen/{id}", "/zahlungen/"+ex.Request)
	rt.Example("GET /zahlungen/{id}/qr.png", "/zahlungen/"+ex.Request+"/qr.png")
	rt.Example("GET /zahlungen/{id}/zahlungshinweis.pdf", "/zahlungen/"+ex.Request+"/zahlungshinweis.pdf")
	if ex.Online != "" {
		rt.Example("GET /zahlungen/{id}/online/{online}", "/zahlungen/"+ex.Request+"/online/"+ex.Online)
		rt.Example("GET /demo-bezahldienst/{id}", "/demo-bezahldienst/"+ex.Online)
	}
	if paid, err := h.Svc.DemoReceiptRequest(ctx, t.ID); err == nil && ex.Receipt != "" {
		rt.Example("GET /zahlungen/{id}/quittungen/{receipt}", "/zahlungen/"+paid+"/quittungen/"+ex.Receipt)
	}
	if ex.Task != "" {
		rt.Example("GET /verwaltung/zahlungen/aufgaben/{id}", "/verwaltung/zahlungen/aufgaben/"+ex.Task)
	}
	rt.Example("GET /api/v1/payment-requests/{id}", "/api/v1/payment-requests/"+ex.Request)
	rt.Example("GET /api/v1/payment-requests/{id}/payments", "/api/v1/payment-requests/"+ex.Request+"/payments")
	rt.Example("GET /api/v1/payment-settings/{id}", "/api/v1/payment-settings/"+DemoServiceRef)
}

// registerPayments adds the payments jobs to the queue and schedules the
// recurring ones (idempotent per day / minute).
func registerPayments(q *jobs.Queue, e *env) {
	svc := e.payments()
	q.Register(payments.RemindJob, svc.RemindHandler(e.tenantBaseURL))
	q.Register(statementFolderJob, e.statementFolderHandler(svc))
	err := database.WithTx(context.Background(), e.db, func(tx *database.Tx) error {
		if err := payments.ScheduleReminders(tx, tx.Now()); err != nil {
			return err
		}
		if e.statementDir() != "" {
			return scheduleFolder(tx, tx.Now())
		}
		return nil
	})
	if err != nil {
		e.log.Error("schedule payment jobs", "err", err)
	}
}

const statementFolderJob = "payments.statement_folder"

func (e *env) statementDir() string {
	if e.cfg.Getenv == nil {
		return ""
	}
	return e.cfg.Getenv(StatementDirVar)
}

func scheduleFolder(tx *database.Tx, at time.Time) error {
	slot := at.UTC().Truncate(time.Minute)
	return jobs.Enqueue(tx, statementFolderJob, struct{}{}, jobs.Options{Key: slot.Format(time.RFC3339), RunAt: slot, MaxAttempts: 3})
}

// statementFolderHandler imports every file of the watched folder and
// schedules the next look a minute later. A file is moved only after its
// import committed; should the process die between the two, the next
// look imports it again and the duplicate check books nothing twice.
func (e *env) statementFolderHandler(svc *payments.Service) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		if dir := e.statementDir(); dir != "" {
			if err := e.importFolder(ctx, svc, dir); err != nil {
				return nil, err
			}
		}
		return func(tx *database.Tx) error { return scheduleFolder(tx, tx.Now().Add(time.Minute)) }, nil
	}
}

// importFolder imports DIR/*.xml for the default tenant and DIR/SLUG/*.xml
// for each tenant.
func (e *env) importFolder(ctx context.Context, svc *payments.Service, dir string) error {
	rows, err := e.db.R.QueryContext(ctx, `SELECT id FROM tenants ORDER BY id`)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		t, err := e.identity.TenantByID(ctx, id)
		if err != nil {
			return err
		}
		sub := filepath.Join(dir, t.Slug)
		if t.IsDefault {
			if err := e.importDir(ctx, svc, t, dir); err != nil {
				return err
			}
		}
		if st, err := os.Stat(sub); err == nil && st.IsDir() {
			if err := e.importDir(ctx, svc, t, sub); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *env) importDir(ctx context.Context, svc *payments.Service, t *identity.Tenant, dir string) error {
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	sort.Strings(files)
	sys := identity.System(t.ID)
	sys.Ref = "folder"
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		res, err := svc.ImportStatement(ctx, sys, t.ID, payments.SourceFolder, filepath.Base(f), data)
		target := "imported"
		if _, ok := fault.AsValidation(err); ok {
			target = "refused"
			os.MkdirAll(filepath.Join(dir, target), 0o750)
			os.WriteFile(filepath.Join(dir, target, filepath.Base(f)+".error.txt"), []byte(err.Error()+"\n"), 0o640)
		} else if err != nil {
			return fmt.Errorf("import %s: %w", f, err)
		}
		if err := os.MkdirAll(filepath.Join(dir, target), 0o750); err != nil {
			return err
		}
		if err := os.Rename(f, filepath.Join(dir, target, filepath.Base(f))); err != nil {
			return err
		}
		if res != nil {
			e.log.Info("statement imported from folder", "tenant", t.Slug, "file", filepath.Base(f), "booked", res.Booked, "worklist", res.Worklist, "duplicate", res.Duplicate)
		}
	}
	return nil
}

// seedDemoPayments is the demo city's payments (demoModules).
func seedDemoPayments(ctx context.Context, e *env, t *identity.Tenant) ([]string, error) {
	return payments.SeedDemo(ctx, e.payments(), t, DemoServiceRef)
}

// paymentsTasks: the finance pages on the staff landing page.
func paymentsTasks() []StaffTask {
	return []StaffTask{{Roles: []identity.Role{identity.RoleFinance, identity.RoleAdmin}, Href: "/verwaltung/zahlungen", TitleKey: "payments.nav.finance", TextKey: "payments.task.finance"}}
}

// runPayments implements `rathaus payments SUBCOMMAND`: epc-qr and camt
// need no database; import FILE, remind and export [--view V] work on the
// tenant's data as the system (audited as "cli").
func runPayments(ctx context.Context, io IO, args []string) error {
	if handled, err := payments.PureCommand(ctx, args, io.Stdout, io.Stderr); handled {
		return err
	}
	var view string
	e, pos, err := openCmd(ctx, "payments", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&view, "view", "all", "export: open, paid, overdue, cancelled or all")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) == 0 {
		return cli.Usagef("usage: rathaus payments epc-qr ... | camt [--json] FILE | import FILE... | remind | export [--view V]")
	}
	t, err := e.tenant(ctx)
	if err != nil {
		return err
	}
	svc := e.payments()
	sys := identity.System(t.ID)
	sys.Ref = "cli"
	switch pos[0] {
	case "import":
		if len(pos) < 2 {
			return cli.Usagef("usage: rathaus payments import FILE...")
		}
		failed := false
		for _, f := range pos[1:] {
			data, err := os.ReadFile(f)
			if err != nil {
				return cli.Usagef("payments import: %v", err)
			}
			res, err := svc.ImportStatement(ctx, sys, t.ID, payments.SourceCLI, filepath.Base(f), data)
			if v, ok := fault.AsValidation(err); ok {
				failed = true
				for _, fe := range v.Errors {
					fmt.Fprintf(io.Stderr, "%s: refused (%s): %v\n", f, fe.Code, fe.Args["detail"])
				}
				continue
			}
			if err != nil {
				return err
			}
			if e.cfg.JSON {
				printJSON(io.Stdout, res)
				continue
			}
			fmt.Fprintf(io.Stdout, "%s: statement %s, %d entries, %d booked, %d to the worklist, %d ignored, %d repeated, %d debits matched%s\n", f, res.Statement, res.Entries,
				res.Booked, res.Worklist, res.Ignored, res.Repeated, res.Debits, map[bool]string{true: " (duplicate: nothing booked)"}[res.Duplicate])
		}
		if failed {
			return cli.ErrNegative
		}
		return nil
	case "remind":
		n, err := svc.Remind(ctx, e.tenantBaseURL)
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Stdout, "%d reminders sent\n", n)
		return nil
	case "export":
		err := svc.ExportCSV(ctx, sys, t.ID, view, io.Stdout)
		if errors.Is(err, fault.ErrForbidden) {
			return err
		}
		if _, ok := fault.AsValidation(err); ok {
			return cli.Usagef("payments export: --view %q: open, paid, overdue, cancelled or all", view)
		}
		return err
	}
	return cli.Usagef("payments: unknown subcommand %q (epc-qr, camt, import, remind, export)", strings.TrimSpace(pos[0]))
}
