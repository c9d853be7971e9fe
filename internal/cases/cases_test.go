package cases

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/mailbox"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/ref"
	"github.com/rathaus/rathaus/internal/platform/seal"
	"github.com/rathaus/rathaus/internal/records"
)

// apps stands in for forms (which owns applications) in this package's
// tests; the composition root's tests run the real one.
type apps struct {
	mu sync.Mutex
	m  map[string]*Application
}

func (a *apps) Application(ctx context.Context, tenantID int64, r string) (*Application, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	app, ok := a.m[r]
	if !ok {
		return nil, fault.ErrNotFound
	}
	cp := *app
	return &cp, nil
}

func (a *apps) SetStatus(tx *database.Tx, tenantID int64, r, status string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.m[r].Status = status
	return nil
}

func (a *apps) status(r string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.m[r].Status
}

type world struct {
	s                                  *Service
	apps                               *apps
	tn                                 *identity.Tenant
	mueller, schmidt, leitung, fremd   identity.Principal
	paul, erika                        identity.Principal
	steueramt, buergerbuero, serviceID string
	q                                  *jobs.Queue
	clk                                *clock.Fake
}

func staff(t *testing.T, ids *identity.Service, tn *identity.Tenant, db *database.DB, email string, role identity.Role, unit string) identity.Principal {
	t.Helper()
	ctx := context.Background()
	a, err := ids.CreateStaff(ctx, identity.System(tn.ID), tn.ID, email, email, "ein-langes-passwort-123", []identity.Role{role})
	if err != nil {
		t.Fatal(err)
	}
	if err := ids.AddMember(ctx, identity.System(tn.ID), tn.ID, unit, a.Ref); err != nil {
		t.Fatal(err)
	}
	p := identity.Principal{TenantID: tn.ID, Ref: a.Ref, Kind: "staff", Roles: []identity.Role{role}}
	db.R.QueryRow(`SELECT id FROM accounts WHERE ref = $1`, a.Ref).Scan(&p.AccountID)
	return p
}

func citizen(t *testing.T, db *database.DB, tn int64, email string) identity.Principal {
	t.Helper()
	p := identity.Principal{TenantID: tn, Ref: ref.New("U"), Kind: "citizen"}
	err := database.WithTx(context.Background(), db, func(tx *database.Tx) error {
		return tx.QueryRowContext(tx.Context(), `INSERT INTO accounts (tenant_id, ref, kind, email, name, created_at, email_verified_at) VALUES ($1, $2, 'citizen', $3, 'Paul Beispiel', $4, $4) RETURNING id`,
			tn, p.Ref, email, tx.Now()).Scan(&p.AccountID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newWorld(t *testing.T, db *database.DB, clk *clock.Fake) *world {
	t.Helper()
	ctx := context.Background()
	ids := &identity.Service{DB: db}
	tn, err := ids.CreateTenant(ctx, identity.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Settings: identity.Settings{FederalState: "BY", MailFrom: "rathaus@musterstadt.example",
		Address: identity.Address{Street: "Marktplatz 1", Postcode: "91052", City: "Musterstadt"}}})
	if err != nil {
		t.Fatal(err)
	}
	sys := identity.System(tn.ID)
	w := &world{tn: tn, clk: clk, apps: &apps{m: map[string]*Application{}}}
	st, _ := ids.CreateUnit(ctx, sys, tn.ID, "Steueramt", "")
	bb, _ := ids.CreateUnit(ctx, sys, tn.ID, "Bürgerbüro", "")
	w.steueramt, w.buergerbuero = st.Ref, bb.Ref
	w.mueller = staff(t, ids, tn, db, "mueller@musterstadt.example", identity.RoleCaseWorker, st.Ref)
	w.schmidt = staff(t, ids, tn, db, "schmidt@musterstadt.example", identity.RoleCaseWorker, st.Ref)
	w.leitung = staff(t, ids, tn, db, "leitung@musterstadt.example", identity.RoleUnitHead, st.Ref)
	w.fremd = staff(t, ids, tn, db, "fremd@musterstadt.example", identity.RoleCaseWorker, bb.Ref)
	w.paul = citizen(t, db, tn.ID, "paul@example.org")
	w.erika = citizen(t, db, tn.ID, "erika@example.org")

	cat := &catalog.Catalog{DB: db}
	if _, err := cat.Import(ctx, sys, tn.ID, "json", &catalog.ImportResult{Read: 1, Services: []catalog.Service{{ExternalID: "hund", Source: "demo", Name: "Hundesteuer",
		LeikaKeys: []string{"99102013000000"}, Units: []string{"Stadtkasse – Steuern und Abgaben"}}}}); err != nil {
		t.Fatal(err)
	}
	all, _ := cat.All(ctx, tn.ID)
	w.serviceID = all[0].ID
	// The installation's store records each Put in a transaction of its own,
	// so a Put inside a use case's transaction would deadlock; tests use it.
	blobs := &blob.Tracked{Store: blobtest.Open(t), DB: db} // a bucket of a real S3 server under make test-s3
	ca, _ := seal.NewTestCA("Stadt Musterstadt", clk.Now())
	sealer, _ := ca.IssueSeal("Stadt Musterstadt – Siegel", "Stadt Musterstadt", clk.Now(), 2*365*24*time.Hour)
	mb := &mailbox.Service{DB: db, Identity: ids, Blobs: blobs, Verify: sealer.Verify, BaseURL: func(context.Context, int64) string { return "https://musterstadt.example" }}
	w.s = &Service{DB: db, Identity: ids, Catalog: cat, Applications: w.apps, Mailbox: mb, Records: &records.Service{DB: db, Blobs: blobs}, Blobs: blobs, Sealer: sealer,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	w.q = jobs.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.q.Register(mailbox.RepliedJob, w.s.RepliedHandler())
	w.q.Register(identity.AbsenceStartedJob, w.s.AbsenceHandler())
	w.q.Register(JobFormsSubmitted, w.s.SubmittedHandler())
	if err := w.s.SetMapping(ctx, identity.Principal{TenantID: tn.ID, Ref: "admin", Roles: []identity.Role{identity.RoleAdmin}}, tn.ID, MapOffice, "Stadtkasse – Steuern und Abgaben", st.Ref); err != nil {
		t.Fatal(err)
	}
	return w
}

// submit makes an application as forms would: documents in the blob store.
func (w *world) submit(t *testing.T, owner identity.Principal) string {
	t.Helper()
	ctx := context.Background()
	put := func(b []byte) string {
		k, _, err := w.s.Blobs.Put(ctx, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	r := ref.New("A")
	w.apps.mu.Lock()
	w.apps.m[r] = &Application{Ref: r, ServiceID: w.serviceID, FormTitle: "Hundesteuer-Anmeldung", FormVersion: 1, AccountID: owner.AccountID, AccountRef: owner.Ref, AccountKind: "citizen",
		Answers:    map[string]any{"given_name": "Paul", "family_name": "Beispiel", "dog_name": "Bello", "dangerous": false, "address": map[string]any{"street": "Hauptstraße 5", "postcode": "91052", "city": "Musterstadt"}},
		Files:      []File{{Field: "proof", Name: "impfpass.pdf", MediaType: "application/pdf", SHA256: put([]byte("%PDF-1.4 impfpass " + r)), Size: int64(len("%PDF-1.4 impfpass " + r))}},
		ReceiptPDF: put([]byte("%PDF-1.4 receipt " + r)), ReceiptJSON: put([]byte(`{"ref":"` + r + `"}`)), SubmittedAt: w.clk.Now(), Status: "submitted"}
	w.apps.mu.Unlock()
	return r
}

func (w *world) runJobs(t *testing.T) {
	t.Helper()
	for {
		err := w.q.RunOnce(context.Background())
		if errors.Is(err, jobs.ErrNoJob) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

const testDogTaxWorkflow = `{
  "format": "rathaus-workflow", "name": "Hundesteuer-Anmeldung", "deadline_days": 10, "retention_years": 10, "initial": "received",
  "states": [
    {"id": "received", "label": {"de": "Eingegangen"}, "applicant_status": "submitted", "deadline_days": 2},
    {"id": "in_progress", "label": {"de": "In Bearbeitung"}, "applicant_status": "in_progress"},
    {"id": "awaiting_information", "label": {"de": "Wartet auf Angaben"}, "applicant_status": "awaiting_information", "pauses_deadline": true},
    {"id": "decided", "label": {"de": "Entschieden"}, "applicant_status": "decided"},
    {"id": "closed", "label": {"de": "Abgeschlossen"}, "applicant_status": "closed", "final": true}
  ],
  "transitions": [
    {"id": "claim", "label": {"de": "Übernehmen"}, "from": ["received"], "to": "in_progress", "roles": ["case_worker", "unit_head"], "do": ["notify"]},
    {"id": "request_information", "label": {"de": "Nachfragen"}, "from": ["in_progress"], "to": "awaiting_information", "roles": ["case_worker"], "do": ["request_information"]},
    {"id": "information_received", "label": {"de": "Antwort da"}, "from": ["awaiting_information"], "to": "in_progress", "roles": ["system"], "on": "information_received"},
    {"id": "approve", "label": {"de": "Bewilligen"}, "from": ["in_progress", "decided"], "to": "decided", "roles": ["case_worker", "unit_head"], "do": ["render_decision", "notify"], "decision": "approval"},
    {"id": "reject", "label": {"de": "Ablehnen"}, "from": ["in_progress"], "to": "decided", "roles": ["unit_head"], "do": ["render_decision"], "decision": "rejection"},
    {"id": "close", "label": {"de": "Abschließen"}, "from": ["decided"], "to": "closed", "roles": ["case_worker", "unit_head"], "do": ["file"]}
  ],
  "decision": {"second_person": SECOND,
    "approval": {"title": "Hundesteuerbescheid für {answers.dog_name}", "text": "Sehr geehrte(r) {applicant.name},\n\nIhr Hund {answers.dog_name} ist ab sofort angemeldet ({reference}). {reason}"},
    "rejection": {"title": "Ablehnung", "text": "Abgelehnt: {reason}"},
    "legal_remedies": "Rechtsbehelfsbelehrung: Klage binnen eines Monats beim Verwaltungsgericht Ansbach."}
}`

func TestWorkflowDeclarations(t *testing.T) {
	w := StandardWorkflow()
	if w.Initial != "received" || len(w.Transitions) == 0 {
		t.Fatal("standard workflow")
	}
	bad := []struct {
		name, doc, field, code string
	}{
		{"unknown field", strings.Replace(testDogTaxWorkflow, `"initial"`, `"inital_typo": 1, "initial"`, 1), "document", "workflow_invalid_json"},
		{"unknown state", strings.Replace(testDogTaxWorkflow, `"to": "closed"`, `"to": "archived"`, 1), "transitions.5.to", "unknown_state"},
		{"unknown role", strings.Replace(testDogTaxWorkflow, `"roles": ["unit_head"]`, `"roles": ["mayor"]`, 1), "transitions.4.roles", "invalid_choice"},
		{"system without event", strings.Replace(testDogTaxWorkflow, `, "on": "information_received"`, ``, 1), "transitions.2.on", "system_needs_event"},
		{"step out of a final state", strings.Replace(testDogTaxWorkflow, `"from": ["decided"]`, `"from": ["closed"]`, 1), "transitions.5.from", "final_state"},
		{"unknown placeholder", strings.Replace(testDogTaxWorkflow, `{reason}"}`, `{password}"}`, 1), "decision.approval", "unknown_placeholder"},
		{"deadline out of range", strings.Replace(testDogTaxWorkflow, `"deadline_days": 10`, `"deadline_days": 0`, 1), "deadline_days", "out_of_range"},
		{"question to a non-pausing state", strings.Replace(testDogTaxWorkflow, `"to": "awaiting_information", "roles": ["case_worker"]`, `"to": "in_progress", "roles": ["case_worker"]`, 1), "transitions.1.to", "must_pause"},
	}
	for _, b := range bad {
		_, err := ParseWorkflow([]byte(strings.Replace(b.doc, "SECOND", "false", 1)))
		if !fault.HasCode(err, b.field, b.code) {
			t.Errorf("%s: %v, want %s %s", b.name, err, b.field, b.code)
		}
	}
	if _, err := ParseWorkflow([]byte(strings.Replace(testDogTaxWorkflow, "SECOND", "true", 1))); err != nil {
		t.Fatalf("dog tax workflow: %v", err)
	}
}

func FuzzParseWorkflow(f *testing.F) {
	f.Add(StandardWorkflowJSON())
	f.Add([]byte(strings.Replace(testDogTaxWorkflow, "SECOND", "true", 1)))
	f.Add([]byte(`{"format":"rathaus-workflow"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ParseWorkflow(b)
		if err != nil {
			if _, ok := fault.AsValidation(err); !ok {
				t.Fatalf("non-validation error %v", err)
			}
			return
		}
		if _, ok := w.State(w.Initial); !ok {
			t.Fatal("accepted a workflow without its initial state")
		}
		for _, tr := range w.Transitions {
			if _, ok := w.State(tr.To); !ok {
				t.Fatal("accepted a transition to an unknown state")
			}
		}
	})
}

func TestCaseFromSubmissionToFiledDecision(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		// Monday 2 March 2026, 09:00 UTC.
		w := newWorld(t, db, clk)
		s := w.s
		if _, err := s.DeclareWorkflow(ctx, w.mueller, w.tn.ID, w.serviceID, []byte(strings.Replace(testDogTaxWorkflow, "SECOND", "false", 1))); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("case worker declares a workflow: %v", err)
		}
		fm := identity.Principal{TenantID: w.tn.ID, Ref: "U-FORM", Kind: "staff", Roles: []identity.Role{identity.RoleFormManager}}
		if _, err := s.DeclareWorkflow(ctx, fm, w.tn.ID, w.serviceID, []byte(strings.Replace(testDogTaxWorkflow, "SECOND", "false", 1))); err != nil {
			t.Fatal(err)
		}
		appRef := w.submit(t, w.paul)
		if err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			return jobs.Enqueue(tx, JobFormsSubmitted, map[string]any{"tenant_id": w.tn.ID, "application": appRef}, jobs.Options{Key: appRef, TenantID: w.tn.ID})
		}); err != nil {
			t.Fatal(err)
		}
		w.runJobs(t)
		c, err := caseByApplication(ctx, db.R, w.tn.ID, appRef)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.Open(ctx, w.tn.ID, appRef)
		if err != nil || again.Ref != c.Ref {
			t.Fatalf("second open: %v %v", again, err)
		}
		cal, _ := calendar.ForState("BY")
		if c.UnitRef != w.steueramt || c.State != "received" || c.WorkflowVersion != 1 || !c.DueAt.Equal(cal.Deadline(clk.Now(), 10)) {
			t.Fatalf("opened case: %+v", c)
		}
		// Deadline: 10 working days after Monday 2 March 2026 is Monday 16 March, end of day in Berlin.
		if got := calendar.DateOf(c.DueAt, calendar.Berlin).String(); got != "2026-03-16" {
			t.Fatalf("due %s", got)
		}
		// Who may see it.
		for name, p := range map[string]identity.Principal{"other unit": w.fremd, "citizen": w.paul} {
			if _, err := s.Get(ctx, p, w.tn.ID, c.Ref); !errors.Is(err, fault.ErrNotFound) {
				t.Fatalf("%s reads the case: %v", name, err)
			}
		}
		if rows, err := s.Inbox(ctx, w.mueller, w.tn.ID, Filter{}); err != nil || len(rows) != 1 || rows[0].Ref != c.Ref || rows[0].AssigneeRef != "" {
			t.Fatalf("inbox: %+v %v", rows, err)
		}
		if rows, _ := s.Inbox(ctx, w.fremd, w.tn.ID, Filter{}); len(rows) != 0 {
			t.Fatalf("other unit's inbox has %d cases", len(rows))
		}
		// Refused steps: not from this state, not for this role, unknown.
		for _, bad := range []struct {
			p  identity.Principal
			tr string
		}{{w.mueller, "approve"}, {w.mueller, "close"}, {w.mueller, "information_received"}} {
			err := s.Step(ctx, bad.p, w.tn.ID, c.Ref, bad.tr, StepInput{Reason: "x"})
			if !errors.Is(err, ErrTransition) && !fault.HasCode(err, "transition", "unknown") {
				t.Fatalf("%s from received: %v", bad.tr, err)
			}
		}
		// Claim: the case is hers, in progress; the applicant is notified.
		if err := s.Claim(ctx, w.mueller, w.tn.ID, c.Ref); err != nil {
			t.Fatal(err)
		}
		if rows, _ := s.Inbox(ctx, w.mueller, w.tn.ID, Filter{Assigned: "me"}); len(rows) != 1 || rows[0].State != "in_progress" {
			t.Fatalf("after claim: %+v", rows)
		}
		if w.apps.status(appRef) != "in_progress" {
			t.Fatalf("application status %s", w.apps.status(appRef))
		}
		// Paul's status page: where it is, who has it, the expected date.
		if pr, err := s.Progress(ctx, w.paul, w.tn.ID, appRef); err != nil || pr.Status != "in_progress" || pr.State.De != "In Bearbeitung" || pr.Unit != "Steueramt" || pr.ExpectedBy != "2026-03-16" || pr.Paused {
			t.Fatalf("progress in progress: %+v %v", pr, err)
		}
		// A case worker may not reject (unit heads only in this declaration).
		if err := s.Step(ctx, w.mueller, w.tn.ID, c.Ref, "reject", StepInput{Reason: "nein"}); !errors.Is(err, ErrTransition) {
			t.Fatalf("case worker rejects: %v", err)
		}
		// Ask for information: the deadline pauses.
		if err := s.Step(ctx, w.mueller, w.tn.ID, c.Ref, "request_information", StepInput{}); !fault.HasCode(err, "text", "required") {
			t.Fatalf("question without text: %v", err)
		}
		if err := s.Step(ctx, w.mueller, w.tn.ID, c.Ref, "request_information", StepInput{Text: "Bitte senden Sie den Impfpass."}); err != nil {
			t.Fatal(err)
		}
		if w.apps.status(appRef) != "awaiting_information" {
			t.Fatalf("application status %s", w.apps.status(appRef))
		}
		if pr, err := s.Progress(ctx, w.paul, w.tn.ID, appRef); err != nil || pr.Status != "awaiting_information" || !pr.Paused || pr.ExpectedBy != "" {
			t.Fatalf("progress while waiting for Paul: %+v %v", pr, err)
		}
		inbox, _ := s.Mailbox.Inbox(ctx, w.paul, w.tn.ID)
		var question *mailbox.Message
		for i := range inbox {
			if inbox[i].Kind == mailbox.KindInformationRequest {
				question = &inbox[i]
			}
		}
		if question == nil || !question.RepliesAllowed {
			t.Fatalf("no question in the mailbox: %+v", inbox)
		}
		// Three working days later (Thursday) Paul answers with a scan.
		clk.Advance(3 * 24 * time.Hour)
		if _, err := s.Mailbox.Reply(ctx, w.paul, w.tn.ID, question.Ref, "Anbei.", []mailbox.Upload{{Name: "impfpass-neu.pdf", Data: []byte("%PDF-1.4 neu")}}); err != nil {
			t.Fatal(err)
		}
		w.runJobs(t)
		d, err := s.Get(ctx, w.mueller, w.tn.ID, c.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if d.State != "in_progress" || d.PausedAt != nil || len(d.Requests) != 1 || d.Requests[0].AnsweredAt == nil {
			t.Fatalf("after the answer: state %s paused %v requests %+v", d.State, d.PausedAt, d.Requests)
		}
		if got := calendar.DateOf(d.DueAt, calendar.Berlin).String(); got != "2026-03-19" {
			t.Fatalf("deadline after 3 paused working days: %s, want 2026-03-19", got)
		}
		var answerDoc bool
		for _, doc := range d.Documents {
			answerDoc = answerDoc || (doc.Kind == "answer_upload" && doc.Name == "impfpass-neu.pdf")
		}
		if !answerDoc || d.Answers["dog_name"] != "Bello" {
			t.Fatalf("answer upload not in the case: %+v", d.Documents)
		}
		// The job again changes nothing.
		if err := s.InformationReceived(ctx, mailbox.Replied{TenantID: w.tn.ID, Message: d.Requests[0].Answer, InReplyTo: question.Ref, Subject: c.Ref}); err != nil {
			t.Fatal(err)
		}
		if d2, _ := s.Get(ctx, w.mueller, w.tn.ID, c.Ref); len(d2.Documents) != len(d.Documents) {
			t.Fatalf("replayed answer added documents")
		}

		// Decide: consent given, so the sealed decision arrives electronically.
		if err := s.Mailbox.SetConsent(ctx, w.paul, w.tn.ID, true, "account_page"); err != nil {
			t.Fatal(err)
		}
		token := identity.Principal{TenantID: w.tn.ID, Ref: "K-TOKEN", Kind: "token", Roles: []identity.Role{identity.RoleCaseWorker}}
		if err := s.Step(ctx, token, w.tn.ID, c.Ref, "approve", StepInput{}); !errors.Is(err, fault.ErrNotFound) && !errors.Is(err, fault.ErrForbidden) {
			t.Fatalf("integration token decides: %v", err)
		}
		if err := s.Step(ctx, w.mueller, w.tn.ID, c.Ref, "approve", StepInput{Reason: "Die Steuer beträgt 96 Euro im Jahr."}); err != nil {
			t.Fatal(err)
		}
		d, _ = s.Get(ctx, w.mueller, w.tn.ID, c.Ref)
		if d.State != "decided" || len(d.Decisions) != 1 || d.Decisions[0].Status != DecisionSent || d.Decisions[0].Delivery != mailbox.DeliveryElectronic {
			t.Fatalf("after approve: %s %+v", d.State, d.Decisions)
		}
		dec := d.Decisions[0]
		if !strings.Contains(dec.Title, "Bello") || !strings.Contains(dec.Body, "Paul Beispiel") || !strings.Contains(dec.Body, "96 Euro") {
			t.Fatalf("decision text: %q / %q", dec.Title, dec.Body)
		}
		rc, err := s.Blobs.Open(ctx, dec.PDF)
		if err != nil {
			t.Fatal(err)
		}
		pdf, _ := io.ReadAll(rc)
		rc.Close()
		if v := s.Sealer.Verify(pdf, clk.Now()); !v.Valid {
			t.Fatalf("sent decision does not verify: %+v", v)
		}
		if w.apps.status(appRef) != "decided" {
			t.Fatalf("application status %s", w.apps.status(appRef))
		}
		// The citizen sees it in the mailbox, sealed and verifying.
		inbox, _ = s.Mailbox.Inbox(ctx, w.paul, w.tn.ID)
		var decMsg *mailbox.Message
		for i := range inbox {
			if inbox[i].Kind == mailbox.KindDecision {
				decMsg = &inbox[i]
			}
		}
		if decMsg == nil || len(decMsg.Documents) != 1 || !decMsg.Documents[0].Sealed {
			t.Fatalf("decision not in the mailbox: %+v", inbox)
		}
		if v := s.Mailbox.SealCheck(ctx, decMsg.Documents[0]); v == nil || !v.Valid {
			t.Fatalf("mailbox seal check: %+v", v)
		}
		// A sent decision cannot be changed, not even directly in the database.
		if err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE decisions SET body = 'forged' WHERE ref = $1`, dec.Ref)
			return err
		}); err == nil {
			t.Fatal("a sent decision was changed")
		}
		// A correction is a new decision that supersedes it.
		if _, err := s.DraftDecision(ctx, w.mueller, w.tn.ID, c.Ref, "approval", "Korrektur: Die Steuer beträgt 72 Euro."); err != nil {
			t.Fatal(err)
		}
		if err := s.Step(ctx, w.mueller, w.tn.ID, c.Ref, "approve", StepInput{}); err != nil {
			t.Fatal(err)
		}
		d, _ = s.Get(ctx, w.mueller, w.tn.ID, c.Ref)
		if len(d.Decisions) != 2 || d.Decisions[1].Supersedes != dec.Ref || d.Decisions[0].Body != dec.Body || d.Decisions[0].Status != DecisionSent {
			t.Fatalf("correction: %+v", d.Decisions)
		}
		// The applicant's status page.
		pr, err := s.Progress(ctx, w.paul, w.tn.ID, appRef)
		if err != nil || pr.Status != "decided" || pr.Unit != "Steueramt" || len(pr.Decisions) != 2 {
			t.Fatalf("progress: %+v %v", pr, err)
		}
		if _, err := s.Progress(ctx, w.erika, w.tn.ID, appRef); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("someone else's progress: %v", err)
		}
		// Close: the e-file is closed with every document and the trail.
		if err := s.Step(ctx, w.mueller, w.tn.ID, c.Ref, "close", StepInput{}); err != nil {
			t.Fatal(err)
		}
		officer := identity.Principal{TenantID: w.tn.ID, Ref: "U-ARCH", Kind: "staff", Roles: []identity.Role{identity.RoleRecordsOfficer}}
		f, err := s.Records.Get(ctx, officer, w.tn.ID, c.FileRef)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, doc := range f.Documents {
			kinds[doc.Kind]++
		}
		if f.Status != records.StatusKept || kinds["receipt"] != 1 || kinds["application_json"] != 1 || kinds["upload"] != 1 || kinds["answer_upload"] != 1 || kinds["decision"] != 2 || kinds["audit_trail"] != 1 {
			t.Fatalf("e-file: %s %v", f.Status, kinds)
		}
		if w.apps.status(appRef) != "closed" {
			t.Fatalf("application status %s", w.apps.status(appRef))
		}
		if err := s.Step(ctx, w.mueller, w.tn.ID, c.Ref, "approve", StepInput{}); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("step on a closed case: %v", err)
		}
	})
}

func TestSecondPersonSubstitutionAndBacklog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		s := w.s
		// A case opened under version 1 keeps it when version 2 asks for a
		// second person.
		first, err := s.Open(ctx, w.tn.ID, w.submit(t, w.paul))
		if err != nil {
			t.Fatal(err)
		}
		fm := identity.Principal{TenantID: w.tn.ID, Ref: "U-FORM", Kind: "staff", Roles: []identity.Role{identity.RoleFormManager}}
		v2, err := s.DeclareWorkflow(ctx, fm, w.tn.ID, w.serviceID, []byte(strings.Replace(testDogTaxWorkflow, "SECOND", "true", 1)))
		if err != nil || v2.Version != 2 {
			t.Fatalf("declare v2: %+v %v", v2, err)
		}
		second, err := s.Open(ctx, w.tn.ID, w.submit(t, w.paul))
		if err != nil {
			t.Fatal(err)
		}
		if first.WorkflowVersion != 1 || second.WorkflowVersion != 2 {
			t.Fatalf("versions %d %d", first.WorkflowVersion, second.WorkflowVersion)
		}
		for _, c := range []*Case{first, second} {
			if err := s.Claim(ctx, w.mueller, w.tn.ID, c.Ref); err != nil {
				t.Fatal(err)
			}
		}
		// Version 1 sends without sign-off (standard declaration).
		if err := s.Step(ctx, w.mueller, w.tn.ID, first.Ref, "approve", StepInput{Reason: "ok"}); err != nil {
			t.Fatal(err)
		}
		// Version 2: not without a sign-off, not by the drafter.
		if err := s.Step(ctx, w.mueller, w.tn.ID, second.Ref, "approve", StepInput{Reason: "ok"}); !fault.HasCode(err, "decision", "sign_off_required") {
			t.Fatalf("send without sign-off: %v", err)
		}
		dec, err := s.DraftDecision(ctx, w.mueller, w.tn.ID, second.Ref, "approval", "ok")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SignOff(ctx, w.mueller, w.tn.ID, second.Ref, dec.Ref); !fault.HasCode(err, "decision", "second_person_required") {
			t.Fatalf("own sign-off: %v", err)
		}
		if err := s.Step(ctx, w.mueller, w.tn.ID, second.Ref, "approve", StepInput{}); !fault.HasCode(err, "decision", "sign_off_required") {
			t.Fatalf("send an unsigned draft: %v", err)
		}
		if err := s.SignOff(ctx, w.schmidt, w.tn.ID, second.Ref, dec.Ref); err != nil {
			t.Fatal(err)
		}

		// Frau Müller falls ill; Schmidt stands in: her open case moves.
		third, _ := s.Open(ctx, w.tn.ID, w.submit(t, w.paul))
		s.Claim(ctx, w.mueller, w.tn.ID, third.Ref)
		if _, err := s.Identity.SetAbsence(ctx, w.leitung, w.tn.ID, w.mueller.Ref, clk.Now(), clk.Now().Add(5*24*time.Hour), w.schmidt.Ref); err != nil {
			t.Fatal(err)
		}
		w.runJobs(t)
		mine, _ := s.Inbox(ctx, w.schmidt, w.tn.ID, Filter{Assigned: "me"})
		if len(mine) != 3 { // every open case of hers: the decided first, the signed-off second, the third
			t.Fatalf("substitute holds %d cases, want 3", len(mine))
		}
		// Assigning to the absent person gives the case to her substitute.
		to, err := s.Assign(ctx, w.leitung, w.tn.ID, third.Ref, w.mueller.Ref)
		if err != nil || to != w.schmidt.Ref {
			t.Fatalf("assign to absent: %s %v", to, err)
		}
		if _, err := s.Assign(ctx, w.mueller, w.tn.ID, third.Ref, ""); !errors.Is(err, fault.ErrForbidden) {
			t.Fatalf("case worker reassigns: %v", err)
		}
		if _, err := s.Assign(ctx, w.leitung, w.tn.ID, third.Ref, w.fremd.Ref); !fault.HasCode(err, "assignee", "not_in_unit") {
			t.Fatalf("assign outside the unit: %v", err)
		}
		// Schmidt sends the signed-off decision.
		if err := s.Step(ctx, w.schmidt, w.tn.ID, second.Ref, "approve", StepInput{}); err != nil {
			t.Fatal(err)
		}
		// The unit head's backlog: who holds what.
		bl, err := s.Backlogs(ctx, w.leitung, w.tn.ID)
		if err != nil || len(bl) != 1 {
			t.Fatalf("backlog: %+v %v", bl, err)
		}
		held := map[string]int{}
		for _, h := range bl[0].Holders {
			held[h.Ref] = h.Open
		}
		if bl[0].Open != 3 || held[w.schmidt.Ref] != 3 || held[w.mueller.Ref] != 0 {
			t.Fatalf("backlog holders: open %d %v", bl[0].Open, held)
		}
		if bl, err := s.Backlogs(ctx, w.mueller, w.tn.ID); err != nil || len(bl) != 0 {
			t.Fatalf("case worker backlog: %v %v", bl, err)
		}
		if _, err := s.Backlogs(ctx, w.paul, w.tn.ID); !errors.Is(err, fault.ErrForbidden) {
			t.Fatalf("citizen backlog: %v", err)
		}
		// Follow-up date and notes.
		if err := s.FollowUp(ctx, w.schmidt, w.tn.ID, third.Ref, "2020-01-01"); !fault.HasCode(err, "follow_up_on", "date_in_past") {
			t.Fatalf("follow-up in the past: %v", err)
		}
		if err := s.FollowUp(ctx, w.schmidt, w.tn.ID, third.Ref, "2026-03-03"); err != nil {
			t.Fatal(err)
		}
		if err := s.Note(ctx, w.schmidt, w.tn.ID, third.Ref, "Rückruf vereinbart"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(24 * time.Hour)
		rows, _ := s.Inbox(ctx, w.schmidt, w.tn.ID, Filter{Assigned: "me"})
		var followUp bool
		for _, r := range rows {
			followUp = followUp || (r.Ref == third.Ref && r.FollowUpDue)
		}
		if !followUp {
			t.Fatalf("follow-up not due: %+v", rows)
		}
		// Reads of the case page are audited.
		if _, err := s.Get(ctx, w.schmidt, w.tn.ID, third.Ref); err != nil {
			t.Fatal(err)
		}
		var reads int
		db.R.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE action = 'case.read' AND object_ref = $1 AND actor = $2`, third.Ref, w.schmidt.Ref).Scan(&reads)
		if reads != 1 {
			t.Fatalf("%d audited reads", reads)
		}
		// So are reads of its documents, and another unit may not read them.
		d, _ := s.Get(ctx, w.schmidt, w.tn.ID, third.Ref)
		if len(d.Documents) == 0 {
			t.Fatal("the case has no documents")
		}
		if _, _, err := s.OpenDocument(ctx, w.fremd, w.tn.ID, third.Ref, d.Documents[0].ID); err == nil {
			t.Fatal("another unit's case worker opened a document")
		}
		_, rc, err := s.OpenDocument(ctx, w.schmidt, w.tn.ID, third.Ref, d.Documents[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		db.R.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE action = 'case.document.read' AND object_ref = $1 AND actor = $2`, third.Ref, w.schmidt.Ref).Scan(&reads)
		if reads != 1 {
			t.Fatalf("%d audited document reads, want 1", reads)
		}
	})
}

func TestDemoDogTaxWorkflowIsValid(t *testing.T) {
	w, err := ParseWorkflow(DemoDogTaxWorkflow())
	if err != nil {
		t.Fatal(err)
	}
	if w.Decision.SecondPerson || w.DeadlineDays != 5 {
		t.Fatalf("demo dog tax: %+v", w)
	}
}

// TestResponsibilityRoutingAndBackToTheUnit: a service's own mapping
// overrides its office's; a service mapped to no unit opens a case that
// waits in the unit heads' inboxes (not a case worker's) until a unit head
// routes it; only admins map; an absent case worker without a substitute
// gives her open cases back to the unit's inbox.
func TestResponsibilityRoutingAndBackToTheUnit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		s := w.s
		admin := identity.Principal{TenantID: w.tn.ID, Ref: "admin", Roles: []identity.Role{identity.RoleAdmin}}
		if err := s.SetMapping(ctx, w.leitung, w.tn.ID, MapService, w.serviceID, w.buergerbuero); !errors.Is(err, fault.ErrForbidden) && !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("unit head maps: %v", err)
		}
		if err := s.SetMapping(ctx, admin, w.tn.ID, MapService, w.serviceID, "E-NONE-XXXX"); !fault.HasCode(err, "unit", "unknown") {
			t.Fatalf("map to an unknown unit: %v", err)
		}
		// The service's own mapping wins over its office's.
		if err := s.SetMapping(ctx, admin, w.tn.ID, MapService, w.serviceID, w.buergerbuero); err != nil {
			t.Fatal(err)
		}
		if u, err := s.ResponsibleUnit(ctx, w.tn.ID, w.serviceID); err != nil || u != w.buergerbuero {
			t.Fatalf("service override: %q %v, want Bürgerbüro", u, err)
		}
		// Neither mapped: the case opens in no unit.
		for _, m := range []struct{ kind, key string }{{MapService, w.serviceID}, {MapOffice, "Stadtkasse – Steuern und Abgaben"}} {
			if err := s.SetMapping(ctx, admin, w.tn.ID, m.kind, m.key, ""); err != nil {
				t.Fatal(err)
			}
		}
		c, err := s.Open(ctx, w.tn.ID, w.submit(t, w.paul))
		if err != nil || c.UnitRef != "" {
			t.Fatalf("unmapped case: %+v %v", c, err)
		}
		inbox := func(p identity.Principal) []string {
			rows, err := s.Inbox(ctx, p, w.tn.ID, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, r := range rows {
				refs = append(refs, r.Ref)
			}
			return refs
		}
		if got := inbox(w.leitung); len(got) != 1 || got[0] != c.Ref {
			t.Fatalf("unit head's inbox: %v, want the unrouted %s", got, c.Ref)
		}
		if got := inbox(w.mueller); len(got) != 0 {
			t.Fatalf("case worker sees the unrouted case: %v", got)
		}
		if err := s.Route(ctx, w.mueller, w.tn.ID, c.Ref, w.steueramt); err == nil {
			t.Fatal("a case worker routed a case")
		}
		if err := s.Route(ctx, w.leitung, w.tn.ID, c.Ref, w.steueramt); err != nil {
			t.Fatal(err)
		}
		if got := inbox(w.mueller); len(got) != 1 || got[0] != c.Ref {
			t.Fatalf("routed case not in the Steueramt's inbox: %v", got)
		}
		// Absent with no substitute: back to the unit.
		if err := s.Claim(ctx, w.mueller, w.tn.ID, c.Ref); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Identity.SetAbsence(ctx, w.leitung, w.tn.ID, w.mueller.Ref, clk.Now(), clk.Now().Add(48*time.Hour), ""); err != nil {
			t.Fatal(err)
		}
		w.runJobs(t)
		rows, _ := s.Inbox(ctx, w.leitung, w.tn.ID, Filter{Assigned: "none"})
		if len(rows) != 1 || rows[0].Ref != c.Ref || rows[0].AssigneeRef != "" {
			t.Fatalf("absent without substitute: unassigned %+v, want %s back in the unit", rows, c.Ref)
		}
	})
}
