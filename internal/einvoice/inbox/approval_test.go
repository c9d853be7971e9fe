package inbox

import (
	"context"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/tooltest"
)

func TestFourEyes(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		inv := w.submit(t, DefaultSample("RE-4E-1"))
		step := func(p interface{}, st Step, version int) error {
			t.Helper()
			_, err := w.s.Approve(ctx, w.principal(p), w.t.ID, inv.Ref, StepInput{Step: st, Version: version, CostCentre: "4711", BudgetLine: "1.0200.6500"})
			return err
		}
		want := func(err error, kind error, code string) {
			t.Helper()
			if !errors.Is(err, kind) || ProblemCode(err) != code {
				t.Errorf("got %v, want %v %s", err, kind, code)
			}
		}
		want(step(w.token, StepSachlich, 0), fault.ErrForbidden, "not_a_person")
		want(step(w.outsider, StepSachlich, 0), fault.ErrNotFound, "") // does not even see it
		want(step(w.clerkA, StepAnordnung, 0), fault.ErrConflict, "wrong_order")
		if err := step(w.worker, StepSachlich, 1); err != nil {
			t.Fatalf("sachlich by the unit's case worker: %v", err)
		}
		want(step(w.worker, StepRechnerisch, 0), fault.ErrForbidden, "same_person")
		want(step(w.clerkA, StepSachlich, 0), fault.ErrConflict, "already_done")
		want(step(w.clerkA, StepRechnerisch, 1), fault.ErrConflict, "stale")
		if err := step(w.clerkA, StepRechnerisch, 2); err != nil {
			t.Fatalf("rechnerisch by clerk A: %v", err)
		}
		want(step(w.worker, StepAnordnung, 0), fault.ErrForbidden, "wrong_role")
		if err := step(w.clerkA, StepAnordnung, 3); err != nil { // may be one of the two before
			t.Fatalf("anordnung by clerk A: %v", err)
		}
		got, err := w.s.Get(ctx, w.clerkB, w.t.ID, inv.Ref)
		if err != nil || got.Status != StatusApproved || got.Version != 4 || got.CostCentre != "4711" || got.BudgetLine != "1.0200.6500" {
			t.Fatalf("after approval: %v %+v", err, got)
		}
		for _, st := range ApprovalSteps {
			r, ok := got.done(st)
			if !ok || r.Hash != inv.Hash || r.At.IsZero() || r.Actor == "" {
				t.Errorf("step %s recorded as %+v", st, r)
			}
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM audit_events WHERE action LIKE 'einvoice.approve.%' AND object_ref = $1`, inv.Ref); n != 3 {
			t.Errorf("%d approvals audited", n)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM audit_events WHERE action = 'einvoice.approval_refused' AND object_ref = $1`, inv.Ref); n != 6 {
			t.Errorf("%d refused approvals audited, want 6", n)
		}
		// Rejection after approval, with reasons; the supplier is told.
		if _, err := w.s.Reject(ctx, w.clerkB, w.t, inv.Ref, got.Version, ""); !fault.HasCode(err, "reason", "reason_required") {
			t.Errorf("reject without reason: %v", err)
		}
		rej, err := w.s.Reject(ctx, w.clerkB, w.t, inv.Ref, got.Version, "Leistung nicht erbracht")
		if err != nil || rej.Status != StatusRejected || rej.ClosedAt == nil {
			t.Fatalf("reject: %v", err)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM jobs WHERE kind = 'mail.send' AND payload LIKE '%rechnung@schmidt.example%' AND payload LIKE '%Leistung nicht erbracht%'`); n != 1 {
			t.Errorf("%d rejection mails", n)
		}
	})
}

func TestSubstituteApproves(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		inv := w.submit(t, DefaultSample("RE-SUB-1"))
		// The outsider is not in the Bauamt: refused until they stand in for
		// the absent case worker.
		if _, err := w.s.Approve(ctx, w.outsider, w.t.ID, inv.Ref, StepInput{Step: StepSachlich}); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("outsider: %v", err)
		}
		ids := w.s.Identity
		w.s.Substitute = ids.SubstituteFor
		// Present, the case worker's substitute gains nothing.
		if err := ids.SetSubstitute(ctx, w.system, w.t.ID, w.worker.Ref, w.outsider.Ref); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Approve(ctx, w.outsider, w.t.ID, inv.Ref, StepInput{Step: StepSachlich}); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("substitute of a present member: %v", err)
		}
		if _, err := ids.SetAbsence(ctx, w.system, w.t.ID, w.worker.Ref, w.clk.Now().Add(-time.Hour), w.clk.Now().Add(72*time.Hour), w.outsider.Ref); err != nil {
			t.Fatal(err)
		}
		if mine, err := w.s.List(ctx, w.outsider, w.t.ID, ListMine); err != nil || len(mine) != 1 {
			t.Errorf("the substitute's list: %d %v", len(mine), err)
		}
		got, err := w.s.Approve(ctx, w.outsider, w.t.ID, inv.Ref, StepInput{Step: StepSachlich})
		if err != nil {
			t.Fatalf("substitute: %v", err)
		}
		r, _ := got.done(StepSachlich)
		if r.OnBehalfOf != "bau@musterstadt.example" || r.Actor != w.outsider.Ref {
			t.Errorf("on behalf of %q", r.OnBehalfOf)
		}
		// After the absence the substitute is an outsider again.
		w.clk.Advance(96 * time.Hour)
		if _, err := w.s.Get(ctx, w.outsider, w.t.ID, inv.Ref); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("former substitute still sees the invoice: %v", err)
		}
		w.clk.Advance(-96 * time.Hour)
		// Now only the other check is left, which needs another person.
		if mine, err := w.s.List(ctx, w.outsider, w.t.ID, ListMine); err != nil || len(mine) != 0 {
			t.Errorf("the substitute's list after the step: %d %v", len(mine), err)
		}
	})
}

// TestPaymentRun: approved invoices become one pain.001 that validates
// against the schema; discount, netting and execution dates follow the
// terms; nothing is paid twice.
func TestPaymentRun(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.clk.Set(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)) // Thursday
		approve := func(inv *Invoice) {
			t.Helper()
			for _, st := range []struct {
				p  interface{}
				st Step
			}{{w.clerkA, StepSachlich}, {w.clerkB, StepRechnerisch}, {w.clerkA, StepAnordnung}} {
				if _, err := w.s.Approve(ctx, w.principal(st.p), w.t.ID, inv.Ref, StepInput{Step: st.st}); err != nil {
					t.Fatal(err)
				}
			}
		}
		plain := w.submit(t, DefaultSample("RE-P-1")) // due 2026-03-31 (Tuesday): 1190.00
		sk := DefaultSample("RE-P-2")
		sk.IssueDate, sk.SkontoDays, sk.SkontoPercent, sk.Net = "2026-03-02", 10, "2.00", "500.00" // 595.00, 2 % until 12.03.
		skonto := w.submit(t, sk)
		late := DefaultSample("RE-P-3")
		late.IssueDate, late.DueDate, late.SkontoDays, late.SkontoPercent = "2026-02-01", "2026-03-01", 7, "3.00" // overdue, discount gone
		overdue := w.submit(t, late)
		cn := DefaultSample("GS-P-1")
		cn.CreditNote, cn.Credits, cn.Net = true, "RE-P-1", "100.00" // 119.00 off RE-P-1
		credit := w.submit(t, cn)
		open := w.submit(t, DefaultSample("RE-P-4")) // not approved: stays out
		for _, inv := range []*Invoice{plain, skonto, overdue, credit} {
			approve(inv)
		}
		run, err := w.s.CreatePaymentRun(ctx, w.clerkB, w.t)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]Payment{
			plain.Ref:   {Amount: "1071.00", Discount: "0.00", Credited: "119.00", ExecutionDate: "2026-03-31"},
			skonto.Ref:  {Amount: "583.10", Discount: "11.90", Credited: "0.00", ExecutionDate: "2026-03-12"},
			overdue.Ref: {Amount: "1190.00", Discount: "0.00", Credited: "0.00", ExecutionDate: "2026-03-06"},
		}
		if run.Count != 3 || run.ControlSum != "2844.10" || run.File != "/api/v1/einvoices/payment-runs/"+run.Ref+"/pain.001.xml" {
			t.Errorf("run %+v", run)
		}
		for _, p := range run.Payments {
			wp := want[p.Invoice]
			if p.Amount != wp.Amount || p.Discount != wp.Discount || p.Credited != wp.Credited || p.ExecutionDate != wp.ExecutionDate {
				t.Errorf("payment %s: %+v, want %+v", p.Invoice, p, wp)
			}
		}
		if len(run.Netted) != 1 || run.Netted[0] != credit.Ref {
			t.Errorf("netted %v", run.Netted)
		}
		file, err := w.s.PaymentFile(ctx, w.clerkA, w.t.ID, run.Ref)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			NbOfTxs string   `xml:"CstmrCdtTrfInitn>GrpHdr>NbOfTxs"`
			CtrlSum string   `xml:"CstmrCdtTrfInitn>GrpHdr>CtrlSum"`
			Dates   []string `xml:"CstmrCdtTrfInitn>PmtInf>ReqdExctnDt>Dt"`
		}
		if err := xml.Unmarshal(file, &doc); err != nil || doc.NbOfTxs != "3" || doc.CtrlSum != "2844.10" || len(doc.Dates) != 3 {
			t.Errorf("file: %v %+v", err, doc)
		}
		xmllint(t, file)
		// Paid once only: a second run finds nothing.
		if _, err := w.s.CreatePaymentRun(ctx, w.clerkA, w.t); !fault.HasCode(err, "invoices", "nothing_to_pay") {
			t.Errorf("second run: %v", err)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM einvoice_payments`); n != 3 {
			t.Errorf("%d payments", n)
		}
		// The bank statement comes back: matched debits mark the invoice paid, once.
		for range 2 {
			if err := w.s.DebitMatched(ctx, w.t.ID, run.Ref, plain.Ref); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := w.s.Get(ctx, w.clerkA, w.t.ID, plain.Ref)
		if got.Status != StatusPaid || got.ClosedAt == nil || got.RetainUntil != "2036-12-31" {
			t.Errorf("after the debit: %s %v %s", got.Status, got.ClosedAt, got.RetainUntil)
		}
		if c, _ := w.s.Get(ctx, w.clerkA, w.t.ID, credit.Ref); c.Status != StatusPaid || c.NettedWith != plain.Ref {
			t.Errorf("credit note %s netted with %q", c.Status, c.NettedWith)
		}
		if o, _ := w.s.Get(ctx, w.clerkA, w.t.ID, open.Ref); o.Status != StatusNew {
			t.Errorf("unapproved invoice moved: %s", o.Status)
		}
		// Retention: ten years after the year of payment, then listed.
		if d, _ := w.s.Disposal(ctx, w.clerkA, w.t.ID); len(d) != 0 {
			t.Errorf("listed for disposal too early: %d", len(d))
		}
		w.clk.Set(time.Date(2037, 1, 1, 9, 0, 0, 0, time.UTC))
		d, err := w.s.Disposal(ctx, w.clerkA, w.t.ID)
		if err != nil || len(d) != 2 { // the paid invoice and the netted credit note
			t.Errorf("disposal list %d %v", len(d), err)
		}
		// CSV export of approved invoices names the approvers.
		csv, err := w.s.ExportCSV(ctx, w.clerkA, w.t.ID, []Status{StatusInPayment, StatusPaid})
		if err != nil || !containsAll(string(csv), plain.Ref, "kasse2@musterstadt.example", skonto.Ref) {
			t.Errorf("csv: %v\n%s", err, csv)
		}
	})
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !contains(s, x) {
			return false
		}
	}
	return true
}

func xmllint(t *testing.T, doc []byte) {
	t.Helper()
	lint := tooltest.Path(t, "xmllint", "libxml2-utils")
	xsd, _ := filepath.Abs("../sepa/testdata/pain.001.001.09.xsd")
	f := filepath.Join(t.TempDir(), "pain.001.xml")
	os.WriteFile(f, doc, 0o600)
	if out, err := exec.Command(lint, "--noout", "--schema", xsd, f).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}
