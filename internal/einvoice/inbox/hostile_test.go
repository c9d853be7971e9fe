package inbox

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// business is a supplier's business account of the world's tenant.
func (w *world) business(t *testing.T, ref, email string) identity.Principal {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := database.WithTx(ctx, w.db, func(tx *database.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO accounts (tenant_id, ref, kind, email, name, email_verified_at, created_at) VALUES ($1, $2, 'business', $3, $3, $4, $4) RETURNING id`,
			w.t.ID, ref, email, tx.Now()).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	return identity.Principal{TenantID: w.t.ID, AccountID: id, Ref: ref, Kind: "business"}
}

// TestDuplicateDoesNotLeakToOtherSuppliers: a business account that hands
// in the number and amount of an invoice someone else sent learns that it
// is a duplicate (409), but not the other invoice's reference; its own
// duplicate names its own invoice; finance always sees the reference.
func TestDuplicateDoesNotLeakToOtherSuppliers(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		mallory := w.business(t, "U-MALL-0001", "mallory@example.org")
		schmidt := w.business(t, "U-SCHM-0001", "rechnung@schmidt.example")
		theirs := w.submit(t, DefaultSample("RE-DUP-1")) // the city's clerk scanned it in by API
		submit := func(p identity.Principal, number string) (*Invoice, *Duplicate) {
			t.Helper()
			inv, err := w.s.Submit(ctx, p, w.t.ID, Submission{Channel: ChannelAPI, Data: SampleXML(DefaultSample(number)), ContentType: TypeXML})
			var dup *Duplicate
			if err != nil && !errors.As(err, &dup) {
				t.Fatalf("submit %s as %s: %v", number, p.Ref, err)
			}
			return inv, dup
		}
		if _, dup := submit(mallory, "RE-DUP-1"); dup == nil || dup.Existing != "" {
			t.Errorf("another supplier's duplicate: %+v, want a 409 without the reference", dup)
		}
		own, _ := submit(schmidt, "RE-DUP-2")
		if _, dup := submit(schmidt, "RE-DUP-2"); dup == nil || dup.Existing != own.Ref {
			t.Errorf("own duplicate: %+v, want %s", dup, own.Ref)
		}
		if _, dup := submit(w.token, "RE-DUP-1"); dup == nil || dup.Existing != theirs.Ref {
			t.Errorf("finance duplicate: %+v, want %s", dup, theirs.Ref)
		}
	})
}

// TestFourEyesUnderConcurrency: one person sending both checks at once
// (double clicks, two tabs, a script) never signs both; concurrent
// payment runs pay every invoice once.
func TestFourEyesUnderConcurrency(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		var invs []*Invoice
		for _, n := range []string{"RE-C-1", "RE-C-2", "RE-C-3"} {
			invs = append(invs, w.submit(t, DefaultSample(n)))
		}
		for _, inv := range invs {
			var wg sync.WaitGroup
			for i := 0; i < 8; i++ {
				st := []Step{StepSachlich, StepRechnerisch}[i%2]
				wg.Go(func() { w.s.Approve(ctx, w.clerkA, w.t.ID, inv.Ref, StepInput{Step: st}) })
			}
			wg.Wait()
			got, err := w.s.Get(ctx, w.clerkB, w.t.ID, inv.Ref)
			must(t, err)
			_, s1 := got.done(StepSachlich)
			_, s2 := got.done(StepRechnerisch)
			if s1 && s2 {
				t.Fatalf("%s: one person signed both checks: %+v", inv.Ref, got.Steps)
			}
			if !s1 && !s2 {
				t.Fatalf("%s: no check signed at all", inv.Ref)
			}
			// The other clerk completes it; then finance orders payment.
			other := StepRechnerisch
			if !s1 {
				other = StepSachlich
			}
			for _, in := range []StepInput{{Step: other}, {Step: StepAnordnung}} {
				if _, err := w.s.Approve(ctx, w.clerkB, w.t.ID, inv.Ref, in); err != nil {
					t.Fatalf("%s %s: %v", inv.Ref, in.Step, err)
				}
			}
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		paid := 0
		for i := 0; i < 4; i++ {
			p := []identity.Principal{w.clerkA, w.clerkB}[i%2]
			wg.Go(func() {
				run, err := w.s.CreatePaymentRun(ctx, p, w.t)
				if err == nil {
					mu.Lock()
					paid += run.Count
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if n := count(t, w.db, `SELECT COUNT(*) FROM einvoice_payments`); n != len(invs) || paid != len(invs) {
			t.Fatalf("%d payment rows, %d transfers in the runs, want %d each", n, paid, len(invs))
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM einvoice_invoices WHERE status = 'in_payment'`); n != len(invs) {
			t.Fatalf("%d invoices in payment", n)
		}
	})
}

// TestPaperInvoiceWorkflow: hand-typed key fields are checked all at once
// (nothing stored on a refusal); only finance captures; a captured paper
// invoice is routed, approved by four eyes and paid like an e-invoice, and
// the same paper invoice typed in twice is a duplicate.
func TestPaperInvoiceWorkflow(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.clk.Set(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC))
		scan := []byte("%PDF-1.4\n% scanned paper\n%%EOF\n")
		good := PaperInput{Scan: scan, ScanName: "../../etc/scan.pdf", Supplier: "Malerbetrieb Kunz", Number: "K-17", IssueDate: "2026-03-02", DueDate: "2026-03-30",
			Amount: "595,00", Currency: "EUR", IBAN: "DE02 1203 0000 0000 2020 51", Unit: w.unit}
		bad := good
		bad.Scan, bad.Amount, bad.IBAN, bad.DueDate, bad.SupplierVATID, bad.Unit = []byte("<html>"), "-5", "DE00123", "2026-02-01", "DE-123/456", "E-NONE-0000"
		_, err := w.s.SubmitPaper(ctx, w.clerkA, w.t.ID, bad)
		fv, ok := fault.AsValidation(err)
		if !ok {
			t.Fatalf("bad paper invoice: %v", err)
		}
		got := map[string]string{}
		for _, e := range fv.Errors {
			got[e.Field] = e.Code
		}
		for field, code := range map[string]string{"scan": "not_pdf", "amount": "invalid_amount", "iban": "invalid_iban", "due_date": "before_issue_date",
			"supplier_vat_id": "invalid_vat_id", "unit": "unknown_unit"} {
			if got[field] != code {
				t.Errorf("%s: %q, want %s (all: %v)", field, got[field], code, got)
			}
		}
		for _, amount := range []string{"0", "1.999", "1e3", "NaN", "99999999999999999"} {
			in := good
			in.Amount = amount
			if _, err := w.s.SubmitPaper(ctx, w.clerkA, w.t.ID, in); !fault.HasCode(err, "amount", "invalid_amount") {
				t.Errorf("amount %q: %v", amount, err)
			}
		}
		if _, err := w.s.SubmitPaper(ctx, w.worker, w.t.ID, good); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("case worker captured a paper invoice: %v", err)
		}
		if n := count(t, w.db, `SELECT COUNT(*) FROM einvoice_invoices`); n != 0 {
			t.Fatalf("%d invoices stored by refused captures", n)
		}
		inv, err := w.s.SubmitPaper(ctx, w.clerkA, w.t.ID, good)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Status != StatusNew || inv.Unit != w.unit || inv.Channel != ChannelPaper || inv.Original.Name != "scan.pdf" || inv.IBAN != "DE02120300000000202051" {
			t.Fatalf("captured: %+v", inv)
		}
		if _, err := w.s.SubmitPaper(ctx, w.clerkB, w.t.ID, good); !errors.As(err, new(*Duplicate)) {
			t.Errorf("same paper invoice twice: %v", err)
		}
		for _, st := range []struct {
			p    identity.Principal
			step Step
		}{{w.worker, StepSachlich}, {w.clerkA, StepRechnerisch}, {w.clerkB, StepAnordnung}} {
			if _, err := w.s.Approve(ctx, st.p, w.t.ID, inv.Ref, StepInput{Step: st.step}); err != nil {
				t.Fatalf("%s: %v", st.step, err)
			}
		}
		run, err := w.s.CreatePaymentRun(ctx, w.clerkB, w.t)
		if err != nil || run.Count != 1 || run.ControlSum != "595.00" || run.Payments[0].Invoice != inv.Ref || run.Payments[0].ExecutionDate != "2026-03-30" {
			t.Fatalf("payment run: %v %+v", err, run)
		}
	})
}
