package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/cases"
	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/mailbox"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/seal"
	"github.com/rathaus/rathaus/internal/platform/web"
	"github.com/rathaus/rathaus/internal/records"
)

// caseModule is case processing with its mailbox and records: stateless
// services over the installation's stores.
type caseModule struct {
	mailbox *mailbox.Service
	records *records.Service
	cases   *cases.Service
	sealer  *seal.Sealer
}

// The seal key: PEM files or a PKCS#12 file from the environment; else the
// demo's test CA in DATA/seal (written by `rathaus demo`); else none, and
// decisions cannot be sent.
const (
	envSealCert     = "RATHAUS_SEAL_CERT"
	envSealKey      = "RATHAUS_SEAL_KEY"
	envSealPKCS12   = "RATHAUS_SEAL_PKCS12"
	envSealPassword = "RATHAUS_SEAL_PKCS12_PASSWORD"
	envSealTrust    = "RATHAUS_SEAL_TRUST"
)

func (e *env) getenv(k string) string {
	if e.cfg.Getenv == nil {
		return ""
	}
	return e.cfg.Getenv(k)
}

func demoSealDir(e *env) string { return filepath.Join(e.cfg.DataDir, "seal") }

// loadSealer finds the seal key; a malformed configuration is an error
// naming the variable.
func loadSealer(e *env) (*seal.Sealer, error) {
	cert, key, p12 := e.getenv(envSealCert), e.getenv(envSealKey), e.getenv(envSealPKCS12)
	trust := e.getenv(envSealTrust)
	switch {
	case p12 != "":
		s, err := seal.LoadFiles("", "", p12, e.getenv(envSealPassword), trust)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envSealPKCS12, err)
		}
		return s, nil
	case cert != "" || key != "":
		if cert == "" || key == "" {
			return nil, fmt.Errorf("%s and %s must both be set", envSealCert, envSealKey)
		}
		s, err := seal.LoadFiles(cert, key, "", "", trust)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", envSealCert, envSealKey, err)
		}
		return s, nil
	}
	dir := demoSealDir(e)
	if _, err := os.Stat(filepath.Join(dir, "seal.pem")); err == nil {
		return seal.LoadFiles(filepath.Join(dir, "seal.pem"), filepath.Join(dir, "seal.key"), "", "", filepath.Join(dir, "ca.pem"))
	}
	return nil, nil
}

// writeDemoSeal creates the demo city's test CA and seal key once.
func writeDemoSeal(e *env, tenantName string) error {
	dir := demoSealDir(e)
	if _, err := os.Stat(filepath.Join(dir, "seal.pem")); err == nil {
		return nil
	}
	now := time.Now()
	ca, err := seal.NewTestCA(tenantName, now)
	if err != nil {
		return err
	}
	s, err := ca.IssueSeal("Stadt "+tenantName+" – elektronisches Siegel (Demo)", "Stadt "+tenantName, now, 5*365*24*time.Hour)
	if err != nil {
		return err
	}
	chain, key, err := s.PEM()
	if err != nil {
		return err
	}
	caPEM, _, err := (&seal.Sealer{Key: s.Key, Cert: ca.Cert}).PEM()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"seal.pem": chain, "seal.key": key, "ca.pem": caPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// mailBaseURL is the public address of a tenant for links in mails.
func (e *env) mailBaseURL(ctx context.Context, tenantID int64) string {
	t, err := e.identity.TenantByID(ctx, tenantID)
	if err != nil {
		return e.publicURL(nil)
	}
	return e.publicURL(t)
}

// caseModule builds the services (cheap: they hold only the stores).
func (e *env) caseModule() (*caseModule, error) {
	sealer, err := loadSealer(e)
	if err != nil {
		return nil, err
	}
	m := &caseModule{sealer: sealer}
	var verify func([]byte, time.Time) seal.Verification
	if sealer != nil {
		verify = sealer.Verify
	}
	m.mailbox = &mailbox.Service{DB: e.db, Identity: e.identity, Blobs: e.blobs, Verify: verify, BaseURL: e.mailBaseURL}
	m.records = &records.Service{DB: e.db, Blobs: e.blobs}
	m.cases = &cases.Service{DB: e.db, Identity: e.identity, Catalog: e.catalogFor(), Applications: e.applications(), Mailbox: m.mailbox, Records: m.records,
		Blobs: e.blobs, Sealer: sealer, Payments: e.casePayments(), Log: e.log}
	return m, nil
}

// mountCases registers the routes of cases, mailbox and records.
func mountCases(rt *web.Router, e *env, idh *identity.Handler) {
	m, err := e.caseModule()
	if err != nil {
		panic(err) // checked at start-up by checkCases
	}
	(&mailbox.Handler{Svc: m.mailbox, Identity: idh, Pages: site().r, Shell: shellFor}).Routes(rt)
	(&records.Handler{Svc: m.records, Identity: idh, Pages: site().r, Shell: shellFor, Handover: func(r *http.Request) records.Handover {
		name := "Rathaus"
		if t := identity.TenantFrom(r.Context()); t != nil {
			name = t.Name
		}
		return records.Handover{Authority: "Stadt " + name, Archive: "Stadtarchiv " + name, Version: Version}
	}}).Routes(rt)
	(&cases.Handler{Svc: m.cases, Identity: idh, Pages: site().r, Shell: shellFor}).Routes(rt)
	rt.Example("GET /verwaltung/ablaeufe/{id}", "/verwaltung/ablaeufe/"+DemoServiceRef)
	rt.Example("GET /api/v1/workflows/{id}", "/api/v1/workflows/"+DemoServiceRef)
	for pattern, url := range demoCaseExamples {
		rt.Example(pattern, url)
	}
}

// demoCaseExamples are example URLs of the demo's case objects for the
// browser harness (filled by the demo seeder's fixed references).
var demoCaseExamples = map[string]string{}

// checkCases fails start-up on a malformed seal configuration.
func checkCases(e *env) error {
	_, err := e.caseModule()
	return err
}

// registerCaseJobs adds the handlers of cases and records to the queue.
func registerCaseJobs(q *jobs.Queue, e *env) {
	m, err := e.caseModule()
	if err != nil {
		e.log.Error("case jobs not registered", "err", err)
		return
	}
	q.Register(cases.JobFormsSubmitted, m.cases.SubmittedHandler())
	q.Register(cases.JobFormsWithdrawn, m.cases.WithdrawnHandler())
	q.Register(cases.JobPaymentsSettled, e.settledHandler(m.cases.SettledHandler()))
	q.Register(mailbox.RepliedJob, m.cases.RepliedHandler())
	q.Register(identity.AbsenceStartedJob, m.cases.AbsenceHandler())
	q.Register(records.RetentionJob, m.records.RetentionHandler())
	if err := scheduleRetention(context.Background(), e); err != nil {
		e.log.Error("schedule retention", "err", err)
	}
}

// scheduleRetention enqueues today's retention run of every tenant (the
// job then schedules itself daily).
func scheduleRetention(ctx context.Context, e *env) error {
	rows, err := e.db.R.QueryContext(ctx, `SELECT id FROM tenants`)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	today := calendar.DateOf(e.db.Clock.Now(), calendar.Berlin)
	return database.WithTx(ctx, e.db, func(tx *database.Tx) error {
		for _, id := range ids {
			if err := records.ScheduleRetention(tx, id, today); err != nil {
				return err
			}
		}
		return nil
	})
}

// casesTasks are the staff landing page's entries of case processing.
func casesTasks() []StaffTask {
	work := []identity.Role{identity.RoleCaseWorker, identity.RoleUnitHead}
	return []StaffTask{
		{Roles: work, Href: "/verwaltung/vorgaenge", TitleKey: "cases.inbox.title", TextKey: "cases.task.inbox"},
		{Roles: []identity.Role{identity.RoleUnitHead}, Href: "/verwaltung/rueckstand", TitleKey: "cases.backlog.title", TextKey: "cases.task.backlog"},
		{Href: "/verwaltung/abwesenheit", TitleKey: "cases.absence.title", TextKey: "cases.task.absence"},
		{Roles: []identity.Role{identity.RoleAdmin}, Href: "/verwaltung/zustaendigkeiten", TitleKey: "cases.responsibilities.title", TextKey: "cases.task.responsibilities"},
		{Roles: []identity.Role{identity.RoleFormManager, identity.RoleAdmin}, Href: "/verwaltung/ablaeufe", TitleKey: "cases.workflows.title", TextKey: "cases.task.workflows"},
		{Roles: []identity.Role{identity.RoleMailRoom, identity.RoleCaseWorker, identity.RoleUnitHead, identity.RoleAdmin}, Href: "/verwaltung/druckauftraege", TitleKey: "mailbox.print.title", TextKey: "mailbox.task.print"},
		{Roles: []identity.Role{identity.RoleRecordsOfficer, identity.RoleAdmin, identity.RoleUnitHead, identity.RoleCaseWorker}, Href: "/verwaltung/akten", TitleKey: "records.title", TextKey: "records.task"},
	}
}

// runRecords implements `rathaus records list --json [--closed] [--due
// YYYY-MM-DD]` and `rathaus records export REF --out FILE.zip`.
func runRecords(ctx context.Context, io IO, args []string) error {
	var closed bool
	var due, out string
	e, pos, err := openCmd(ctx, "records", args, io, func(fs *flag.FlagSet) {
		fs.BoolVar(&closed, "closed", false, "list: only closed e-files")
		fs.StringVar(&due, "due", "", "list: kept e-files whose retention ended before this day (YYYY-MM-DD)")
		fs.StringVar(&out, "out", "", "export: the zip file to write")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if len(pos) == 0 {
		return cli.Usagef("usage: rathaus records list [--json] [--closed] [--due YYYY-MM-DD] | records export REF --out FILE.zip")
	}
	t, err := e.tenant(ctx)
	if err != nil {
		return err
	}
	m, err := e.caseModule()
	if err != nil {
		return cli.Usagef("%v", err)
	}
	sys := identity.System(t.ID)
	sys.Ref = "cli"
	switch pos[0] {
	case "list":
		if due != "" {
			if _, err := calendar.ParseDate(due); err != nil {
				return cli.Usagef("--due: %v", err)
			}
		}
		files, err := m.records.List(ctx, sys, t.ID, records.Filter{Closed: closed, Due: due})
		if err != nil {
			return err
		}
		if e.cfg.JSON {
			return printJSON(io.Stdout, files)
		}
		for _, f := range files {
			fmt.Fprintf(io.Stdout, "%s  %-12s %-10s %2d documents  %s\n", f.Ref, f.Status, f.RetainUntil, len(f.Documents), f.Title)
		}
		return nil
	case "export":
		if len(pos) != 2 || out == "" {
			return cli.Usagef("usage: rathaus records export REF --out FILE.zip")
		}
		f, err := os.CreateTemp(filepath.Dir(out), ".export-*.zip")
		if err != nil {
			return cli.Usagef("--out: %v", err)
		}
		defer os.Remove(f.Name())
		file, err := m.records.Export(ctx, sys, t.ID, pos[1], records.Handover{Authority: "Stadt " + t.Name, Archive: "Stadtarchiv " + t.Name, Version: Version}, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if errors.Is(err, fault.ErrNotFound) || errors.Is(err, fault.ErrConflict) {
			fmt.Fprintf(io.Stderr, "records export: %v\n", err)
			return cli.ErrNegative
		}
		if err != nil {
			return err
		}
		if err := os.Rename(f.Name(), out); err != nil {
			return err
		}
		if e.cfg.JSON {
			return printJSON(io.Stdout, map[string]any{"ref": file.Ref, "out": out, "message": records.MessageName(file), "documents": len(file.Documents)})
		}
		fmt.Fprintf(io.Stdout, "%s: %s with %d documents written to %s\n", file.Ref, records.MessageName(file), len(file.Documents), out)
		return nil
	}
	return cli.Usagef("records: unknown subcommand %q (list, export)", strings.Join(pos[:1], ""))
}

func (e *env) catalogFor() *catalog.Catalog { return &catalog.Catalog{DB: e.db} }

// applications is the forms side of cases: forms.Application adapted to
// what case processing reads, and the applicant-visible status.
func (e *env) applications() cases.Applications { return formsApplications{e.formsService()} }

type formsApplications struct{ f *forms.Service }

func (a formsApplications) Application(ctx context.Context, tenantID int64, ref string) (*cases.Application, error) {
	app, err := a.f.Application(ctx, tenantID, ref)
	if err != nil {
		return nil, err
	}
	out := &cases.Application{Ref: app.Ref, ServiceID: app.ServiceID, FormTitle: app.FormTitle, FormVersion: app.FormVersion, AccountID: app.AccountID,
		AccountRef: app.AccountRef, AccountKind: app.AccountKind, Email: app.Email, Answers: app.Answers, ReceiptPDF: app.ReceiptPDF, ReceiptJSON: app.ReceiptJSON,
		SubmittedAt: app.SubmittedAt, Status: string(app.Status)}
	for _, f := range app.Files {
		out.Files = append(out.Files, cases.File{Field: f.Field, Name: f.Name, MediaType: f.MediaType, SHA256: f.SHA256, Size: f.Size})
	}
	return out, nil
}

func (a formsApplications) SetStatus(tx *database.Tx, tenantID int64, ref, status string) error {
	return a.f.SetStatus(tx, tenantID, ref, forms.Status(status))
}

// casePayments is the payments seam of cases (payments.go).
func (e *env) casePayments() cases.Payments { return casePaymentsFor(e) }

// seedDemoCases gives the demo city what case processing needs: the test
// seal, the dog tax's office mapped to the Steueramt, the dog tax workflow
// and the demo citizen's consent to electronic delivery. Only what is
// absent is added.
func seedDemoCases(ctx context.Context, e *env, t *identity.Tenant) ([]string, error) {
	if err := writeDemoSeal(e, t.Name); err != nil {
		return nil, fmt.Errorf("demo seal: %w", err)
	}
	m, err := e.caseModule()
	if err != nil {
		return nil, err
	}
	sys := identity.System(t.ID)
	units, err := e.identity.Units(ctx, sys, t.ID)
	if err != nil {
		return nil, err
	}
	var steueramt string
	for _, u := range units {
		if u.Name == "Steueramt" {
			steueramt = u.Ref
		}
	}
	maps, err := m.cases.Mappings(ctx, sys, t.ID)
	if err != nil {
		return nil, err
	}
	if len(maps) == 0 && steueramt != "" {
		if err := m.cases.SetMapping(ctx, sys, t.ID, cases.MapOffice, "Stadtkasse – Steuern und Abgaben", steueramt); err != nil {
			return nil, fmt.Errorf("demo mapping: %w", err)
		}
	}
	if vs, err := m.cases.WorkflowVersions(ctx, sys, t.ID, DemoServiceRef); err != nil {
		return nil, err
	} else if len(vs) == 0 {
		if _, err := m.cases.DeclareWorkflow(ctx, sys, t.ID, DemoServiceRef, cases.DemoDogTaxWorkflow()); err != nil {
			return nil, fmt.Errorf("demo dog tax workflow: %w", err)
		}
	}
	var citizen, erika int64
	e.db.R.QueryRowContext(ctx, `SELECT id FROM accounts WHERE tenant_id = $1 AND email = $2`, t.ID, DemoCitizen.Email).Scan(&citizen)
	e.db.R.QueryRowContext(ctx, `SELECT id FROM accounts WHERE tenant_id = $1 AND email = $2`, t.ID, demoApplicant.Email).Scan(&erika)
	if erika == 0 {
		a, err := e.identity.CreateCitizen(ctx, sys, t.ID, "citizen", demoApplicant.Email, demoApplicant.Name, DemoPassword)
		if err != nil {
			return nil, fmt.Errorf("demo applicant: %w", err)
		}
		e.db.R.QueryRowContext(ctx, `SELECT id FROM accounts WHERE ref = $1`, a.Ref).Scan(&erika)
	}
	if citizen != 0 {
		if c, err := m.mailbox.ConsentFor(ctx, t.ID, citizen); err == nil && c.Since == nil {
			err := database.WithTx(ctx, e.db, func(tx *database.Tx) error {
				return mailbox.RecordConsent(tx, t.ID, citizen, "system", true, "demo")
			})
			if err != nil {
				return nil, err
			}
		}
	}
	closed, err := demoClosedCase(ctx, e, m, t, erika)
	if err != nil {
		return nil, fmt.Errorf("demo closed case: %w", err)
	}
	lines := []string{"case processing: dog tax cases go to the Steueramt; decisions are sealed with the demo's test CA (" + filepath.Join(demoSealDir(e), "ca.pem") + ")"}
	if closed != "" {
		lines = append(lines, "records: closed demo case with its e-file "+closed+" (rathaus records export "+closed+" --out FILE.zip)")
	}
	return lines, nil
}

// demoApplicant applied for the demo's closed case (so the demo citizen's
// own applications stay his).
var demoApplicant = struct{ Email, Name string }{"erika.mustermann@musterstadt.example", "Erika Mustermann"}

// demoClosedCase gives the demo one finished dog tax case — submitted by
// Erika Mustermann, claimed and decided by Frau Müller, closed — with its
// e-file, unless the demo already has a closed e-file. No mail is sent for
// this history (she has no consent: her decision is in the print list). It
// returns the e-file's reference.
func demoClosedCase(ctx context.Context, e *env, m *caseModule, t *identity.Tenant, citizen int64) (string, error) {
	quiet := *m.mailbox
	quiet.Quiet = true
	cs := *m.cases
	cs.Mailbox = &quiet
	m = &caseModule{mailbox: &quiet, records: m.records, cases: &cs, sealer: m.sealer}
	sys := identity.System(t.ID)
	if files, err := m.records.List(ctx, sys, t.ID, records.Filter{Closed: true}); err != nil || len(files) > 0 {
		if err == nil {
			return files[0].Ref, nil
		}
		return "", err
	}
	if citizen == 0 || m.sealer == nil {
		return "", nil
	}
	person := func(id int64) (identity.Principal, error) {
		pp, err := e.identity.PersonByID(ctx, t.ID, id)
		if err != nil {
			return identity.Principal{}, err
		}
		return identity.Principal{TenantID: t.ID, AccountID: id, Ref: pp.Ref, Kind: pp.Kind, Roles: pp.Roles}, nil
	}
	paul, err := person(citizen)
	if err != nil {
		return "", err
	}
	var worker int64
	e.db.R.QueryRowContext(ctx, `SELECT id FROM accounts WHERE tenant_id = $1 AND email = $2`, t.ID, "mueller@musterstadt.example").Scan(&worker)
	if worker == 0 {
		return "", nil
	}
	mueller, err := person(worker)
	if err != nil {
		return "", err
	}
	answers := forms.DogTaxAnswers(0)
	answers["dog_name"], answers["given_name"], answers["family_name"] = "Luna", "Erika", "Mustermann"
	app, err := e.formsService().Submit(ctx, paul, t.ID, forms.Submission{ServiceID: DemoServiceRef, Answers: answers, Lang: "de"})
	if err != nil {
		return "", err
	}
	c, err := m.cases.Open(ctx, t.ID, app.Ref)
	if err != nil {
		return "", err
	}
	if err := m.cases.Claim(ctx, mueller, t.ID, c.Ref); err != nil {
		return "", err
	}
	if err := m.cases.Step(ctx, mueller, t.ID, c.Ref, "approve", cases.StepInput{Reason: "Die Jahressteuer für den ersten Hund beträgt 96 Euro."}); err != nil {
		return "", err
	}
	if err := m.cases.Step(ctx, mueller, t.ID, c.Ref, "close", cases.StepInput{}); err != nil {
		return "", err
	}
	return c.FileRef, nil
}
