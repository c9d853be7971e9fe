package inbox

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/einvoice/sepa"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// PaymentRun is one SEPA credit transfer file made of approved invoices.
type PaymentRun struct {
	Ref        string    `json:"id"`
	Count      int       `json:"count"`
	ControlSum string    `json:"control_sum"`
	Currency   string    `json:"currency"`
	File       string    `json:"file"` // API path of the pain.001 document
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
	Payments   []Payment `json:"payments"`
	// Skipped lists approved invoices left out, with the reason.
	Skipped []Skipped `json:"skipped"`
	// Netted lists credit notes settled against their invoices.
	Netted  []string `json:"netted"`
	fileKey string
	id      int64
}

// Payment is one transfer of a run.
type Payment struct {
	Invoice       string `json:"invoice"`
	EndToEndID    string `json:"end_to_end_id"`
	Creditor      string `json:"creditor"`
	Amount        string `json:"amount"`
	Discount      string `json:"discount"`
	Credited      string `json:"credited"`
	ExecutionDate string `json:"execution_date"`
	Status        string `json:"status"`
}

// Skipped is an approved invoice that a run left out.
type Skipped struct {
	Invoice string `json:"invoice"`
	Reason  string `json:"reason"` // no_iban, not_eur, credit_open, not_positive
}

// FilePath is the API path of a run's pain.001 document.
func FilePath(runRef string) string {
	return "/api/v1/einvoices/payment-runs/" + runRef + "/pain.001.xml"
}

// plan is one planned transfer.
type plan struct {
	inv      *Invoice
	credits  []*Invoice
	amount   decimal.Decimal
	discount decimal.Decimal
	credited decimal.Decimal
	exec     calendar.Date
	creditor sepa.Party
}

// CreatePaymentRun turns every approved invoice into a SEPA credit
// transfer (pain.001.001.09) from the city's account (tenant settings,
// creditor account): approved credit notes are netted against their
// invoices (same supplier, BT-25 = the invoice's number); the cash
// discount is taken when the transfer can still be executed on or before
// its last day (execution on that day), otherwise the invoice is paid on
// its due date (the business day before), or on the first possible day
// (the next TARGET2 business day after today) when that has passed. An
// invoice enters one run only: its row in einvoice_payments is unique and
// its status moves to in_payment in the run's transaction. Finance (or the
// system, for the CLI).
func (s *Service) CreatePaymentRun(ctx context.Context, p identity.Principal, t *identity.Tenant) (*PaymentRun, error) {
	if err := p.Require(t.ID, identity.RoleFinance, identity.RoleAdmin); err != nil {
		return nil, err
	}
	if !p.Has(identity.RoleFinance) && p.Kind != "system" {
		return nil, refuse(fault.ErrForbidden, "wrong_role")
	}
	debtor := sepa.Party{Name: t.Settings.Creditor.Name, IBAN: t.Settings.Creditor.IBAN, BIC: t.Settings.Creditor.BIC}
	if debtor.Name == "" {
		debtor.Name = t.Name
	}
	if !sepa.ValidIBAN(debtor.IBAN) {
		return nil, fault.Invalid("creditor.iban", "debtor_account_missing")
	}
	approved, err := s.list(ctx, t.ID, Filter{Statuses: []Status{StatusApproved}})
	if err != nil {
		return nil, err
	}
	now := s.DB.Clock.Now()
	run := &PaymentRun{Ref: ref.New("Z"), Currency: "EUR", CreatedBy: p.Ref, Payments: []Payment{}, Skipped: []Skipped{}, Netted: []string{}}
	plans, skipped := planRun(approved, today(now))
	if skipped != nil {
		run.Skipped = skipped
	}
	if len(plans) == 0 {
		return nil, fault.Invalid("invoices", "nothing_to_pay")
	}
	msg := sepa.Message{ID: run.Ref, Created: now, Initiator: debtor.Name, Debtor: debtor}
	byDate := map[calendar.Date][]sepa.Transfer{}
	var dates []calendar.Date
	for _, pl := range plans {
		if pl.amount.IsPositive() {
			if _, ok := byDate[pl.exec]; !ok {
				dates = append(dates, pl.exec)
			}
			byDate[pl.exec] = append(byDate[pl.exec], sepa.Transfer{EndToEndID: pl.inv.Ref, Amount: pl.amount, Currency: "EUR", Creditor: pl.creditor,
				Remittance: remittance(pl.inv)})
		}
	}
	sort.Slice(dates, func(i, j int) bool { return dates[i].Before(dates[j]) })
	for i, d := range dates {
		msg.Batches = append(msg.Batches, sepa.Batch{ID: fmt.Sprintf("%s-%d", run.Ref, i+1), ExecutionDate: d, Transfers: byDate[d]})
	}
	var file []byte
	if len(msg.Batches) > 0 {
		if file, err = msg.XML(); err != nil {
			return nil, fmt.Errorf("payment run: %w", err)
		}
	}
	run.Count, run.ControlSum, run.File = msg.Count(), msg.ControlSum().StringFixed(2), FilePath(run.Ref)
	var key string
	var size int64
	if file != nil {
		if key, size, err = s.Blobs.Put(ctx, bytes.NewReader(file)); err != nil {
			return nil, fmt.Errorf("store payment file: %w: %w", fault.ErrUnavailable, err)
		}
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		run.CreatedAt = tx.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO einvoice_payment_runs (tenant_id, ref, count, control_sum, file_key, file_size, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, t.ID, run.Ref, run.Count, run.ControlSum, key, size, p.Ref, tx.Now()).Scan(&run.id); err != nil {
			return err
		}
		if key != "" {
			if err := blob.Keep(tx, t.ID, key, size, TypeXML, "einvoice-run:"+run.Ref); err != nil {
				return err
			}
		}
		var debits []Debit
		for _, pl := range plans {
			if err := s.schedule(tx, p, run, pl); err != nil {
				return err
			}
			for _, c := range pl.credits {
				run.Netted = append(run.Netted, c.Ref)
			}
			if pl.amount.IsPositive() {
				debits = append(debits, Debit{EndToEndID: pl.inv.Ref, Amount: pl.amount.StringFixed(2), Currency: "EUR", Creditor: pl.creditor.Name, ExecutionDate: pl.exec.String()})
			}
		}
		if s.Debits != nil && len(debits) > 0 {
			if err := s.Debits(tx, t.ID, run.Ref, debits); err != nil {
				return fmt.Errorf("register debits with payments: %w", err)
			}
		}
		return audit.Append(tx, audit.Event{TenantID: t.ID, Actor: p.Ref, Action: "einvoice.payment_run", ObjectType: "einvoice_payment_run", ObjectRef: run.Ref,
			After: map[string]any{"count": run.Count, "control_sum": run.ControlSum, "file_sha256": key, "payments": run.Payments, "netted": run.Netted, "skipped": run.Skipped}})
	})
	if err != nil {
		if database.IsUniqueViolation(err) || ProblemCode(err) == "stale" {
			return nil, fmt.Errorf("payment run: an invoice changed or is already in another run: %w", refuse(fault.ErrConflict, "stale"))
		}
		return nil, fmt.Errorf("payment run: %w", err)
	}
	return run, nil
}

// schedule records one planned transfer and moves its invoice (and the
// credit notes netted with it) on.
func (s *Service) schedule(tx *database.Tx, p identity.Principal, run *PaymentRun, pl plan) error {
	now := tx.Now()
	inv := pl.inv
	expected := inv.Version
	status := "sent"
	if pl.amount.IsPositive() {
		inv.Status = StatusInPayment
	} else {
		// Fully covered by credit notes: settled without a transfer.
		inv.Status, inv.ClosedAt, inv.RetainUntil, status = StatusPaid, &now, retainUntil(now), "paid"
	}
	var nettedRefs []string
	for _, c := range pl.credits {
		nettedRefs = append(nettedRefs, c.Ref)
	}
	inv.NettedWith = strings.Join(nettedRefs, " ")
	var paidAt any
	if status == "paid" {
		paidAt = now
	}
	if _, err := tx.ExecContext(tx.Context(), `INSERT INTO einvoice_payments (tenant_id, run_id, invoice_id, end_to_end_id, amount, discount, execution_date, status, paid_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, inv.tenantID, run.id, inv.id, inv.Ref, pl.amount.StringFixed(2), pl.discount.StringFixed(2), pl.exec.String(), status, paidAt); err != nil {
		return err
	}
	note := fmt.Sprintf("%s %s EUR am %s", run.Ref, pl.amount.StringFixed(2), pl.exec)
	if pl.discount.IsPositive() {
		note += fmt.Sprintf(", Skonto %s EUR", pl.discount.StringFixed(2))
	}
	if err := addStep(tx, inv, StepRecord{Step: StepPaymentRun, Actor: p.Ref, Note: note}, p.AccountID); err != nil {
		return err
	}
	if err := update(tx, inv, expected); err != nil {
		return err
	}
	for _, c := range pl.credits {
		ce := c.Version
		c.Status, c.ClosedAt, c.RetainUntil, c.NettedWith = StatusPaid, &now, retainUntil(now), inv.Ref
		if err := addStep(tx, c, StepRecord{Step: StepNetted, Actor: p.Ref, Note: inv.Ref}, p.AccountID); err != nil {
			return err
		}
		if err := update(tx, c, ce); err != nil {
			return err
		}
	}
	run.Payments = append(run.Payments, Payment{Invoice: inv.Ref, EndToEndID: inv.Ref, Creditor: pl.creditor.Name, Amount: pl.amount.StringFixed(2),
		Discount: pl.discount.StringFixed(2), Credited: pl.credited.StringFixed(2), ExecutionDate: pl.exec.String(), Status: status})
	return nil
}

// planRun decides amount and execution date of every approved invoice.
func planRun(approved []*Invoice, today calendar.Date) ([]plan, []Skipped) {
	earliest := sepa.NextBusinessDay(today.AddDays(1))
	credits := map[string][]*Invoice{} // supplier|number → credit notes
	var invoices []*Invoice
	for _, inv := range approved {
		if inv.Kind == "credit_note" {
			credits[inv.supplierKey+"|"+inv.CreditsNumber] = append(credits[inv.supplierKey+"|"+inv.CreditsNumber], inv)
			continue
		}
		invoices = append(invoices, inv)
	}
	var plans []plan
	var skipped []Skipped
	used := map[string]bool{}
	for _, inv := range invoices {
		if inv.Currency != "EUR" {
			skipped = append(skipped, Skipped{Invoice: inv.Ref, Reason: "not_eur"})
			continue
		}
		amount := decimal.RequireFromString(inv.Amount)
		pl := plan{inv: inv}
		for _, c := range credits[inv.supplierKey+"|"+inv.Number] {
			pl.credits = append(pl.credits, c)
			pl.credited = pl.credited.Add(decimal.RequireFromString(c.Amount))
			used[c.Ref] = true
		}
		amount = amount.Sub(pl.credited)
		pl.exec = earliest
		if amount.IsPositive() {
			pl.creditor = creditorOf(inv)
			if !sepa.ValidIBAN(pl.creditor.IBAN) {
				for _, c := range pl.credits {
					used[c.Ref] = false
				}
				skipped = append(skipped, Skipped{Invoice: inv.Ref, Reason: "no_iban"})
				continue
			}
			if due, ok := civilString(inv.DueDate); ok {
				if d := sepa.PrevBusinessDay(due); !d.Before(earliest) {
					pl.exec = d
				}
			}
			if issue, ok := civilString(inv.IssueDate); ok && inv.Document != nil {
				best := decimal.Zero
				for _, dc := range Discounts(inv.Document.PaymentTerms) {
					last := sepa.PrevBusinessDay(dc.Until(issue))
					if last.Before(earliest) {
						continue
					}
					if off := dc.Off(amount); off.GreaterThan(best) {
						best, pl.exec = off, last
					}
				}
				pl.discount = best
				amount = amount.Sub(best)
			}
		}
		pl.amount = amount
		plans = append(plans, pl)
	}
	for _, cs := range credits {
		for _, c := range cs {
			if !used[c.Ref] {
				skipped = append(skipped, Skipped{Invoice: c.Ref, Reason: "credit_open"})
			}
		}
	}
	return plans, skipped
}

// creditorOf is the payee of an invoice: the account holder (BT-85), else
// the payee (BT-59), else the seller.
func creditorOf(inv *Invoice) sepa.Party {
	pt := sepa.Party{Name: inv.Supplier, IBAN: inv.IBAN}
	if d := inv.Document; d != nil {
		if d.Payee != nil && d.Payee.Name != "" {
			pt.Name = d.Payee.Name
		}
		if pi := d.PaymentInstructions; pi != nil && len(pi.CreditTransfers) > 0 {
			ct := pi.CreditTransfers[0]
			if ct.AccountName != "" {
				pt.Name = ct.AccountName
			}
			if sepa.ValidBIC(ct.ServiceProviderID) {
				pt.BIC = ct.ServiceProviderID
			}
		}
	}
	return pt
}

// remittance is BT-83 when given, else the invoice number and date.
func remittance(inv *Invoice) string {
	if d := inv.Document; d != nil && d.PaymentInstructions != nil && d.PaymentInstructions.RemittanceInfo != "" {
		return d.PaymentInstructions.RemittanceInfo
	}
	r := "Rechnung " + inv.Number
	if inv.IssueDate != "" {
		r += " vom " + inv.IssueDate
	}
	return r
}

// PaymentFile returns a run's pain.001 document (finance and admins).
func (s *Service) PaymentFile(ctx context.Context, p identity.Principal, tenantID int64, runRef string) ([]byte, error) {
	if err := p.See(tenantID, identity.RoleFinance, identity.RoleAdmin); err != nil {
		return nil, err
	}
	var key string
	err := s.DB.R.QueryRowContext(ctx, `SELECT file_key FROM einvoice_payment_runs WHERE tenant_id = $1 AND ref = $2`, tenantID, runRef).Scan(&key)
	if err == errNoRows {
		return nil, fmt.Errorf("payment run %s: %w", runRef, fault.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("payment run %s has no transfers: %w", runRef, fault.ErrNotFound)
	}
	return s.readBlob(ctx, key)
}

// PaymentRuns lists the tenant's runs, newest first (finance and admins).
func (s *Service) PaymentRuns(ctx context.Context, p identity.Principal, tenantID int64) ([]PaymentRun, error) {
	if err := p.Require(tenantID, identity.RoleFinance, identity.RoleAdmin); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ref, count, control_sum, created_by, created_at FROM einvoice_payment_runs WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PaymentRun{}
	for rows.Next() {
		var r PaymentRun
		if err := rows.Scan(&r.Ref, &r.Count, &r.ControlSum, &r.CreatedBy, &r.CreatedAt); err != nil {
			return nil, err
		}
		r.Currency, r.File, r.CreatedAt = "EUR", FilePath(r.Ref), r.CreatedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// DebitMatched marks the invoice of a payment run's transfer paid once the
// bank statement shows the debit (job payments.debit_matched from the
// payments module). Idempotent: a second match changes nothing.
func (s *Service) DebitMatched(ctx context.Context, tenantID int64, runRef, endToEndID string) error {
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var payID, invID int64
		var status, invRef string
		err := tx.QueryRowContext(ctx, `SELECT p.id, p.invoice_id, p.status, i.ref FROM einvoice_payments p JOIN einvoice_payment_runs r ON r.id = p.run_id
			JOIN einvoice_invoices i ON i.id = p.invoice_id WHERE p.tenant_id = $1 AND r.ref = $2 AND p.end_to_end_id = $3`, tenantID, runRef, endToEndID).Scan(&payID, &invID, &status, &invRef)
		if err == errNoRows {
			return fmt.Errorf("debit %s of run %s: %w", endToEndID, runRef, fault.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if status == "paid" {
			return nil
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE einvoice_payments SET status = 'paid', paid_at = $1 WHERE id = $2`, now, payID); err != nil {
			return err
		}
		inv, err := s.load(ctx, tx, tenantID, invRef)
		if err != nil {
			return err
		}
		expected := inv.Version
		inv.Status, inv.ClosedAt, inv.RetainUntil = StatusPaid, &now, retainUntil(now)
		if err := addStep(tx, inv, StepRecord{Step: StepPaid, Actor: "system", Note: runRef}, 0); err != nil {
			return err
		}
		if err := update(tx, inv, expected); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "system", Action: "einvoice.paid", ObjectType: "einvoice", ObjectRef: inv.Ref,
			After: map[string]any{"run": runRef, "end_to_end_id": endToEndID, "hash": inv.Hash}})
	})
}
