package forms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// world is a tenant with a published dog tax form and a citizen.
type world struct {
	s       *Service
	db      *database.DB
	clk     *clock.Fake
	tenant  *identity.Tenant
	citizen identity.Principal
	manager identity.Principal
	service string
	form    string
	blobs   blob.Store
}

const dogService = "L-DOG0-TAX0"

func newWorld(t *testing.T, db *database.DB, clk *clock.Fake) *world { return newWorldTB(t, db, clk) }

func newWorldTB(t testing.TB, db *database.DB, clk *clock.Fake) *world {
	t.Helper()
	ctx := context.Background()
	id := &identity.Service{DB: db}
	tn, err := id.CreateTenant(ctx, identity.Tenant{Slug: "musterstadt", Name: "Musterstadt", Settings: identity.Settings{FederalState: "BY"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := blobtest.Open(t) // a bucket of a real S3 server under make test-s3
	w := &world{s: &Service{DB: db, Blobs: dir, Identity: id}, db: db, clk: clk, tenant: tn, service: dogService, blobs: dir}
	w.citizen = w.account(t, "citizen", "paul@example.org", "Paul Beispiel")
	w.manager = identity.Principal{TenantID: tn.ID, Ref: "U-FORM-MGR0", Kind: "staff", Roles: []identity.Role{identity.RoleFormManager}}
	def, err := DemoForm("hundesteuer")
	if err != nil {
		t.Fatal(err)
	}
	f, err := w.s.CreateForm(ctx, w.manager, tn.ID, NewForm{ServiceID: dogService, Def: def})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.s.Publish(ctx, w.manager, tn.ID, f.Ref, 1); err != nil {
		t.Fatal(err)
	}
	w.form = f.Ref
	return w
}

// account makes a verified account of a kind and returns its principal.
func (w *world) account(t testing.TB, kind, email, name string) identity.Principal {
	t.Helper()
	ctx := context.Background()
	var id int64
	ref := "U-" + strings.ToUpper(kind[:4]) + "-" + strings.ToUpper(strings.ReplaceAll(email[:4], "@", "X"))
	err := database.WithTx(ctx, w.db, func(tx *database.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, profile, email_verified_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
			w.tenant.ID, ref, kind, email, name, `{"given_name":"Paul","family_name":"Beispiel","street":"Lindenstraße 4","postcode":"91052","city":"Musterstadt"}`, tx.Now()).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return identity.Principal{TenantID: w.tenant.ID, AccountID: id, Ref: ref, Kind: kind}
}

func (w *world) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.R.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func pdfBytes() []byte {
	return []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
}

func TestSubmitStoresEverything(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		answers := DogTaxAnswers(1)
		answers["reduction"] = "shelter"
		answers["iban"] = nil
		app, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: dogService, Answers: answers, Lang: "de",
			Uploads: []Upload{{Field: "proof", Name: "tierheim-vertrag.pdf", Data: pdfBytes()}}})
		if err != nil {
			t.Fatal(err)
		}
		if app.Status != StatusSubmitted || app.FormVersion != 1 || len(app.Files) != 1 {
			t.Fatalf("app = %+v", app)
		}
		got, err := w.s.Application(ctx, w.tenant.ID, app.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if got.AccountID != w.citizen.AccountID || got.AccountRef != w.citizen.Ref || got.AccountKind != "citizen" || got.ServiceID != dogService || got.FormRef != w.form {
			t.Errorf("stored application = %+v", got)
		}
		if got.Answers["dog_name"] != "Bello 1" || got.Answers["dangerous"] != false {
			t.Errorf("answers = %v", got.Answers)
		}
		if _, ok := got.Answers["iban"]; ok {
			t.Errorf("hidden iban stored: %v", got.Answers)
		}
		if len(got.Files) != 1 || got.Files[0].Field != "proof" || got.Files[0].MediaType != "application/pdf" || got.Files[0].SHA256 != Hash(pdfBytes()) {
			t.Errorf("files = %+v", got.Files)
		}
		// Receipts: both stored, kept, readable; the JSON names the reference.
		for _, key := range []string{got.ReceiptPDF, got.ReceiptJSON, got.Files[0].SHA256} {
			if n := w.count(t, `SELECT COUNT(*) FROM blob_refs WHERE sha256 = $1 AND tenant_id = $2`, key, w.tenant.ID); n != 1 {
				t.Errorf("blob %s has %d references", key, n)
			}
		}
		rc, err := w.s.Receipt(ctx, w.citizen, w.tenant.ID, app.Ref, false)
		if err != nil {
			t.Fatal(err)
		}
		var doc ReceiptDocument
		if err := json.NewDecoder(rc).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if doc.Reference != app.Ref || doc.Format != "rathaus-application" || doc.Applicant.Account != w.citizen.Ref || doc.FormVersion != 1 || len(doc.Files) != 1 {
			t.Errorf("receipt json = %+v", doc)
		}
		rp, err := w.s.Receipt(ctx, w.citizen, w.tenant.ID, app.Ref, true)
		if err != nil {
			t.Fatal(err)
		}
		pdf, _ := io.ReadAll(rp)
		rp.Close()
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) || Sniff(pdf) != "application/pdf" {
			t.Errorf("receipt pdf starts %q", pdf[:min(20, len(pdf))])
		}
		// Audit and job in the same transaction.
		entries, _ := audit.List(ctx, db, w.tenant.ID, 10)
		found := false
		for _, e := range entries {
			found = found || e.Action == "application.submit" && e.ObjectRef == app.Ref && e.Actor == w.citizen.Ref
		}
		if !found {
			t.Errorf("no audit entry for the submission: %+v", entries)
		}
		js, _ := jobs.List(ctx, db, "queued", 10)
		var payload JobPayload
		for _, j := range js {
			if j.Kind == JobSubmitted && j.Key == app.Ref {
				json.Unmarshal(j.Payload, &payload)
			}
		}
		if payload != (JobPayload{TenantID: w.tenant.ID, Application: app.Ref}) {
			t.Errorf("forms.submitted payload = %+v, jobs %+v", payload, js)
		}
		list, err := w.s.Applications(ctx, w.citizen, w.tenant.ID)
		if err != nil || len(list) != 1 || list[0].Ref != app.Ref || list[0].FormTitle != "Hundesteuer-Anmeldung" {
			t.Errorf("list = %+v, %v", list, err)
		}
		if res, err := audit.Verify(ctx, db, w.tenant.ID); err != nil || !res.OK {
			t.Errorf("audit chain: %+v %v", res, err)
		}
	})
}

// TestSubmitAllOrNothing injects a failure at the end of the submission's
// transaction: no application, file row, blob reference, audit entry or
// job may remain.
func TestSubmitAllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		before := map[string]int{}
		tables := []string{"applications", "application_files", "blob_refs", "audit_events", "jobs"}
		for _, tb := range tables {
			before[tb] = w.count(t, `SELECT COUNT(*) FROM `+tb)
		}
		boom := errors.New("disk full (injected)")
		w.s.beforeCommit = func(tx *database.Tx) error { return boom }
		answers := DogTaxAnswers(2)
		answers["reduction"] = "guide_dog"
		_, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: dogService, Answers: answers, Uploads: []Upload{{Field: "proof", Name: "ausweis.pdf", Data: pdfBytes()}}})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the injected failure", err)
		}
		for _, tb := range tables {
			if n := w.count(t, `SELECT COUNT(*) FROM `+tb); n != before[tb] {
				t.Errorf("%s: %d rows after a failed submission, %d before", tb, n, before[tb])
			}
		}
		// The next submission succeeds and the blobs of the failed one are
		// unreferenced (the clean-up's candidates), never dangling.
		w.s.beforeCommit = nil
		if _, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: dogService, Answers: DogTaxAnswers(3)}); err != nil {
			t.Fatal(err)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM applications`); n != before["applications"]+1 {
			t.Errorf("applications = %d", n)
		}
	})
}

func TestSubmitRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		sub := func(p identity.Principal, mutate func(*Submission)) error {
			s := Submission{ServiceID: dogService, Answers: DogTaxAnswers(9), Strict: true}
			mutate(&s)
			_, err := w.s.Submit(ctx, p, w.tenant.ID, s)
			return err
		}
		cases := []struct {
			name  string
			p     identity.Principal
			edit  func(*Submission)
			check func(error) bool
		}{
			{"no form for the service", w.citizen, func(s *Submission) { s.ServiceID = "L-NONE-0000" }, func(e error) bool { return fault.HasCode(e, "service", "form_not_published") }},
			{"an old version", w.citizen, func(s *Submission) { s.FormVersion = 7 }, func(e error) bool { return errors.Is(e, fault.ErrConflict) }},
			{"an integration token", identity.Principal{TenantID: w.tenant.ID, Ref: "K-1", Kind: "token", Roles: []identity.Role{identity.RoleAdmin}}, func(*Submission) {}, func(e error) bool { return errors.Is(e, fault.ErrForbidden) }},
			{"another tenant", identity.Principal{TenantID: w.tenant.ID + 1, AccountID: w.citizen.AccountID, Kind: "citizen"}, func(*Submission) {}, func(e error) bool { return errors.Is(e, fault.ErrNotFound) }},
			{"hidden field tampered", w.citizen, func(s *Submission) { s.Answers["iban"] = "DE89370400440532013000" }, func(e error) bool { return fault.HasCode(e, "iban", "not_visible") }},
			{"unknown field", w.citizen, func(s *Submission) { s.Answers["is_admin"] = true }, func(e error) bool { return fault.HasCode(e, "is_admin", "unknown_field") }},
			{"file named in the answers", w.citizen, func(s *Submission) {
				s.Answers["reduction"] = "shelter"
				s.Answers["proof"] = []any{map[string]any{"name": "x.pdf", "sha256": strings.Repeat("a", 64)}}
			}, func(e error) bool { return fault.HasCode(e, "proof", "not_allowed") }},
			{"required proof missing", w.citizen, func(s *Submission) { s.Answers["reduction"] = "shelter" }, func(e error) bool { return fault.HasCode(e, "proof", "required") }},
			{"disguised upload", w.citizen, func(s *Submission) {
				s.Answers["reduction"] = "shelter"
				s.Uploads = []Upload{{Field: "proof", Name: "vertrag.pdf", Data: []byte("MZ\x90\x00 this is an executable")}}
			}, func(e error) bool { return fault.HasCode(e, "proof", "file_type") }},
			{"oversized upload", w.citizen, func(s *Submission) {
				s.Answers["reduction"] = "shelter"
				big := append(pdfBytes()[:9], bytes.Repeat([]byte("x"), DefaultMaxSize)...)
				s.Uploads = []Upload{{Field: "proof", Name: "gross.pdf", Data: append(big, []byte("\n%%EOF\n")...)}}
			}, func(e error) bool { return fault.HasCode(e, "proof", "file_too_large") }},
			{"invalid IBAN", w.citizen, func(s *Submission) {
				s.Answers["direct_debit"] = true
				s.Answers["iban"] = "DE89370400440532013001"
				s.Answers["account_holder"] = "Paul Beispiel"
			}, func(e error) bool { return fault.HasCode(e, "iban", "invalid_iban") }},
			{"invalid postcode", w.citizen, func(s *Submission) {
				s.Answers["address"] = map[string]any{"street": "Lindenstraße", "postcode": "9105", "city": "Musterstadt"}
			}, func(e error) bool { return fault.HasCode(e, "address.postcode", "invalid_postcode") }},
			{"invalid date", w.citizen, func(s *Submission) { s.Answers["dog_birth_date"] = "2023-02-30" }, func(e error) bool { return fault.HasCode(e, "dog_birth_date", "invalid_date") }},
		}
		for _, c := range cases {
			err := sub(c.p, c.edit)
			if err == nil || !c.check(err) {
				t.Errorf("%s: err = %v", c.name, err)
			}
		}
		biz := w.account(t, "business", "firma@example.org", "Firma GmbH")
		if err := sub(biz, func(*Submission) {}); !fault.HasCode(err, "service", "account_kind") {
			t.Errorf("business applying for the citizens' dog tax: %v", err)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM applications`); n != 0 {
			t.Errorf("%d applications stored by refused submissions", n)
		}
	})
}

func TestWithdrawAndStatus(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		app, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: dogService, Answers: DogTaxAnswers(4)})
		if err != nil {
			t.Fatal(err)
		}
		other := w.account(t, "citizen", "eva@example.org", "Eva")
		if err := w.s.Withdraw(ctx, other, w.tenant.ID, app.Ref); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("someone else withdraws: %v", err)
		}
		if _, err := w.s.Own(ctx, other, w.tenant.ID, app.Ref); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("someone else reads: %v", err)
		}
		set := func(st Status) error {
			return database.WithTx(ctx, db, func(tx *database.Tx) error { return w.s.SetStatus(tx, w.tenant.ID, app.Ref, st) })
		}
		if err := set(StatusInProgress); err != nil {
			t.Fatal(err)
		}
		if err := set("bogus"); !fault.HasCode(err, "status", "invalid_choice") {
			t.Errorf("bogus status: %v", err)
		}
		if err := w.s.Withdraw(ctx, w.citizen, w.tenant.ID, app.Ref); err != nil {
			t.Fatal(err)
		}
		if err := set(StatusDecided); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("deciding a withdrawn application: %v", err)
		}
		js, _ := jobs.List(ctx, db, "queued", 10)
		withdrawn := false
		for _, j := range js {
			withdrawn = withdrawn || j.Kind == JobWithdrawn && j.Key == app.Ref
		}
		if !withdrawn {
			t.Error("no forms.withdrawn job")
		}
		// Decided applications cannot be withdrawn.
		app2, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: dogService, Answers: DogTaxAnswers(5)})
		if err != nil {
			t.Fatal(err)
		}
		if err := database.WithTx(ctx, db, func(tx *database.Tx) error { return w.s.SetStatus(tx, w.tenant.ID, app2.Ref, StatusDecided) }); err != nil {
			t.Fatal(err)
		}
		if err := w.s.Withdraw(ctx, w.citizen, w.tenant.ID, app2.Ref); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("withdrawing a decided application: %v", err)
		}
		got, _ := w.s.Application(ctx, w.tenant.ID, app2.Ref)
		if got.Status != StatusDecided {
			t.Errorf("status = %s", got.Status)
		}
	})
}

func TestVersionsImmutable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		app1, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: dogService, Answers: DogTaxAnswers(6)})
		if err != nil {
			t.Fatal(err)
		}
		d, vi, err := w.s.Version(ctx, w.manager, w.tenant.ID, w.form, 1)
		if err != nil || vi.Status != VersionPublished {
			t.Fatalf("version 1: %+v %v", vi, err)
		}
		// Editing after publication makes version 2; version 1 stays.
		d.Title["de"] = "Hundesteuer-Anmeldung (neu)"
		n, err := w.s.SaveDraft(ctx, w.manager, w.tenant.ID, w.form, 1, d)
		if err != nil || n != 2 {
			t.Fatalf("save draft: %d %v", n, err)
		}
		d1, _, _ := w.s.Version(ctx, w.manager, w.tenant.ID, w.form, 1)
		if d1.Title["de"] != "Hundesteuer-Anmeldung" {
			t.Errorf("published version 1 changed: %q", d1.Title["de"])
		}
		if _, err := w.s.SaveDraft(ctx, w.manager, w.tenant.ID, w.form, 1, d); !fault.HasCode(err, "version", "stale") {
			t.Errorf("save on a stale base: %v", err)
		}
		if err := w.s.Publish(ctx, w.manager, w.tenant.ID, w.form, 1); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("republishing version 1: %v", err)
		}
		if err := w.s.Publish(ctx, w.citizen, w.tenant.ID, w.form, 2); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("a citizen publishes: %v", err)
		}
		clk.Advance(time.Hour)
		if err := w.s.Publish(ctx, w.manager, w.tenant.ID, w.form, 2); err != nil {
			t.Fatal(err)
		}
		f, _ := w.s.Form(ctx, w.manager, w.tenant.ID, w.form)
		if len(f.Versions) != 2 || f.Versions[0].Status != VersionRetired || f.Versions[1].Status != VersionPublished {
			t.Errorf("versions = %+v", f.Versions)
		}
		// New submissions use version 2; version 1 is refused; the old
		// application keeps version 1.
		if _, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: dogService, FormVersion: 1, Answers: DogTaxAnswers(7)}); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("submitting on the retired version: %v", err)
		}
		app2, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: dogService, Answers: DogTaxAnswers(8)})
		if err != nil || app2.FormVersion != 2 {
			t.Fatalf("app2 = %+v %v", app2, err)
		}
		old, _ := w.s.Application(ctx, w.tenant.ID, app1.Ref)
		if old.FormVersion != 1 || old.FormTitle != "Hundesteuer-Anmeldung" {
			t.Errorf("old application = version %d %q", old.FormVersion, old.FormTitle)
		}
	})
}

func BenchmarkReceiptPDF(b *testing.B) {
	d, _ := DemoForm("hundesteuer")
	a, _, err := Validate(d, DogTaxAnswers(1), Check{Now: dbtest.Epoch})
	if err != nil {
		b.Fatal(err)
	}
	r := ReceiptData{Tenant: "Musterstadt", Ref: "A-7K3M-Q9TX", FormRef: "F-7K3M-Q9TX", FormVersion: 1, FormSHA256: strings.Repeat("ab", 32),
		Title: d.Title.In("de"), Applicant: "Paul Beispiel", SubmittedAt: dbtest.Epoch, Lang: "de", Lines: d.Lines(a, "de")}
	var n int
	for b.Loop() {
		pdf, err := ReceiptPDF(r)
		if err != nil {
			b.Fatal(err)
		}
		n = len(pdf)
	}
	b.ReportMetric(float64(n), "bytes/pdf")
}

// TestDraftRepeatedGroups: entries of repeated groups are added and
// removed through the page's buttons, nested ones too, and a removed
// entry's files go with it.
func TestDraftRepeatedGroups(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		def := &Definition{Title: Text{"de": "Fahrzeuge"}, Steps: []Step{{ID: "s", Title: Text{"de": "S"}, Fields: []Field{
			{ID: "cars", Type: TypeGroup, Repeat: true, Label: Text{"de": "Fahrzeug"}, Rules: Rules{MaxItems: ip(3)}, Fields: []Field{
				{ID: "plate", Type: TypeText, Label: Text{"de": "Kennzeichen"}, Required: true},
				{ID: "doc", Type: TypeFile, Label: Text{"de": "Schein"}},
				{ID: "drivers", Type: TypeGroup, Repeat: true, Label: Text{"de": "Fahrer"}, Fields: []Field{{ID: "name", Type: TypeText, Label: Text{"de": "Name"}}}},
			}}}}}}
		f, err := w.s.CreateForm(ctx, w.manager, w.tenant.ID, NewForm{ServiceID: "L-CARS-0001", Def: def})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.s.Publish(ctx, w.manager, w.tenant.ID, f.Ref, 1); err != nil {
			t.Fatal(err)
		}
		d, _, err := w.s.StartDraft(ctx, Visitor{P: w.citizen}, w.tenant.ID, "L-CARS-0001", "de")
		if err != nil {
			t.Fatal(err)
		}
		v := Visitor{P: w.citizen}
		save := func(in StepInput) *Draft {
			t.Helper()
			got, _, err := w.s.SaveStep(ctx, v, w.tenant.ID, d.Ref, "s", in)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		vals := func(plates ...string) map[string]any {
			var list []any
			for _, p := range plates {
				list = append(list, map[string]any{"plate": p})
			}
			return map[string]any{"cars": list}
		}
		got := save(StepInput{Values: vals("A-1"), AddItem: "cars"})
		if items := got.Answers["cars"].([]any); len(items) != 2 {
			t.Fatalf("after add: %v", got.Answers)
		}
		got = save(StepInput{Values: vals("A-1", "B-2"), AddItem: "cars"})
		got = save(StepInput{Values: vals("A-1", "B-2", "C-3"), AddItem: "cars"}) // at the maximum: stays 3
		if items := got.Answers["cars"].([]any); len(items) != 3 {
			t.Fatalf("beyond the maximum: %d entries", len(items))
		}
		got = save(StepInput{Values: vals("A-1", "B-2", "C-3"), AddItem: "cars.1.drivers"})
		if drivers := got.Answers["cars"].([]any)[1].(map[string]any)["drivers"].([]any); len(drivers) != 2 {
			t.Fatalf("nested add: %v", got.Answers)
		}
		got = save(StepInput{Values: vals("A-1", "B-2", "C-3"), Uploads: []Upload{{Field: "cars.2.doc", Name: "schein.pdf", Data: pdfBytes()}}})
		if len(got.Files) != 1 || got.Files[0].Field != "cars.2.doc" {
			t.Fatalf("upload: %+v", got.Files)
		}
		got = save(StepInput{Values: vals("A-1", "B-2", "C-3"), RemoveItem: "cars", RemoveAt: 0})
		items := got.Answers["cars"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["plate"] != "B-2" || len(got.Files) != 1 || got.Files[0].Field != "cars.1.doc" {
			t.Fatalf("after removing the first entry: %v %+v", items, got.Files)
		}
		got = save(StepInput{Values: vals("B-2", "C-3"), RemoveItem: "cars", RemoveAt: 1})
		if len(got.Files) != 0 || w.count(t, `SELECT COUNT(*) FROM blob_refs WHERE owner = $1`, "forms.draft:"+d.Ref) != 0 {
			t.Errorf("the removed entry's file is still kept: %+v", got.Files)
		}
		app, err := w.s.SubmitDraft(ctx, v, w.tenant.ID, d.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if cars := app.Answers["cars"].([]any); len(cars) != 1 {
			t.Errorf("submitted %v", app.Answers)
		}
	})
}

// TestSubmitDraftAllOrNothing: sending a draft fails at the end of its
// transaction: no application, receipt or audit entry is stored, and the
// draft is still there with its upload kept (its blob reference not
// released), so the applicant can send it again — once.
func TestSubmitDraftAllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		def := &Definition{Title: Text{"de": "Nachweis"}, Steps: []Step{{ID: "s", Title: Text{"de": "S"}, Fields: []Field{
			{ID: "name", Type: TypeText, Label: Text{"de": "Name"}, Required: true},
			{ID: "doc", Type: TypeFile, Label: Text{"de": "Nachweis"}, Required: true}}}}}
		f, err := w.s.CreateForm(ctx, w.manager, w.tenant.ID, NewForm{ServiceID: "L-DOCS-0001", Def: def})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.s.Publish(ctx, w.manager, w.tenant.ID, f.Ref, 1); err != nil {
			t.Fatal(err)
		}
		v := Visitor{P: w.citizen}
		d, _, err := w.s.StartDraft(ctx, v, w.tenant.ID, "L-DOCS-0001", "de")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.s.SaveStep(ctx, v, w.tenant.ID, d.Ref, "s", StepInput{Values: map[string]any{"name": "Paul"}, Uploads: []Upload{{Field: "doc", Name: "nachweis.pdf", Data: pdfBytes()}}}); err != nil {
			t.Fatal(err)
		}
		tables := []string{"applications", "application_files", "blob_refs", "audit_events", "jobs", "form_drafts"}
		before := map[string]int{}
		for _, tb := range tables {
			before[tb] = w.count(t, `SELECT COUNT(*) FROM `+tb)
		}
		boom := errors.New("connection lost (injected)")
		w.s.beforeCommit = func(tx *database.Tx) error { return boom }
		if _, err := w.s.SubmitDraft(ctx, v, w.tenant.ID, d.Ref); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the injected failure", err)
		}
		for _, tb := range tables {
			if n := w.count(t, `SELECT COUNT(*) FROM `+tb); n != before[tb] {
				t.Errorf("%s: %d rows after a failed send, %d before", tb, n, before[tb])
			}
		}
		if n := w.count(t, `SELECT COUNT(*) FROM blob_refs WHERE owner = $1`, "forms.draft:"+d.Ref); n != 1 {
			t.Errorf("the draft's upload is no longer kept: %d references", n)
		}
		w.s.beforeCommit = nil
		app, err := w.s.SubmitDraft(ctx, v, w.tenant.ID, d.Ref)
		if err != nil || len(app.Files) != 1 {
			t.Fatalf("second send: %+v %v", app, err)
		}
		if _, err := w.s.SubmitDraft(ctx, v, w.tenant.ID, d.Ref); err == nil {
			t.Error("the draft was sent twice")
		}
		if n := w.count(t, `SELECT COUNT(*) FROM applications`); n != before["applications"]+1 {
			t.Errorf("applications = %d", n)
		}
	})
}

// TestDraftAcrossARepublication: a draft begun on version 1 is not sent
// after version 2 replaced it until the applicant has seen the new
// form; it is then checked against version 2 (a new required question
// is asked, an answer to a dropped one is not sent) and the application
// keeps version 2.
func TestDraftAcrossARepublication(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		def := &Definition{Title: Text{"de": "Anzeige"}, Steps: []Step{{ID: "s", Title: Text{"de": "S"}, Fields: []Field{
			{ID: "name", Type: TypeText, Label: Text{"de": "Name"}, Required: true},
			{ID: "old", Type: TypeText, Label: Text{"de": "Alt"}}}}}}
		f, err := w.s.CreateForm(ctx, w.manager, w.tenant.ID, NewForm{ServiceID: "L-REPU-0001", Def: def})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.s.Publish(ctx, w.manager, w.tenant.ID, f.Ref, 1); err != nil {
			t.Fatal(err)
		}
		v := Visitor{P: w.citizen}
		d, _, err := w.s.StartDraft(ctx, v, w.tenant.ID, "L-REPU-0001", "de")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.s.SaveStep(ctx, v, w.tenant.ID, d.Ref, "s", StepInput{Values: map[string]any{"name": "Paul", "old": "weg"}}); err != nil {
			t.Fatal(err)
		}
		v2, _, err := w.s.Version(ctx, w.manager, w.tenant.ID, f.Ref, 1)
		if err != nil {
			t.Fatal(err)
		}
		v2.Steps[0].Fields = []Field{v2.Steps[0].Fields[0], {ID: "reason", Type: TypeText, Label: Text{"de": "Grund"}, Required: true}}
		if _, err := w.s.SaveDraft(ctx, w.manager, w.tenant.ID, f.Ref, 1, v2); err != nil {
			t.Fatal(err)
		}
		if err := w.s.Publish(ctx, w.manager, w.tenant.ID, f.Ref, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.SubmitDraft(ctx, v, w.tenant.ID, d.Ref); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("sent on the replaced version without seeing the new one: %v", err)
		}
		if err := w.s.MarkVersionSeen(ctx, v, w.tenant.ID, d.Ref); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.SubmitDraft(ctx, v, w.tenant.ID, d.Ref); !fault.HasCode(err, "reason", "required") {
			t.Fatalf("not checked against version 2: %v", err)
		}
		if _, _, err := w.s.SaveStep(ctx, v, w.tenant.ID, d.Ref, "s", StepInput{Values: map[string]any{"name": "Paul", "reason": "Umzug"}}); err != nil {
			t.Fatal(err)
		}
		app, err := w.s.SubmitDraft(ctx, v, w.tenant.ID, d.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := app.Answers["old"]; ok || app.FormVersion != 2 || app.Answers["reason"] != "Umzug" {
			t.Errorf("application: version %d, answers %v", app.FormVersion, app.Answers)
		}
	})
}
