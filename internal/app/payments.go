package app

import (
	"context"
	"crypto/rand"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/cases"
	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/mailbox"
	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/payments/provider/demo"
	"github.com/rathaus/rathaus/internal/platform/calendar"
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
	// A payer with an account gets the message in the mailbox (which
	// notifies them by mail without personal data); an applicant without
	// one an e-mail through the durable mail job (sent after commit).
	s.Notify = func(tx *database.Tx, tenantID int64, to payments.Contact, subject, text, key string) error {
		if to.AccountID != 0 {
			m, err := e.caseModule()
			if err != nil {
				return err
			}
			_, err = m.mailbox.Send(tx, mailbox.Outgoing{TenantID: tenantID, AccountID: to.AccountID, Kind: mailbox.KindMessage, SubjectRef: key,
				Sender: "Stadtkasse", Title: subject, Body: text, Actor: "system"})
			return err
		}
		if to.Email == "" {
			return nil
		}
		t, err := e.identity.TenantByID(tx.Context(), tenantID)
		if err != nil {
			return err
		}
		return jobs.Enqueue(tx, mail.JobKind, mail.Message{From: t.Settings.MailFrom, To: to.Email, Subject: subject, Text: text, ID: key + "@rathaus"},
			jobs.Options{Key: key, TenantID: tenantID})
	}
	s.Catalog = func(ctx context.Context, tenantID int64, serviceID string) (catalog.Service, error) {
		st, err := (&catalog.Catalog{DB: e.db}).Get(ctx, tenantID, serviceID)
		if err != nil {
			return catalog.Service{}, err
		}
		return st.Service, nil
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
	h := &payments.Handler{Svc: e.payments(), Identity: idh, Pages: site().r, Shell: shellFor, Demo: e.demoProvider(),
		Subject: paymentSubject}
	h.Routes(rt)
	req, paid := payments.DemoRequestRef, payments.DemoPaidRef
	rt.Example("GET /zahlungen/{id}", "/zahlungen/"+req)
	rt.Example("GET /zahlungen/{id}/qr.png", "/zahlungen/"+req+"/qr.png")
	rt.Example("GET /zahlungen/{id}/zahlungshinweis.pdf", "/zahlungen/"+req+"/zahlungshinweis.pdf")
	rt.Example("GET /zahlungen/{id}/online/{online}", "/zahlungen/"+req+"/online/"+payments.DemoOnlineRef)
	rt.Example("GET /demo-bezahldienst/{id}", "/demo-bezahldienst/"+payments.DemoOnlineRef)
	rt.Example("GET /zahlungen/{id}/quittungen/{receipt}", "/zahlungen/"+paid+"/quittungen/"+payments.DemoReceiptRef)
	rt.Example("GET /verwaltung/zahlungen/aufgaben/{id}", "/verwaltung/zahlungen/aufgaben/"+payments.DemoTaskRef)
	rt.Example("GET /api/v1/payment-requests/{id}", "/api/v1/payment-requests/"+req)
	rt.Example("GET /api/v1/payment-requests/{id}/payments", "/api/v1/payment-requests/"+req+"/payments")
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
	if err := seedDemoParkingPayment(ctx, e, t); err != nil {
		return nil, err
	}
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

// --- cases → payments ---

// casePaymentsFor is the payments side of case processing: a request
// step of a workflow creates the payment request inside the case's
// transaction. The amount is the case's when it names one, else the fee
// of the application's service from its payment settings.
func casePaymentsFor(e *env) cases.Payments { return casePayments{e: e, svc: e.payments()} }

type casePayments struct {
	e   *env
	svc *payments.Service
}

func (c casePayments) Request(tx *database.Tx, r cases.PaymentRequest) (string, string, string, error) {
	ctx := tx.Context()
	sys := identity.System(r.TenantID)
	sys.Ref = "cases"
	in := payments.NewRequest{TenantID: r.TenantID, Subject: r.Subject, PayerAccountID: r.PayerAccount, Amount: r.Amount, Purpose: r.Purpose}
	if r.Due != (calendar.Date{}) {
		in.DueDate = r.Due.String()
	}
	// A repeated step (the case went back and asks again) reuses the
	// open request of the subject.
	// A fee already paid (before submission) is not asked for again.
	if open, err := c.svc.RequestsFor(ctx, sys, r.TenantID, r.Subject); err == nil {
		for _, o := range open {
			if o.Status == payments.StatusOpen || o.Status == payments.StatusPartial {
				return o.Ref, o.RF, o.URL(), nil
			}
			if o.Status == payments.StatusPaid && !r.Amount.IsPositive() {
				return "", "", "", fmt.Errorf("payment for %s: the fee was paid already (%s): %w", r.Subject, o.Ref, fault.ErrConflict)
			}
		}
	}
	app, err := c.e.formsService().Application(ctx, r.TenantID, r.Subject)
	if err == nil {
		in.ServiceID = app.ServiceID
		if r.PayerAccount == 0 {
			in.PayerEmail = app.Email
		}
	}
	var created payments.Created
	if !r.Amount.IsPositive() {
		if in.ServiceID == "" {
			return "", "", "", fmt.Errorf("payment for %s: no amount and no service: %w", r.Subject, fault.ErrConflict)
		}
		qty := 1
		if st, err := c.svc.SettingsFor(ctx, r.TenantID, in.ServiceID); err == nil && app != nil {
			if qty, err = st.Quantity(app.Answers); err != nil {
				return "", "", "", err
			}
		}
		created, err = c.svc.RequestForService(tx, sys, r.TenantID, in.ServiceID, r.Subject, qty, in)
	} else {
		created, err = c.svc.CreateRequest(tx, sys, in)
	}
	if err != nil {
		return "", "", "", err
	}
	return created.Ref, created.RF, created.URL, nil
}

//go:embed demo_parking_workflow.json
var demoParkingWorkflow []byte

// ParkingFee is the demo city's fee for a resident parking permit of 12
// months: ParkingFeePerMonth for each month the form's answer "duration"
// names (24 months: 60.00).
const (
	ParkingFee         = "30.00"
	ParkingFeePerMonth = "2.50"
)

// seedDemoParkingPayment makes the demo's resident parking permit a
// service with a fee paid before the decision: its payment settings, a
// workflow with the payment step (if the service has none yet) and the
// Steueramt as its unit (where Frau Müller works), if no unit is mapped.
func seedDemoParkingPayment(ctx context.Context, e *env, t *identity.Tenant) error {
	sys := identity.System(t.ID)
	sys.Ref = "demo"
	svc := e.payments()
	if _, err := svc.SettingsFor(ctx, t.ID, ParkingServiceRef); errors.Is(err, fault.ErrNotFound) {
		if _, err := svc.PutSettings(ctx, sys, t.ID, payments.Settings{ServiceID: ParkingServiceRef, Timing: payments.AfterSubmission, FeeKind: payments.FeePerQuantity,
			Amount: decimal.RequireFromString(ParkingFeePerMonth), QuantityField: "duration", Purpose: "Bewohnerparkausweis", Unit: "Ordnungsamt", CostCentre: "1220.4711", DueDays: 14, ReminderDays: 7}); err != nil {
			return fmt.Errorf("demo parking fee: %w", err)
		}
	} else if err != nil {
		return err
	}
	m, err := e.caseModule()
	if err != nil {
		return err
	}
	if vs, err := m.cases.WorkflowVersions(ctx, sys, t.ID, ParkingServiceRef); err != nil {
		return err
	} else if len(vs) == 0 {
		if _, err := m.cases.DeclareWorkflow(ctx, sys, t.ID, ParkingServiceRef, demoParkingWorkflow); err != nil {
			return fmt.Errorf("demo parking workflow: %w", err)
		}
	}
	maps, err := m.cases.Mappings(ctx, sys, t.ID)
	if err != nil {
		return err
	}
	for _, mp := range maps {
		if mp.Kind == cases.MapService && mp.Key == ParkingServiceRef {
			return nil
		}
	}
	units, err := e.identity.Units(ctx, sys, t.ID)
	if err != nil {
		return err
	}
	for _, u := range units {
		if u.Name == "Steueramt" {
			return m.cases.SetMapping(ctx, sys, t.ID, cases.MapService, ParkingServiceRef, u.Ref)
		}
	}
	return nil
}
