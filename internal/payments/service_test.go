package payments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

const cityIBAN = "DE89370400440532013000"

type fixture struct {
	t       *testing.T
	db      *database.DB
	clk     *clock.Fake
	svc     *Service
	tenant  *identity.Tenant
	finance identity.Principal
	sent    []string // notified subjects
}

func newFixture(t *testing.T, db *database.DB, clk *clock.Fake) *fixture {
	t.Helper()
	tn, err := (&identity.Service{DB: db}).CreateTenant(context.Background(), identity.Tenant{Slug: "musterstadt", Name: "Musterstadt", IsDefault: true,
		Settings: identity.Settings{FederalState: "BY", Creditor: identity.Creditor{Name: "Stadtkasse Musterstadt", IBAN: cityIBAN, BIC: "COBADEFFXXX"}}})
	if err != nil {
		t.Fatal(err)
	}
	store := &blob.Tracked{Store: blobtest.Open(t), DB: db} // a bucket of a real S3 server under make test-s3
	f := &fixture{t: t, db: db, clk: clk, tenant: tn, finance: identity.Principal{TenantID: tn.ID, Ref: "U-KASS-E001", Kind: "staff", Roles: []identity.Role{identity.RoleFinance}}}
	f.svc = &Service{DB: db, Blobs: store, Providers: map[string]Provider{}}
	f.svc.Notify = func(tx *database.Tx, tenantID int64, to Contact, subject, text, key string) error {
		f.sent = append(f.sent, to.Email+": "+subject)
		return nil
	}
	return f
}

func (f *fixture) request(amount, payer, purpose, subject string) Created {
	f.t.Helper()
	var c Created
	err := database.WithTx(context.Background(), f.db, func(tx *database.Tx) error {
		var err error
		c, err = f.svc.CreateRequest(tx, identity.System(f.tenant.ID), NewRequest{TenantID: f.tenant.ID, Subject: subject, PayerName: payer, PayerEmail: "paul@example.org",
			Amount: decimal.RequireFromString(amount), Purpose: purpose})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// account creates an account and returns its internal id.
func (f *fixture) account(email string) int64 {
	f.t.Helper()
	a, err := (&identity.Service{DB: f.db}).CreateStaff(context.Background(), identity.System(f.tenant.ID), f.tenant.ID, email, "Test Person", "Testpasswort-2026-lang", []identity.Role{identity.RoleCaseWorker})
	if err != nil {
		f.t.Fatal(err)
	}
	var id int64
	if err := f.db.R.QueryRow(`SELECT id FROM accounts WHERE ref = $1`, a.Ref).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) get(ref string) *Request {
	f.t.Helper()
	r, err := f.svc.Request(context.Background(), f.finance, f.tenant.ID, ref)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) importXML(name string, xml []byte) *ImportResult {
	f.t.Helper()
	res, err := f.svc.ImportStatement(context.Background(), f.finance, f.tenant.ID, SourceUpload, name, xml)
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func (f *fixture) openTasks() map[string]int {
	ts, err := f.svc.Tasks(context.Background(), f.finance, f.tenant.ID, "open", 0)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]int{}
	for _, t := range ts {
		out[t.Kind]++
	}
	return out
}

func (f *fixture) jobs(kind string) []jobs.Job {
	f.t.Helper()
	js, err := jobs.ListTenant(context.Background(), f.db, f.tenant.ID, "queued", 100)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []jobs.Job
	for _, j := range js {
		if j.Kind == kind {
			out = append(out, j)
		}
	}
	return out
}

var day = time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)

func TestReconcileStatement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		byRF := f.request("30.50", "Paul Payer", "Bewohnerparkausweis", "A-PAUL-0001")
		byName := f.request("47.11", "Berta Beispiel", "Hundesteuer 2026 Bello", "A-BERT-0001")
		partial := f.request("100.00", "Carl Part", "Gewerbeanmeldung", "A-CARL-0001")
		over := f.request("20.00", "Dora Over", "Führungszeugnis", "A-DORA-0001")
		twinA := f.request("15.00", "Emil Zwilling", "Anwohnerparken", "A-TWIN-000A")
		twinB := f.request("15.00", "Emil Zwilling", "Anwohnerparken", "A-TWIN-000B")
		byRef := f.request("12.00", "Frieda Ref", "Meldebescheinigung", "A-FRID-0001")

		xml := GenerateStatement("MSG-1", cityIBAN, day, []Credit{
			{Amount: "30.50", Name: "Paul Payer", Reference: byRF.RF, ServicerRef: "S1"},
			{Amount: "47.11", Name: "BERTA BEISPIEL", Text: "Hundesteuer Bello", ServicerRef: "S2"},
			{Amount: "40.00", Name: "Carl Part", Text: "Teilzahlung " + partial.RF, ServicerRef: "S3"},
			{Amount: "25.00", Name: "Dora Over", Reference: over.RF, ServicerRef: "S4"},
			{Amount: "15.00", Name: "Emil Zwilling", Text: "Anwohnerparken", ServicerRef: "S5"},
			{Amount: "12.00", Name: "Someone", Text: "Zahlung zu " + byRef.Ref, ServicerRef: "S6"},
			{Amount: "99.99", Name: "Unbekannt", Text: "Spende", ServicerRef: "S7"},
			{Amount: "30.50", Currency: "CHF", Name: "Paul Payer", Reference: byRF.RF, ServicerRef: "S8"},
			{Amount: "30.505", Name: "Paul Payer", Reference: byRF.RF, ServicerRef: "S9"},
		})
		res := f.importXML("auszug.xml", xml)
		f.storedFileIs(res.Statement, xml)
		if res.Entries != 9 || res.Booked != 5 || res.Worklist != 4 || res.Settled != 4 || res.Duplicate {
			t.Errorf("result %+v", res)
		}
		for _, tc := range []struct {
			ref, status, paid string
		}{
			{byRF.Ref, StatusPaid, "30.50"}, {byName.Ref, StatusPaid, "47.11"}, {partial.Ref, StatusPartial, "40.00"},
			{over.Ref, StatusPaid, "25.00"}, {twinA.Ref, StatusOpen, "0.00"}, {twinB.Ref, StatusOpen, "0.00"}, {byRef.Ref, StatusPaid, "12.00"},
		} {
			r := f.get(tc.ref)
			if r.Status != tc.status || r.Paid.StringFixed(2) != tc.paid {
				t.Errorf("%s: %s paid %s, want %s %s", r.Purpose, r.Status, r.Paid.StringFixed(2), tc.status, tc.paid)
			}
		}
		want := map[string]int{"ambiguous": 1, "unmatched": 1, "foreign_currency": 1, "excess_decimals": 1, "overpayment": 1}
		if got := f.openTasks(); !equalCounts(got, want) {
			t.Errorf("worklist %v, want %v", got, want)
		}
		// The ambiguous entry names both twins as candidates.
		ts, _ := f.svc.Tasks(context.Background(), f.finance, f.tenant.ID, "open", 0)
		for _, tk := range ts {
			if tk.Kind == "ambiguous" && (len(tk.Candidates) != 2 || tk.Entry == nil || tk.Entry.Amount != "15.00") {
				t.Errorf("ambiguous task %+v", tk)
			}
			if tk.Kind == "excess_decimals" && (tk.Amount != "30.505" || tk.Entry.Amount != "30.505") {
				t.Errorf("excess decimals task keeps the amount as written: %+v", tk)
			}
		}
		if js := f.jobs(SettledJob); len(js) != 4 {
			t.Errorf("%d settled jobs, want 4", len(js))
		} else {
			var s Settled
			json.Unmarshal(js[0].Payload, &s)
			if s.TenantID != f.tenant.ID || s.Request == "" || !strings.HasPrefix(s.Subject, "A-") {
				t.Errorf("settled payload %s", js[0].Payload)
			}
		}

		// The same file again books nothing and lands on the worklist.
		again := f.importXML("auszug-nochmal.xml", xml)
		if !again.Duplicate || again.Booked != 0 || again.DuplicateOf != res.Statement {
			t.Errorf("second import %+v", again)
		}
		// The same message id with the same statement (other bytes) too.
		again2 := f.importXML("auszug-anders.xml", append(xml, []byte("<!-- re-sent -->")...))
		if !again2.Duplicate || again2.Booked != 0 {
			t.Errorf("re-sent message %+v", again2)
		}
		if got := f.openTasks()["duplicate_statement"]; got != 2 {
			t.Errorf("%d duplicate statement tasks", got)
		}
		if f.get(byRF.Ref).Paid.StringFixed(2) != "30.50" || f.get(partial.Ref).Paid.StringFixed(2) != "40.00" {
			t.Error("a repeated import booked again")
		}

		// A later statement repeating an entry (same bank reference)
		// books it not again; a second RF payment of a paid request goes
		// to the refund worklist; the rest of the partial payment settles.
		xml2 := GenerateStatement("MSG-2", cityIBAN, day.AddDate(0, 0, 1), []Credit{
			{Amount: "30.50", Name: "Paul Payer", Reference: byRF.RF, ServicerRef: "S1"},
			{Amount: "30.50", Name: "Paul Payer", Reference: byRF.RF, ServicerRef: "S10"},
			{Amount: "60.00", Name: "Carl Part", Reference: partial.RF, ServicerRef: "S11"},
		})
		res2 := f.importXML("auszug2.xml", xml2)
		if res2.Repeated != 1 || res2.Booked != 1 || res2.Worklist != 1 || res2.Settled != 1 {
			t.Errorf("second statement %+v", res2)
		}
		if r := f.get(partial.Ref); r.Status != StatusPaid || r.Paid.StringFixed(2) != "100.00" {
			t.Errorf("partial request after the rest: %s %s", r.Status, r.Paid)
		}
		if got := f.openTasks()["paid_twice"]; got != 1 {
			t.Errorf("%d paid-twice tasks", got)
		}
		ps, err := f.svc.Payments(context.Background(), f.finance, f.tenant.ID, byRF.Ref)
		if err != nil || len(ps) != 1 {
			t.Errorf("receipts of the RF request: %v %v", ps, err)
		}
	})
}

// storedFileIs checks that the statement's file is kept in the blob store
// with the imported bytes and referenced by its row.
func (f *fixture) storedFileIs(stmtRef string, want []byte) {
	f.t.Helper()
	ctx := context.Background()
	var key string
	if err := f.db.R.QueryRowContext(ctx, `SELECT blob_key FROM bank_statements WHERE ref = $1`, stmtRef).Scan(&key); err != nil {
		f.t.Fatal(err)
	}
	r, err := f.svc.Blobs.Open(ctx, key)
	if err != nil {
		f.t.Fatalf("statement %s: open its file %s: %v", stmtRef, key, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		f.t.Errorf("statement %s: stored file differs from the imported one (%d bytes, want %d; %v)", stmtRef, len(got), len(want), err)
	}
	rep, err := blob.Check(ctx, f.db, f.svc.Blobs, false)
	if err != nil || len(rep.Missing) > 0 {
		f.t.Errorf("references to missing blobs: %v %v", rep.Missing, err)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

func TestWorklistBookAndRefund(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		a := f.request("15.00", "Emil Zwilling", "Anwohnerparken", "A-TWIN-000A")
		f.request("15.00", "Emil Zwilling", "Anwohnerparken", "A-TWIN-000B")
		over := f.request("20.00", "Dora Over", "Führungszeugnis", "A-DORA-0001")
		f.importXML("s.xml", GenerateStatement("M1", cityIBAN, day, []Credit{
			{Amount: "15.00", Name: "Emil Zwilling", Text: "Anwohnerparken", ServicerRef: "X1"},
			{Amount: "25.00", Name: "Dora Over", Reference: over.RF, ServicerRef: "X2"},
		}))
		ts, _ := f.svc.Tasks(context.Background(), f.finance, f.tenant.ID, "open", 0)
		var amb, refund string
		for _, tk := range ts {
			switch tk.Kind {
			case "ambiguous":
				amb = tk.Ref
			case "overpayment":
				refund = tk.Ref
			}
		}
		ctx := context.Background()
		if err := f.svc.Resolve(ctx, f.finance, f.tenant.ID, amb, ActionBook, "Z-NOPE-NOPE", ""); !fault.HasCode(err, "request", "unknown_request") {
			t.Errorf("book to unknown request: %v", err)
		}
		if err := f.svc.Resolve(ctx, f.finance, f.tenant.ID, amb, ActionDismiss, "", ""); !fault.HasCode(err, "note", "required") {
			t.Errorf("dismiss without note: %v", err)
		}
		caseWorker := identity.Principal{TenantID: f.tenant.ID, Ref: "U-CASE", Roles: []identity.Role{identity.RoleCaseWorker}}
		if err := f.svc.Resolve(ctx, caseWorker, f.tenant.ID, amb, ActionBook, a.Ref, ""); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("case worker resolves: %v", err)
		}
		if err := f.svc.Resolve(ctx, f.finance, f.tenant.ID, amb, ActionBook, a.Ref, "Zwilling A laut Telefonat"); err != nil {
			t.Fatal(err)
		}
		if r := f.get(a.Ref); r.Status != StatusPaid {
			t.Errorf("booked by hand: %s", r.Status)
		}
		if err := f.svc.Resolve(ctx, f.finance, f.tenant.ID, amb, ActionBook, a.Ref, ""); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("resolve twice: %v", err)
		}
		if err := f.svc.Resolve(ctx, f.finance, f.tenant.ID, refund, ActionRefund, "", "überwiesen"); err != nil {
			t.Fatal(err)
		}
		if got := f.openTasks(); len(got) != 0 {
			t.Errorf("open tasks left: %v", got)
		}
	})
}

func TestExpectedDebits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			return f.svc.ExpectDebits(tx, f.tenant.ID, "RUN-1", []ExpectedDebit{{EndToEndID: "E2E-INV-1", Amount: decimal.RequireFromString("119.00")},
				{EndToEndID: "E2E-INV-2", Amount: decimal.RequireFromString("50.00")}})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = database.WithTx(ctx, db, func(tx *database.Tx) error {
			return f.svc.ExpectDebits(tx, f.tenant.ID, "RUN-2", []ExpectedDebit{{EndToEndID: "E2E-INV-1", Amount: decimal.RequireFromString("1")}})
		})
		if !errors.Is(err, fault.ErrConflict) {
			t.Errorf("same end-to-end id twice: %v", err)
		}
		res := f.importXML("d.xml", GenerateStatement("D1", cityIBAN, day, []Credit{
			{Debit: true, Amount: "119.00", Name: "Lieferant GmbH", EndToEndID: "E2E-INV-1", ServicerRef: "D1"},
			{Debit: true, Amount: "55.00", Name: "Andere GmbH", EndToEndID: "E2E-INV-2", ServicerRef: "D2"},
			{Debit: true, Amount: "9.99", Name: "Stadtwerke", EndToEndID: "OTHER", ServicerRef: "D3"},
		}))
		if res.Debits != 1 || res.Worklist != 1 || res.Ignored != 1 {
			t.Errorf("result %+v", res)
		}
		js := f.jobs(DebitMatchedJob)
		if len(js) != 1 {
			t.Fatalf("%d debit jobs", len(js))
		}
		var m DebitMatched
		json.Unmarshal(js[0].Payload, &m)
		if m != (DebitMatched{TenantID: f.tenant.ID, Run: "RUN-1", EndToEndID: "E2E-INV-1"}) {
			t.Errorf("payload %+v", m)
		}
		if got := f.openTasks(); got["debit_mismatch"] != 1 {
			t.Errorf("worklist %v", got)
		}
	})
}

func TestImportRefusesBadStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		for _, tc := range []struct {
			in   string
			code string
		}{
			{"<Document", "malformed_statement"},
			{`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.99"/>`, "unknown_statement_version"},
			{`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>X</MsgId><CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr></BkToCstmrStmt></Document>`, "invalid_statement"},
		} {
			_, err := f.svc.ImportStatement(ctx, f.finance, f.tenant.ID, SourceUpload, "x.xml", []byte(tc.in))
			if !fault.HasCode(err, "file", tc.code) {
				t.Errorf("%q: %v, want %s", tc.in, err, tc.code)
			}
		}
		sts, _ := f.svc.Statements(ctx, f.finance, f.tenant.ID, 0)
		if len(sts) != 0 {
			t.Errorf("refused statements stored: %v", sts)
		}
		citizen := identity.Principal{TenantID: f.tenant.ID, AccountID: 7, Ref: "U-CITI", Kind: "citizen"}
		if _, err := f.svc.ImportStatement(ctx, citizen, f.tenant.ID, SourceUpload, "x.xml", GenerateStatement("M", cityIBAN, day, nil)); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("citizen imports: %v", err)
		}
	})
}

func TestCreateRequestValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		for _, tc := range []struct {
			in          NewRequest
			field, code string
		}{
			{NewRequest{Amount: decimal.RequireFromString("1.005"), Purpose: "x"}, "amount", "invalid_amount"},
			{NewRequest{Amount: decimal.RequireFromString("-1"), Purpose: "x"}, "amount", "invalid_amount"},
			{NewRequest{Amount: decimal.RequireFromString("1"), Purpose: ""}, "purpose", "required"},
			{NewRequest{Amount: decimal.RequireFromString("1"), Purpose: "a\nb"}, "purpose", "no_line_breaks"},
			{NewRequest{Amount: decimal.RequireFromString("1"), Purpose: "x", DueDate: "2020-01-01"}, "due_date", "date_in_past"},
			{NewRequest{Amount: decimal.RequireFromString("1"), Purpose: "x", DueDate: "morgen"}, "due_date", "invalid_date"},
		} {
			tc.in.TenantID = f.tenant.ID
			err := database.WithTx(ctx, db, func(tx *database.Tx) error {
				_, err := f.svc.CreateRequest(tx, identity.System(f.tenant.ID), tc.in)
				return err
			})
			if !fault.HasCode(err, tc.field, tc.code) {
				t.Errorf("%+v: %v", tc.in, err)
			}
		}
		other := identity.Principal{TenantID: f.tenant.ID + 99, Ref: "x", Roles: []identity.Role{identity.RoleAdmin}}
		err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			_, err := f.svc.CreateRequest(tx, other, NewRequest{TenantID: f.tenant.ID, Amount: decimal.NewFromInt(1), Purpose: "x"})
			return err
		})
		if !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("principal of another tenant: %v", err)
		}
		c := f.request("30.50", "Paul", "Bewohnerparkausweis", "A-1")
		r := f.get(c.Ref)
		if r.DueDate != "2026-03-16" || r.RF != c.RF || c.URL != "/zahlungen/"+c.Ref {
			t.Errorf("request %+v / %+v", r, c)
		}
		// The payer's account sees it, another citizen does not.
		payer, stranger := f.account("paul@example.org"), f.account("eve@example.org")
		err = database.WithTx(ctx, db, func(tx *database.Tx) error {
			var err error
			c, err = f.svc.CreateRequest(tx, identity.System(f.tenant.ID), NewRequest{TenantID: f.tenant.ID, PayerAccountID: payer, Amount: decimal.NewFromInt(5), Purpose: "x"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Request(ctx, identity.Principal{TenantID: f.tenant.ID, AccountID: stranger, Ref: "U-OTHR"}, f.tenant.ID, c.Ref); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("other citizen: %v", err)
		}
		if _, err := f.svc.Request(ctx, identity.Principal{TenantID: f.tenant.ID, AccountID: payer, Ref: "U-PAUL"}, f.tenant.ID, c.Ref); err != nil {
			t.Errorf("payer: %v", err)
		}
	})
}

// fakeProvider signs with a shared secret (the demo provider's scheme is
// tested in provider/demo).
type fakeProvider struct{ fail bool }

func (p *fakeProvider) Name() string  { return "fake" }
func (p *fakeProvider) Label() string { return "Fake" }
func (p *fakeProvider) Start(ctx context.Context, c Checkout) (Redirect, error) {
	return Redirect{ProviderID: "fk-" + c.Payment, URL: "https://pay.example/" + c.Payment}, nil
}
func (p *fakeProvider) Verify(h http.Header, body []byte) (Event, error) {
	if h.Get("X-Sig") != "ok:"+string(body) {
		return Event{}, errors.New("bad signature")
	}
	var ev Event
	return ev, json.Unmarshal(body, &ev)
}
func (p *fakeProvider) Refund(ctx context.Context, id string, a decimal.Decimal) (string, error) {
	return "rf-" + id, nil
}

func TestOnlinePaymentCallbacks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		f.svc.Providers["fake"] = &fakeProvider{}
		ctx := context.Background()
		c := f.request("30.50", "Paul Payer", "Bewohnerparkausweis", "A-PAUL-0001")
		url, err := f.svc.StartOnline(ctx, identity.Principal{}, f.tenant.ID, c.Ref, "fake")
		if err != nil || !strings.HasPrefix(url, "https://pay.example/O-") {
			t.Fatalf("start: %q %v", url, err)
		}
		online := strings.TrimPrefix(url, "https://pay.example/")
		send := func(ev Event, sig string) error {
			b, _ := json.Marshal(ev)
			h := http.Header{}
			if sig == "" {
				sig = "ok:" + string(b)
			}
			h.Set("X-Sig", sig)
			return f.svc.HandleCallback(ctx, f.tenant.ID, "fake", h, b)
		}
		paid := Event{ID: "e1", Payment: online, Status: EventPaid, Amount: decimal.RequireFromString("30.50")}
		if err := send(paid, "forged"); !errors.Is(err, ErrForged) || web400(err) {
			t.Errorf("forged callback: %v", err)
		}
		if r := f.get(c.Ref); r.Status != StatusOpen {
			t.Error("forged callback booked")
		}
		for i := 0; i < 3; i++ { // repeated deliveries
			if err := send(paid, ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := send(Event{ID: "e2", Payment: online, Status: EventPaid, Amount: decimal.RequireFromString("30.50")}, ""); err != nil {
			t.Fatal(err)
		}
		if err := send(Event{ID: "e3", Payment: online, Status: EventFailed, Amount: decimal.RequireFromString("30.50")}, ""); err != nil {
			t.Fatal(err) // a late "failed" after "paid" changes nothing
		}
		r := f.get(c.Ref)
		if r.Status != StatusPaid || r.Paid.StringFixed(2) != "30.50" {
			t.Errorf("after callbacks: %s %s", r.Status, r.Paid)
		}
		if js := f.jobs(SettledJob); len(js) != 1 {
			t.Errorf("%d settled jobs", len(js))
		}
		o, err := f.svc.OnlinePayment(ctx, identity.Principal{}, f.tenant.ID, c.Ref, online)
		if err != nil || o.Status != "paid" {
			t.Errorf("online payment %+v %v", o, err)
		}
		if err := f.svc.RefundOnline(ctx, f.finance, f.tenant.ID, online); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RefundOnline(ctx, f.finance, f.tenant.ID, "O-NONE-NONE"); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("refund unknown: %v", err)
		}
		// The forged attempt is in the audit trail.
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE action = 'payment.callback.forged'`).Scan(&n)
		if n != 1 {
			t.Errorf("%d forged callbacks audited", n)
		}
	})
}

func web400(err error) bool { return !errors.Is(err, fault.ErrBadRequest) }

func TestFeesAndSettings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		if _, err := f.svc.PutSettings(ctx, f.finance, f.tenant.ID, Settings{ServiceID: "L-DOGS-0001", Timing: "sometime", FeeKind: FeeFixed, Amount: decimal.NewFromInt(1), Purpose: "x", ReminderDays: 7}); !fault.HasCode(err, "timing", "invalid_choice") {
			t.Errorf("bad timing: %v", err)
		}
		rule := &FeeRule{Steps: []FeeStep{{UpTo: 1, Amount: decimal.RequireFromString("75.00")}, {UpTo: 2, Amount: decimal.RequireFromString("150.00")}}, Above: decimal.RequireFromString("300.00")}
		for _, st := range []Settings{
			{ServiceID: "L-PARK-0001", Timing: AfterSubmission, FeeKind: FeeFixed, Amount: decimal.RequireFromString("30.50"), Purpose: "Bewohnerparkausweis", Unit: "Ordnungsamt", CostCentre: "1220.4711", DueDays: 14, ReminderDays: 7},
			{ServiceID: "L-COPY-0001", Timing: BeforeSubmission, FeeKind: FeePerQuantity, Amount: decimal.RequireFromString("0.50"), Purpose: "Kopien", DueDays: 7, ReminderDays: 3},
			{ServiceID: "L-DOGS-0001", Timing: AfterSubmission, FeeKind: FeeStepped, Rule: rule, Purpose: "Hundesteuer", DueDays: 30, ReminderDays: 14},
		} {
			if _, err := f.svc.PutSettings(ctx, f.finance, f.tenant.ID, st); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			service string
			qty     int
			want    string
		}{{"L-PARK-0001", 1, "30.50"}, {"L-COPY-0001", 7, "3.50"}, {"L-DOGS-0001", 1, "75.00"}, {"L-DOGS-0001", 2, "150.00"}, {"L-DOGS-0001", 3, "300.00"}} {
			st, err := f.svc.SettingsFor(ctx, f.tenant.ID, tc.service)
			if err != nil {
				t.Fatal(err)
			}
			fee, err := st.Fee(tc.qty)
			if err != nil || fee.StringFixed(2) != tc.want {
				t.Errorf("%s × %d = %s (%v), want %s", tc.service, tc.qty, fee, err, tc.want)
			}
		}
		var c Created
		err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			var err error
			c, err = f.svc.RequestForService(tx, identity.System(f.tenant.ID), f.tenant.ID, "L-PARK-0001", "A-PAUL-0001", 1, NewRequest{PayerName: "Paul"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		r := f.get(c.Ref)
		if r.Amount.StringFixed(2) != "30.50" || r.Unit != "Ordnungsamt" || r.CostCentre != "1220.4711" || r.DueDate != "2026-03-16" || r.ReminderDays != 7 {
			t.Errorf("request from settings %+v", r)
		}
	})
}

func TestReminders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		c := f.request("30.50", "Paul", "Bewohnerparkausweis", "A-1") // due 2026-03-16, reminder after 7 days
		paid := f.request("10.00", "Berta", "Kopien", "A-2")
		f.importXML("p.xml", GenerateStatement("P", cityIBAN, day, []Credit{{Amount: "10.00", Reference: paid.RF, ServicerRef: "P1"}}))
		step := func(to time.Time, want int) {
			t.Helper()
			clk.Set(to)
			n, err := f.svc.Remind(ctx, func(int64) string { return "https://musterstadt.example" })
			if err != nil || n != want {
				t.Errorf("%s: %d reminders (%v), want %d", to.Format(time.DateOnly), n, err, want)
			}
		}
		step(time.Date(2026, 3, 20, 8, 0, 0, 0, time.UTC), 0) // overdue, but not 7 days
		step(time.Date(2026, 3, 23, 8, 0, 0, 0, time.UTC), 1)
		step(time.Date(2026, 3, 24, 8, 0, 0, 0, time.UTC), 0) // reminded yesterday
		step(time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC), 1)
		step(time.Date(2026, 4, 6, 8, 0, 0, 0, time.UTC), 1)
		step(time.Date(2026, 5, 6, 8, 0, 0, 0, time.UTC), 0) // at most three
		if len(f.sent) != 3 || f.get(c.Ref).Reminders != 3 {
			t.Errorf("sent %v", f.sent)
		}
	})
}
